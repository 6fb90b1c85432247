// What a model says about each row of X: its mixture, moments and
// quantiles, modes, highest-density regions, and draws. Every array is
// float64 in original units; the GIL is released while the library works.
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "arrays.hpp"
#include "mdn/conditional.hpp"
#include "mdn/conformal.hpp"
#include "mdn/error.hpp"
#include "mdn/predictive.hpp"
#include "mdn/recalibration.hpp"
#include "mdn/trainer.hpp"
#include "mdn/sampling.hpp"
#include "mixture_outputs.hpp"
#include "model_bindings.hpp"

namespace mdn_python {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

nb::tuple mixture(PyModel& self, const InArray& x_in) {
  mdn::MixtureBatch mix;
  {
    nb::gil_scoped_release release;
    const mdn::MatrixD x = to_matrix(x_in, "X", self.model().spec.input_dim);
    mix = self.with_backend([&](mdn::Backend& b) { return mdn::predict_mixtures(b, self.model(), x); });
  }
  const std::size_t n = std::size_t(mix.rows), K = std::size_t(mix.K), T = std::size_t(mix.T);
  nb::object tril = nb::none();
  if (mix.full_covariance()) tril = nb::cast(to_numpy(dense_factors(mix), {n, K, T, T}));
  return nb::make_tuple(to_numpy(std::move(mix.alpha), {n, K}), to_numpy(std::move(mix.mu), {n, K, T}),
                        to_numpy(std::move(mix.sigma), {n, K, T}), tril);
}

nb::tuple statistics(PyModel& self, const InArray& x_in, const std::vector<double>& levels) {
  mdn::validate_quantile_levels(levels);
  const std::size_t T = std::size_t(self.model().spec.target_dim), L = levels.size();
  std::vector<double> mean, stddev, quantiles;
  std::size_t n = 0;
  {
    nb::gil_scoped_release release;
    const mdn::MatrixD x = to_matrix(x_in, "X", self.model().spec.input_dim);
    n = std::size_t(x.rows);
    mean.resize(n * T);
    stddev.resize(n * T);
    quantiles.resize(n * T * L);
    for_each_chunk(self, x, [&](mdn::Backend& b, const mdn::MixtureBatch& mix, int begin, int) {
      const mdn::PredictiveStatistics s = b.statistics(mix, levels);
      std::copy(s.moments.mean.begin(), s.moments.mean.end(), mean.begin() + std::size_t(begin) * T);
      std::copy(s.moments.stddev.begin(), s.moments.stddev.end(), stddev.begin() + std::size_t(begin) * T);
      std::copy(s.quantiles.begin(), s.quantiles.end(), quantiles.begin() + std::size_t(begin) * T * L);
    });
  }
  return nb::make_tuple(to_numpy(std::move(mean), {n, T}), to_numpy(std::move(stddev), {n, T}),
                        to_numpy(std::move(quantiles), {n, T, L}));
}

nb::tuple modes(PyModel& self, const InArray& x_in) {
  const std::size_t T = std::size_t(self.model().spec.target_dim),
                    K = std::size_t(self.model().mixture_spec().components);
  std::vector<double> location, density;
  std::size_t n = 0;
  {
    nb::gil_scoped_release release;
    const mdn::MatrixD x = to_matrix(x_in, "X", self.model().spec.input_dim);
    n = std::size_t(x.rows);
    location.assign(n * K * T, kNaN);
    density.assign(n * K, kNaN);
    for_each_chunk(self, x, [&](mdn::Backend& b, const mdn::MixtureBatch& mix, int begin, int rows) {
      const auto found = b.modes(mix);
      for (int r = 0; r < rows; ++r)
        put_modes(found[r], std::size_t(begin) + std::size_t(r), K, T, location.data(), density.data());
    });
  }
  return nb::make_tuple(to_numpy(std::move(location), {n, K, T}), to_numpy(std::move(density), {n, K}));
}

nb::ndarray<nb::numpy, double> density_regions(PyModel& self, const InArray& x_in, double coverage) {
  mdn::validate_coverage(coverage);
  const std::size_t T = std::size_t(self.model().spec.target_dim),
                    K = std::size_t(self.model().mixture_spec().components);
  std::vector<double> ends;
  std::size_t n = 0;
  {
    nb::gil_scoped_release release;
    const mdn::MatrixD x = to_matrix(x_in, "X", self.model().spec.input_dim);
    n = std::size_t(x.rows);
    ends.assign(n * T * K * 2, kNaN);
    for_each_chunk(self, x, [&](mdn::Backend& b, const mdn::MixtureBatch& mix, int begin, int rows) {
      for (std::size_t d = 0; d < T; ++d) {
        const auto regions = b.density_regions(mix, int(d), coverage);
        for (int r = 0; r < rows; ++r)
          put_region(regions[r], std::size_t(begin) + std::size_t(r), d, T, K, ends.data());
      }
    });
  }
  return to_numpy(std::move(ends), {n, T, K, 2});
}

nb::ndarray<nb::numpy, double> sample(PyModel& self, const InArray& x_in, int samples, std::uint64_t seed) {
  if (samples < 1) throw mdn::UsageError("n_samples must be at least 1 (got " + std::to_string(samples) + ")");
  const std::size_t T = std::size_t(self.model().spec.target_dim), S = std::size_t(samples);
  std::vector<double> out;
  std::size_t n = 0;
  {
    nb::gil_scoped_release release;
    const mdn::MatrixD x = to_matrix(x_in, "X", self.model().spec.input_dim);
    n = std::size_t(x.rows);
    out.resize(n * S * T);
    mdn::SampleOptions options;
    options.seed = seed;
    // A chunk's head outputs and draws stay bounded, as in `mdn sample`.
    const std::size_t per_row = S * T;
    const int chunk = int(std::max<std::size_t>(1, std::min<std::size_t>(kChunkRows, (1u << 24) / per_row)));
    self.with_backend([&](mdn::Backend& b) {
      for (int begin = 0; begin < x.rows; begin += chunk) {
        const int rows = std::min(chunk, x.rows - begin);
        const mdn::Matrix z = mdn::head_outputs(b, self.model(), x, begin, rows);
        double* at = out.data() + std::size_t(begin) * per_row;
        // A recalibrated model draws by inversion on the host (mdn/sampling.hpp).
        if (self.model().recalibration.applied())
          mdn::sample_mixtures(mdn::mixtures_from_head(self.model(), z), samples, options, begin, at);
        else {
          b.sample(z, self.model().stats, samples, options, begin, at);
          // The backend draws u; a transformed target's draws map back.
          mdn::inverse_transform_draws(self.model().target_transforms, at, std::size_t(rows) * S, int(T));
        }
      }
      return 0;
    });
  }
  return to_numpy(std::move(out), {n, S, T});
}

// The mixtures of the targets not in `observed` (indices, increasing) given
// their values y_O (values: 1 row for every row of x, or one row per row),
// by mdn::condition_mixtures on all rows at once (as mixture() does): alpha
// (n, K), mu and sigma (n, K, T'), scale_tril (n, K, T', T') for full
// covariance with T' >= 2 (else None), and the transforms of the targets
// left [(name, lambda)] (empty: none).
nb::tuple conditional(PyModel& self, const InArray& x_in, const std::vector<int>& observed, const InArray& values_in) {
  mdn::MixtureBatch all;
  {
    nb::gil_scoped_release release;
    const mdn::MatrixD x = to_matrix(x_in, "X", self.model().spec.input_dim);
    mdn::TargetObservations given{observed, to_matrix(values_in, "given values", int(observed.size()))};
    if (given.values.rows != 1 && given.values.rows != x.rows)
      throw mdn::UsageError("given values: " + std::to_string(given.values.rows) + " rows for " +
                            std::to_string(x.rows) + " rows of X; give one value per row, or one for all");
    const mdn::MixtureBatch mix =
        self.with_backend([&](mdn::Backend& b) { return mdn::predict_mixtures(b, self.model(), x); });
    try {
      all = mdn::condition_mixtures(mix, given);
    } catch (const mdn::UsageError&) {
      throw;
    } catch (const mdn::Error& e) {  // a row's values of zero density: the input's fault (ValueError)
      throw mdn::UsageError(e.what());
    }
  }
  const std::size_t n = std::size_t(all.rows), K = std::size_t(all.K), T = std::size_t(all.T);
  nb::object tril = nb::none();
  if (all.full_covariance()) tril = nb::cast(to_numpy(dense_factors(all), {n, K, T, T}));
  std::vector<std::pair<std::string, double>> transforms;
  if (all.transformed())
    for (const mdn::TargetTransform& g : all.transforms) transforms.emplace_back(mdn::transform_name(g.kind), g.lambda);
  return nb::make_tuple(to_numpy(std::move(all.alpha), {n, K}), to_numpy(std::move(all.mu), {n, K, T}),
                        to_numpy(std::move(all.sigma), {n, K, T}), tril, transforms);
}

// Conformal central intervals (mdn/conformal.hpp) at `level`: lo, hi (n, T).
nb::tuple conformal_intervals(PyModel& self, const InArray& x_in, double level) {
  if (!self.model().conformal.available())
    throw mdn::UsageError(
        "the model carries no conformal scores: fit it with validation rows (val_fraction > 0 or an eval_set, at least " +
        std::to_string(mdn::kMinConformalRows) + " rows) or calibrate it on rows it did not train on (calibrate_intervals(X, y))");
  mdn::conformal_radius(self.model().conformal.scores[0], level);  // checks the level
  const std::size_t T = std::size_t(self.model().spec.target_dim);
  std::vector<double> lo, hi;
  std::size_t n = 0;
  {
    nb::gil_scoped_release release;
    const mdn::MatrixD x = to_matrix(x_in, "X", self.model().spec.input_dim);
    n = std::size_t(x.rows);
    lo.resize(n * T);
    hi.resize(n * T);
    for_each_chunk(self, x, [&](mdn::Backend&, const mdn::MixtureBatch& mix, int begin, int) {
      std::vector<double> l, h;
      mdn::conformal_intervals(mix, self.model().conformal, level, l, h);
      std::copy(l.begin(), l.end(), lo.begin() + std::size_t(begin) * T);
      std::copy(h.begin(), h.end(), hi.begin() + std::size_t(begin) * T);
    });
  }
  return nb::make_tuple(to_numpy(std::move(lo), {n, T}), to_numpy(std::move(hi), {n, T}));
}

// On labelled rows, as `mdn calibrate`: refits the recalibration (PIT map)
// of a one-target model when there are kMinCalibrationRows rows, and the
// conformal scores. Returns whether the recalibration was refitted.
bool calibrate(PyModel& self, const InArray& x_in, const InArray& t_in) {
  nb::gil_scoped_release release;
  const auto rows = labelled_rows(self, x_in, t_in);
  const int n = rows.first.rows;
  if (n < mdn::kMinConformalRows)
    throw mdn::UsageError("calibrate: " + std::to_string(n) + " rows; conformal intervals need at least " +
                          std::to_string(mdn::kMinConformalRows));
  mdn::MixtureBatch mix =
      self.with_backend([&](mdn::Backend& b) { return mdn::predict_mixtures(b, self.model(), rows.first); });
  const std::string source = std::to_string(n) + " rows given to calibrate_intervals()";
  const bool refit = self.model().spec.target_dim == 1 && n >= mdn::kMinCalibrationRows;
  if (refit) self.set_recalibration(mdn::fit_recalibration(mix, rows.second, {}, source));
  mdn::ConformalScores scores = mdn::conformal_scores(mix, rows.second);
  scores.source = source;
  self.set_conformal(std::move(scores));
  return refit;
}

// Per feature, how many rows of x lie outside the training range by more than
// kOutsideRangeMargin of its width (mdn::rows_outside_training_range); empty
// for a model that does not know its ranges.
std::vector<long long> outside_training_range(PyModel& self, const InArray& x_in) {
  nb::gil_scoped_release release;
  const mdn::MatrixD x = to_matrix(x_in, "X", self.model().spec.input_dim);
  return mdn::rows_outside_training_range(self.model(), x);
}

}  // namespace

