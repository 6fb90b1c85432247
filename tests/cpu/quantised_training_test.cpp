// Training on gridded targets (TrainOptions::grid_steps) on the CPU, whose
// loss is the cells' own (Backend::set_target_cells): the validation NLL the
// run reports is the cell-averaged density's, -log P(cell) + log h in
// original units (checked against cell_log_mass, written separately in
// src/math/grid.cpp), and targets that are an exact function of x end with
// nearly all of their mass in their cells, where spreading the targets over
// the cells (the trainer's way on other backends) cannot.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "mdn/backend.hpp"
#include "mdn/grid.hpp"
#include "mdn/inference.hpp"
#include "mdn/trainer.hpp"

namespace {

constexpr double kStep = 0.5;

// t = a multiple of 0.5 that x decides: -1 .. 1 in five cells.
mdn::Dataset stairs(int rows, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> ux(-1.0, 1.0);
  mdn::Dataset d;
  d.x = mdn::MatrixD(rows, 1);
  d.t = mdn::MatrixD(rows, 1);
  for (int r = 0; r < rows; ++r) {
    d.x.set(r, 0, ux(rng));
    d.t(r, 0) = kStep * std::round(2.4 * d.x(r, 0));
  }
  d.feature_names = {"x"};
  d.target_names = {"y"};
  return d;
}

TEST(QuantisedTraining, LearnsTheCellsAndReportsTheirLikelihood) {
  mdn::ModelSpec spec;
  spec.input_dim = 1, spec.target_dim = 1, spec.components = 5, spec.hidden = {32, 32};
  mdn::TrainOptions o;
  o.epochs = 150;
  o.seed = 2;
  o.grid_steps = {float(kStep)};
  o.calibrate = mdn::TrainOptions::CalibrateMode::Off;
  const mdn::Dataset data = stairs(600, 1), val = stairs(300, 2);
  mdn::TrainHooks hooks;
  hooks.validation = &val;
  auto backend = mdn::make_cpu_backend(spec);
  const mdn::Model m = mdn::train(*backend, spec, data, o, hooks);
  const mdn::MixtureBatch mix = mdn::predict_mixtures(*backend, m, val.x.to_double());
  double cells = 0.0;
  for (int r = 0; r < val.x.rows; ++r) cells -= mdn::cell_log_mass(mix, r, val.t.row(r), {float(kStep)});
  cells /= val.x.rows;
  const double reported = m.history.val_nll[std::size_t(m.history.best_epoch) - 1] + m.val_log_jacobian();
  EXPECT_NEAR(reported, cells + std::log(kStep), 2e-4);  // the history is float
  // Rows away from a step's edge are certain: the mean -log P(cell) nears 0.
  // Spread uniformly over 0.5-wide cells, a smooth density keeps a good part
  // of every row's mass outside its cell (this test's model, trained that
  // way: 0.37).
  EXPECT_LT(cells, 0.15);
}

}  // namespace
