// Early stopping keeps the weights of the best validation epoch, checked
// against the weights themselves: a run stopped early must return exactly
// the parameters of a second run that trains only up to that best epoch
// (constant learning rate and no weight averaging, so the first epochs of
// the two runs are the same computation; the epoch's shuffle and noise are
// functions of the seed and the epoch alone). And "better" means strictly
// lower: a run whose validation NLL stops moving stops after `patience`
// epochs.
#include <gtest/gtest.h>

#include "mdn/backend.hpp"
#include "mdn/synthetic.hpp"
#include "mdn/trainer.hpp"

namespace mdn {
namespace {

Dataset hetero(int rows) {
  const SyntheticSet set = make_synthetic("hetero", rows, 4);
  Dataset data;
  data.x = MatrixD(rows, 1);
  data.t = MatrixD(rows, 1);
  for (int r = 0; r < rows; ++r) {
    data.x.set(r, 0, set.values(r, 0));
    data.t(r, 0) = set.values(r, 1);
  }
  data.feature_names = {"x"};
  data.target_names = {"y"};
  return data;
}

TEST(BestEpoch, EarlyStoppingReturnsTheBestEpochsWeightsNotTheLast) {
  ModelSpec spec;
  spec.input_dim = 1;
  spec.target_dim = 1;
  spec.components = 3;
  spec.hidden = {16};
  const Dataset data = hetero(200);
  TrainOptions o;
  o.epochs = 300;
  o.batch_size = 32;
  o.lr = 2e-2f;  // high enough to overfit 160 rows quickly, so the run stops early
  o.schedule = LrSchedule::Constant;
  o.weight_average = 0.0f;
  o.val_fraction = 0.2f;
  o.patience = 4;
  o.seed = 8;
  auto backend = make_cpu_backend(spec);
  const Model stopped = train(*backend, spec, data, o);
  const TrainingHistory& h = stopped.history;
  ASSERT_LT(int(h.val_nll.size()), o.epochs) << "early stopping never triggered";
  ASSERT_EQ(int(h.val_nll.size()), h.best_epoch + o.patience);
  // The last epoch is measurably worse than the best, so its weights differ.
  ASSERT_GT(h.val_nll.back(), h.val_nll[std::size_t(h.best_epoch - 1)] + 1e-4f);

  TrainOptions to_best = o;
  to_best.epochs = h.best_epoch;
  auto again = make_cpu_backend(spec);
  const Model up_to_best = train(*again, spec, data, to_best);
  ASSERT_EQ(up_to_best.history.best_epoch, h.best_epoch);
  ASSERT_EQ(up_to_best.history.val_nll.back(), h.val_nll[std::size_t(h.best_epoch - 1)]);
  EXPECT_EQ(stopped.params, up_to_best.params);
}

TEST(BestEpoch, AnEqualValidationNllIsNotAnImprovement) {
  // A learning rate of 1e-30 cannot move a float weight of the network (its
  // updates are ~1e-30 against weights ~0.01 to 1), so every epoch has the
  // first epoch's validation NLL, bit for bit: epoch 1 is the best and the
  // run stops `patience` epochs later.
  ModelSpec spec;
  spec.input_dim = 1;
  spec.target_dim = 1;
  spec.components = 2;
  spec.hidden = {8};
  TrainOptions o;
  o.epochs = 50;
  o.batch_size = 32;
  o.lr = 1e-30f;
  o.schedule = LrSchedule::Constant;
  o.weight_average = 0.0f;
  o.val_fraction = 0.25f;
  o.patience = 3;
  o.seed = 2;
  auto backend = make_cpu_backend(spec);
  const Model m = train(*backend, spec, hetero(120), o);
  const TrainingHistory& h = m.history;
  ASSERT_EQ(h.val_nll.size(), 4u) << "training ran " << h.val_nll.size() << " epochs";
  for (float v : h.val_nll) EXPECT_EQ(v, h.val_nll[0]);
  EXPECT_EQ(h.best_epoch, 1);
}

}  // namespace
}  // namespace mdn