void bind_predictions(ModelClass& cls) {
  cls.def("mixture", &mixture, nb::arg("x"),
          "alpha (n, K), mu (n, K, T), sigma (n, K, T) (each target's marginal std), float64, original units, and "
          "for full covariance the lower Cholesky factors scale_tril (n, K, T, T), else None.")
      .def("statistics", &statistics, nb::arg("x"), nb::arg("levels"),
           "mean (n, T), std (n, T), quantiles (n, T, L), float64.")
      .def("modes", &modes, nb::arg("x"), "mode locations (n, K, T) and densities (n, K), NaN past the last mode.")
      .def("density_regions", &density_regions, nb::arg("x"), nb::arg("coverage"),
           "HDR intervals (n, T, K, 2), NaN past the last interval.")
      .def("sample", &sample, nb::arg("x"), nb::arg("samples"), nb::arg("seed"), "draws (n, samples, T), float64.")
      .def("conditional", &conditional, nb::arg("x"), nb::arg("observed"), nb::arg("values"),
           "the mixtures of the targets not in observed given their values: alpha, mu, sigma, scale_tril or None, "
           "transforms.")
      .def("conformal_intervals", &conformal_intervals, nb::arg("x"), nb::arg("level"),
           "conformal central intervals: lo (n, T), hi (n, T), float64, -inf/inf where unbounded.")
      .def("calibrate", &calibrate, nb::arg("x"), nb::arg("t"),
           "refit the recalibration (one target, >= 50 rows) and the conformal scores on labelled rows; returns "
           "whether the recalibration was refitted.")
      .def("outside_training_range", &outside_training_range, nb::arg("x"),
           "per feature, the rows of x beyond its training range by more than 10 % of the range's width.")
      .def_prop_ro(
          "conformal_rows",
          [](const PyModel& self) {
            return self.model().conformal.available() ? self.model().conformal.scores[0].size() : std::size_t(0);
          },
          "calibration rows behind the conformal scores (0: none).");
}

}  // namespace mdn_python
