// The program's translation of the library's field names into its flags
// (tools/mdn/flag_words.hpp), and the library's messages that carry them.
#include <gtest/gtest.h>

#include <string>

#include "flag_words.hpp"
#include "mdn/dataset.hpp"
#include "mdn/error.hpp"
#include "mdn/trainer.hpp"

namespace {

using mdn::cli::in_flag_words;

TEST(FlagWords, FieldsBecomeTheirFlags) {
  EXPECT_EQ(in_flag_words("TrainOptions::batch_size must be at least 1"), "--batch-size must be at least 1");
  EXPECT_EQ(in_flag_words("TrainOptions::checkpoint_every must be 0 and there must be no TrainHooks::resume_state"),
            "--checkpoint-every must be 0 and there must be no --resume");
  EXPECT_EQ(in_flag_words("TrainOptions::warmup_fraction and TrainOptions::min_lr_fraction."),
            "--warmup and --min-lr.");
  EXPECT_EQ(in_flag_words("(TrainOptions::grid_steps)"), "(--quantised)");
  // Nothing else changes.
  EXPECT_EQ(in_flag_words("a plain message: 3 < 4, TrainOptions: none"), "a plain message: 3 < 4, TrainOptions: none");
  EXPECT_EQ(in_flag_words(""), "");
}

// Every option error of train() names its TrainOptions field, and the
// translation gives a flag the program has.
TEST(FlagWords, TheLibraryNamesFieldsAndTheProgramFlags) {
  mdn::Dataset data;
  data.x = mdn::MatrixD(10, 1);
  data.t = mdn::MatrixD(10, 1);
  for (int r = 0; r < 10; ++r) data.x.set(r, 0, data.t(r, 0) = r);
  mdn::ModelSpec spec;
  spec.input_dim = spec.target_dim = 1;
  auto backend = mdn::make_cpu_backend(spec);
  mdn::TrainOptions o;
  o.batch_size = -1;
  try {
    (void)mdn::train(*backend, spec, data, o);
    FAIL() << "a negative batch size was accepted";
  } catch (const mdn::UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("TrainOptions::batch_size"), std::string::npos) << what;
    EXPECT_EQ(what.find("--"), std::string::npos) << what;
    EXPECT_NE(in_flag_words(what).find("--batch-size must be"), std::string::npos) << in_flag_words(what);
  }
}

}  // namespace
