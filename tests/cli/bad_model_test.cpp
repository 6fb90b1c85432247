// Corrupt, truncated, foreign and future-version model files, and nonsense
// options of the commands that read a model: every case runs the real `mdn`
// and expects one message naming the file or option, a consistent exit
// status and no output file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "cli_harness.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

// One small trained model and its data, shared by every case.
class ModelFiles : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    ASSERT_EQ(run_mdn(*dir_, "data bishop --rows 200 --out d.csv").status, 0);
    ASSERT_EQ(run_mdn(*dir_,
                      "train --data d.csv --target y --model good.safetensors --hidden 4 --components 2 "
                      "--epochs 1 --quiet")
                  .status,
              0);
    good_ = dir_->read("good.safetensors");
    std::memcpy(&header_length_, good_.data(), 8);  // little-endian u64 (x86)
  }
  static void TearDownTestSuite() { delete dir_; }

  // Writes `bytes` as the model and runs predict and sample on it.
  void expect_refused(const std::string& bytes, const std::vector<std::string>& message_parts) {
    dir_->write("bad.safetensors", bytes);
    for (const std::string command : {"predict --model bad.safetensors --data d.csv --out o.csv --quiet",
                                      "sample --model bad.safetensors --data d.csv --samples 2 --out o.csv --quiet"}) {
      const auto r = run_mdn(*dir_, command);
      EXPECT_EQ(r.status, 1) << command << "\n" << r.err;
      EXPECT_NE(r.err.find("bad.safetensors"), std::string::npos) << r.err;
      for (const auto& part : message_parts) EXPECT_NE(r.err.find(part), std::string::npos) << r.err;
      EXPECT_LE(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
      EXPECT_FALSE(dir_->exists("o.csv")) << command;
    }
  }

  static TempDir* dir_;
  static std::string good_;
  static std::uint64_t header_length_;
};
TempDir* ModelFiles::dir_ = nullptr;
std::string ModelFiles::good_;
std::uint64_t ModelFiles::header_length_ = 0;

TEST_F(ModelFiles, TheGoodModelWorks) {
  const auto r = run_mdn(*dir_, "predict --model good.safetensors --data d.csv --out ok.csv --quiet");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(dir_->exists("ok.csv"));
}

TEST_F(ModelFiles, MissingModel) {
  const auto r = run_mdn(*dir_, "predict --model nosuch.safetensors --data d.csv --out o.csv --quiet");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("nosuch.safetensors"), std::string::npos) << r.err;
  EXPECT_FALSE(dir_->exists("o.csv"));
}

TEST_F(ModelFiles, EmptyFile) { expect_refused("", {}); }

TEST_F(ModelFiles, TruncatedAtEverySectionBoundary) {
  const std::size_t h = 8 + std::size_t(header_length_);
  for (std::size_t cut : {std::size_t(4), std::size_t(8), std::size_t(8 + 10), h / 2, h - 1, h, h + 4,
                          (h + good_.size()) / 2, good_.size() - 1}) {
    SCOPED_TRACE("truncated to " + std::to_string(cut) + " of " + std::to_string(good_.size()) + " bytes");
    expect_refused(good_.substr(0, cut), {});
  }
}

TEST_F(ModelFiles, HeaderLengthLies) {
  std::string lying = good_;
  const std::uint64_t huge = good_.size() * 4;
  std::memcpy(lying.data(), &huge, 8);
  expect_refused(lying, {});
}

TEST_F(ModelFiles, FutureFormatVersion) {
  std::string future = good_;
  std::size_t at = future.find("mdn.format_version");
  ASSERT_NE(at, std::string::npos);
  // The version's one digit, the first after the key (today's version, < 7).
  at = future.find_first_of("123456", at + std::strlen("mdn.format_version"));
  ASSERT_NE(at, std::string::npos);
  future[at] = '7';
  expect_refused(future, {"newer"});
}

TEST_F(ModelFiles, NotAModelAtAll) {
  expect_refused(dir_->read("d.csv"), {});
  expect_refused(std::string(4096, '\x5a'), {});
}

TEST_F(ModelFiles, DataWithoutTheModelsFeatureColumn) {
  dir_->write("other.csv", "a,y\n0.1,0.2\n0.3,0.4\n");
  const auto r = run_mdn(*dir_, "predict --model good.safetensors --data other.csv --out o.csv --quiet");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("other.csv"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'x'"), std::string::npos) << r.err;
  EXPECT_FALSE(dir_->exists("o.csv"));
}

struct BadOption {
  std::string args;
  std::string option;
};

TEST_F(ModelFiles, NonsenseOptionsAreUsageErrors) {
  const std::vector<BadOption> cases = {
      {"predict --model good.safetensors --data d.csv --out o.csv --quantiles 0", "--quantiles"},
      {"predict --model good.safetensors --data d.csv --out o.csv --quantiles 1", "--quantiles"},
      {"predict --model good.safetensors --data d.csv --out o.csv --quantiles -0.1,0.5", "--quantiles"},
      {"predict --model good.safetensors --data d.csv --out o.csv --quantiles abc", "--quantiles"},
      {"predict --model good.safetensors --data d.csv --out o.csv --hdi 1.5", "--hdi"},
      {"predict --model good.safetensors --data d.csv --out o.csv --device tpu", "--device"},
      {"predict --model good.safetensors --data d.csv --out o.csv --chunk-rows 0", "--chunk-rows"},
      {"sample --model good.safetensors --data d.csv --out o.csv --samples 0", "--samples"},
      {"sample --model good.safetensors --data d.csv --out o.csv --samples -3", "--samples"},
      {"sample --model good.safetensors --data d.csv --out o.csv --samples 2 --temperature 0", "--temperature"},
      {"sample --model good.safetensors --data d.csv --out o.csv --samples 2 --sigma-scale -1", "--sigma-scale"},
      {"sample --model good.safetensors --data d.csv --out o.csv", "--samples"},
  };
  for (const auto& c : cases) {
    const auto r = run_mdn(*dir_, c.args + " --quiet");
    EXPECT_EQ(r.status, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.option), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_FALSE(dir_->exists("o.csv")) << c.args;
  }
}

TEST_F(ModelFiles, OutputDirectoryMissing) {
  const auto r = run_mdn(*dir_, "predict --model good.safetensors --data d.csv --out nodir/o.csv --quiet");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("nodir"), std::string::npos) << r.err;
}

}  // namespace
