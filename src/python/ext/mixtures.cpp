// Functions on mixtures given as arrays, behind mdn.MixtureDistribution (the
// object predict_dist returns): alpha (n, K), mu and sigma (n, K, T), float64,
// C order, original units, as Model.mixture gives them, and for full
// covariance the lower Cholesky factors scale_tril (n, K, T, T). Each is the
// library's own per-row computation (mdn/predictive.hpp, metrics.hpp,
// sampling.hpp, joint_cdf.hpp), the one the estimator's methods on X run, so
// both give the same numbers. The GIL is released while the library works.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "arrays.hpp"
#include "mdn/error.hpp"
#include "mdn/joint_cdf.hpp"
#include "mdn/metrics.hpp"
#include "mdn/predictive.hpp"
#include "mdn/sampling.hpp"
#include "mixture_outputs.hpp"
#include "mixtures.hpp"

namespace mdn_python {

namespace {

using Rows2 = nb::ndarray<const double, nb::ndim<2>, nb::c_contig, nb::device::cpu>;  // alpha (n, K), y (n, T)
using Rows3 = nb::ndarray<const double, nb::ndim<3>, nb::c_contig, nb::device::cpu>;  // mu, sigma (n, K, T)
using Rows4 = nb::ndarray<const double, nb::ndim<4>, nb::c_contig, nb::device::cpu>;  // scale_tril (n, K, T, T)
// The recalibration's PIT maps (mdn/pit_map.hpp): one list of knots per
// target, or none (the plain mixture).
using Knots = std::vector<std::vector<double>>;
// Beside them, the target transforms (mdn/target_transform.hpp): per target
// (name, lambda), or none; and the full-covariance factors, or None.
// Passed together as one argument, `knots`.
using Transforms = std::vector<std::pair<std::string, double>>;
using Extras = std::tuple<Knots, Transforms, std::optional<Rows4>>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string at(std::size_t r, std::size_t k) {
  return " (row " + std::to_string(r) + ", component " + std::to_string(k) + ")";
}

void check_shapes(const Rows2& alpha, const Rows3& mu, const Rows3& sigma) {
  const std::size_t n = alpha.shape(0), K = alpha.shape(1), T = mu.shape(2);
  if (mu.shape(0) != n || mu.shape(1) != K || sigma.shape(0) != n || sigma.shape(1) != K || sigma.shape(2) != T)
    throw mdn::UsageError("alpha (n, K), mu (n, K, T) and sigma (n, K, T) disagree: alpha is " + std::to_string(n) +
                          " x " + std::to_string(K) + ", mu " + std::to_string(mu.shape(0)) + " x " +
                          std::to_string(mu.shape(1)) + " x " + std::to_string(T) + ", sigma " +
                          std::to_string(sigma.shape(0)) + " x " + std::to_string(sigma.shape(1)) + " x " +
                          std::to_string(sigma.shape(2)));
  if (K < 1 || T < 1) throw mdn::UsageError("a mixture needs at least one component and one target");
  if (n > std::size_t(INT_MAX) || K > std::size_t(INT_MAX) / T || n * K * T > std::size_t(INT_MAX))
    throw mdn::UsageError("a mixture batch holds at most 2^31 - 1 values per array");
}

// scale_tril into mix.chol (packed): (n, K, T, T), T >= 2, lower triangular
// with a finite positive diagonal and finite entries below it; no target
// transforms or PIT maps beside it (the library refuses them together).
void read_factors(const Rows4& tril, mdn::MixtureBatch& mix) {
  const std::size_t n = std::size_t(mix.rows), K = std::size_t(mix.K), T = std::size_t(mix.T);
  if (tril.shape(0) != n || tril.shape(1) != K || tril.shape(2) != T || tril.shape(3) != T)
    throw mdn::UsageError("scale_tril must have shape (n, K, T, T) = (" + std::to_string(n) + ", " + std::to_string(K) +
                          ", " + std::to_string(T) + ", " + std::to_string(T) + ")");
  if (T < 2) throw mdn::UsageError("scale_tril needs at least 2 targets (with one, sigma is the whole covariance)");
  const std::size_t P = std::size_t(mix.chol_size());
  mix.chol.resize(n * K * P);
  const double* a = tril.data();
  for (std::size_t c = 0; c < n * K; ++c)
    for (std::size_t i = 0; i < T; ++i)
      for (std::size_t j = 0; j < T; ++j) {
        const double v = a[(c * T + i) * T + j];
        const bool ok = j > i ? v == 0.0 : j == i ? (v > 0.0 && std::isfinite(v)) : std::isfinite(v);
        if (!ok)
          throw mdn::UsageError("scale_tril must be lower triangular with a diagonal > 0, finite" +
                                at(c / K, c % K) + ", entry (" + std::to_string(i) + ", " + std::to_string(j) + ")");
        if (j <= i) mix.chol[c * P + i * (i + 1) / 2 + j] = v;
      }
}

// The library's MixtureBatch from the arrays (a copy), after checking what
// every computation on it assumes: weights finite, >= 0 and not all 0 in a
// row; means finite; sigmas finite and > 0; knots (if any) a PIT map per
// target; scale_tril (if any) as read_factors checks it. UsageError names
// the first bad entry. Call without the GIL.
mdn::MixtureBatch to_batch(const Rows2& alpha, const Rows3& mu, const Rows3& sigma, const Extras& extras) {
  const Knots& knots = std::get<0>(extras);
  const Transforms& transforms = std::get<1>(extras);
  check_shapes(alpha, mu, sigma);
  mdn::MixtureBatch mix;
  mix.rows = int(alpha.shape(0));
  mix.K = int(alpha.shape(1));
  mix.T = int(mu.shape(2));
  const std::size_t n = std::size_t(mix.rows), K = std::size_t(mix.K), T = std::size_t(mix.T);
  mix.alpha.assign(alpha.data(), alpha.data() + n * K);
  mix.mu.assign(mu.data(), mu.data() + n * K * T);
  mix.sigma.assign(sigma.data(), sigma.data() + n * K * T);
  for (std::size_t r = 0; r < n; ++r) {
    double total = 0.0;
    for (std::size_t k = 0; k < K; ++k) {
      const double a = mix.alpha[r * K + k];
      if (!(a >= 0.0) || !std::isfinite(a)) throw mdn::UsageError("alpha must be finite and >= 0" + at(r, k));
      total += a;
      for (std::size_t d = 0; d < T; ++d) {
        if (!std::isfinite(mix.mu[(r * K + k) * T + d])) throw mdn::UsageError("mu must be finite" + at(r, k));
        const double s = mix.sigma[(r * K + k) * T + d];
        if (!(s > 0.0) || !std::isfinite(s)) throw mdn::UsageError("sigma must be finite and > 0" + at(r, k));
      }
    }
    if (!(total > 0.0)) throw mdn::UsageError("alpha of row " + std::to_string(r) + " sums to 0");
  }
  if (!knots.empty()) {
    if (knots.size() != T || T != 1)
      throw mdn::UsageError("a recalibrated mixture has one target and one list of PIT-map knots");
    for (const std::vector<double>& k : knots) {
      mix.pit_maps.push_back(mdn::PitMap{k});
      if (!mix.pit_maps.back().valid()) throw mdn::UsageError("PIT-map knots must rise strictly from 0 to 1");
    }
  }
  if (!transforms.empty()) {
    if (transforms.size() != T) throw mdn::UsageError("transforms: one (name, lambda) per target is needed");
    for (const auto& [name, lambda] : transforms) {
      mdn::TargetTransform g;
      if (name == "log") g.kind = mdn::TargetTransformKind::Log;
      else if (name == "yeo-johnson") g.kind = mdn::TargetTransformKind::YeoJohnson, g.lambda = lambda;
      else if (name != "none") throw mdn::UsageError("transforms: '" + name + "' is not none, log or yeo-johnson");
      if (!(g.lambda >= mdn::kYeoJohnsonMinLambda && g.lambda <= mdn::kYeoJohnsonMaxLambda))
        throw mdn::UsageError("transforms: a Yeo-Johnson lambda must lie in [0, 2]");
      mix.transforms.push_back(g);
    }
  }
  if (const std::optional<Rows4>& tril = std::get<2>(extras)) {
    if (!knots.empty() || !transforms.empty())
      throw mdn::UsageError("scale_tril (full covariance) cannot be combined with knots or transforms");
    read_factors(*tril, mix);
  }
  return mix;
}

// y (n, T) for the rows of `mix`; NaN and +-infinity pass (a CDF at +-inf is
// its limit, a density there is 0).
void check_values(const mdn::MixtureBatch& mix, const Rows2& y) {
  if (y.shape(0) != std::size_t(mix.rows) || y.shape(1) != std::size_t(mix.T))
    throw mdn::UsageError("y has shape (" + std::to_string(y.shape(0)) + ", " + std::to_string(y.shape(1)) + "); (" +
                          std::to_string(mix.rows) + ", " + std::to_string(mix.T) + ") was expected");
}

void check(const Rows2& alpha, const Rows3& mu, const Rows3& sigma, const Extras& extras) {
  nb::gil_scoped_release release;
  to_batch(alpha, mu, sigma, extras);
}

nb::tuple moments(const Rows2& alpha, const Rows3& mu, const Rows3& sigma, const Extras& extras) {
  mdn::PredictiveMoments m;
  {
    nb::gil_scoped_release release;
    m = mdn::predictive_moments(to_batch(alpha, mu, sigma, extras));
  }
  const std::size_t n = std::size_t(m.rows), T = std::size_t(m.T);
  return nb::make_tuple(to_numpy(std::move(m.mean), {n, T}), to_numpy(std::move(m.stddev), {n, T}));
}

nb::ndarray<nb::numpy, double> quantiles(const Rows2& alpha, const Rows3& mu, const Rows3& sigma, const Extras& extras,
                                         const std::vector<double>& levels) {
  mdn::validate_quantile_levels(levels);
  std::vector<double> q;
  std::size_t n = 0, T = 0;
  {
    nb::gil_scoped_release release;
    const mdn::MixtureBatch mix = to_batch(alpha, mu, sigma, extras);
    n = std::size_t(mix.rows);
    T = std::size_t(mix.T);
    q = mdn::predictive_quantiles(mix, levels);
  }
  return to_numpy(std::move(q), {n, T, levels.size()});
}

// The marginal CDF of every target (n, T), or the joint CDF (n,).
nb::ndarray<nb::numpy, double> cdf(const Rows2& alpha, const Rows3& mu, const Rows3& sigma, const Extras& extras, const Rows2& y,
                                   bool joint) {
  std::vector<double> out;
  std::size_t n = 0, T = 0;
  {
    nb::gil_scoped_release release;
    const mdn::MixtureBatch mix = to_batch(alpha, mu, sigma, extras);
    check_values(mix, y);
    n = std::size_t(mix.rows);
    T = std::size_t(mix.T);
    // Here, not inside the parallel loop (no exception may leave it).
    if (joint && mix.full_covariance()) throw mdn::UsageError(kNoFullJointCdf);
    const double* v = y.data();
    out.resize(joint ? n : n * T);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < mix.rows; ++r) {
      if (joint) {
        out[std::size_t(r)] = mdn::mixture_joint_cdf(mix, r, v + std::size_t(r) * T);
      } else {
        for (std::size_t d = 0; d < T; ++d)
          out[std::size_t(r) * T + d] = mdn::mixture_pit(mix, r, int(d), v[std::size_t(r) * T + d]);
      }
    }
  }
  if (joint) return to_numpy(std::move(out), {n});
  return to_numpy(std::move(out), {n, T});
}

// log p(y | x) of the joint density, per row (n,): minus mixture_nll, the
// function behind score and `mdn eval`'s NLL.
nb::ndarray<nb::numpy, double> logpdf(const Rows2& alpha, const Rows3& mu, const Rows3& sigma, const Extras& extras, const Rows2& y) {
  std::vector<double> out;
  std::size_t n = 0;
  {
    nb::gil_scoped_release release;
    const mdn::MixtureBatch mix = to_batch(alpha, mu, sigma, extras);
    check_values(mix, y);
    n = std::size_t(mix.rows);
    out.resize(n);
    const double* v = y.data();
#pragma omp parallel for schedule(static)
    for (int r = 0; r < mix.rows; ++r)
      out[std::size_t(r)] = -mdn::mixture_nll(mix, r, v + std::size_t(r) * std::size_t(mix.T));
  }
  return to_numpy(std::move(out), {n});
}

nb::tuple modes(const Rows2& alpha, const Rows3& mu, const Rows3& sigma, const Extras& extras) {
  std::vector<double> location, density;
  std::size_t n = 0, K = 0, T = 0;
  {
    nb::gil_scoped_release release;
    const mdn::MixtureBatch mix = to_batch(alpha, mu, sigma, extras);
    n = std::size_t(mix.rows);
    K = std::size_t(mix.K);
    T = std::size_t(mix.T);
    location.assign(n * K * T, kNaN);
    density.assign(n * K, kNaN);
    const auto found = mdn::predictive_modes(mix);
    for (std::size_t r = 0; r < n; ++r) put_modes(found[r], r, K, T, location.data(), density.data());
  }
  return nb::make_tuple(to_numpy(std::move(location), {n, K, T}), to_numpy(std::move(density), {n, K}));
}

nb::ndarray<nb::numpy, double> regions(const Rows2& alpha, const Rows3& mu, const Rows3& sigma, const Extras& extras, double coverage) {
  mdn::validate_coverage(coverage);
  std::vector<double> ends;
  std::size_t n = 0, K = 0, T = 0;
  {
    nb::gil_scoped_release release;
    const mdn::MixtureBatch mix = to_batch(alpha, mu, sigma, extras);
    n = std::size_t(mix.rows);
    K = std::size_t(mix.K);
    T = std::size_t(mix.T);
    ends.assign(n * T * K * 2, kNaN);
    for (std::size_t d = 0; d < T; ++d) {
      const auto found = mdn::predictive_hdr(mix, int(d), coverage);
      for (std::size_t r = 0; r < n; ++r) put_region(found[r], r, d, T, K, ends.data());
    }
  }
  return to_numpy(std::move(ends), {n, T, K, 2});
}

nb::ndarray<nb::numpy, double> sample(const Rows2& alpha, const Rows3& mu, const Rows3& sigma, const Extras& extras, int samples,
                                      std::uint64_t seed) {
  if (samples < 1) throw mdn::UsageError("n_samples must be at least 1 (got " + std::to_string(samples) + ")");
  std::vector<double> out;
  std::size_t n = 0, T = 0;
  {
    nb::gil_scoped_release release;
    const mdn::MixtureBatch mix = to_batch(alpha, mu, sigma, extras);
    n = std::size_t(mix.rows);
    T = std::size_t(mix.T);
    mdn::SampleOptions options;
    options.seed = seed;
    out.resize(n * std::size_t(samples) * T);
    mdn::sample_mixtures(mix, samples, options, 0, out.data());
  }
  return to_numpy(std::move(out), {n, std::size_t(samples), T});
}

}  // namespace

void bind_mixtures(nb::module_& m) {
  m.def("mixture_check", &check, nb::arg("alpha"), nb::arg("mu"), nb::arg("sigma"), nb::arg("knots"),
        "ValueError unless alpha (n, K), mu and sigma (n, K, T) make n mixtures.");
  m.def("mixture_moments", &moments, nb::arg("alpha"), nb::arg("mu"), nb::arg("sigma"), nb::arg("knots"),
        "Marginal mean (n, T) and standard deviation (n, T).");
  m.def("mixture_quantiles", &quantiles, nb::arg("alpha"), nb::arg("mu"), nb::arg("sigma"), nb::arg("knots"), nb::arg("levels"),
        "Marginal quantiles (n, T, L).");
  m.def("mixture_cdf", &cdf, nb::arg("alpha"), nb::arg("mu"), nb::arg("sigma"), nb::arg("knots"), nb::arg("y"), nb::arg("joint"),
        "Marginal CDFs at y (n, T), or the joint CDF (n,) when joint.");
  m.def("mixture_logpdf", &logpdf, nb::arg("alpha"), nb::arg("mu"), nb::arg("sigma"), nb::arg("knots"), nb::arg("y"),
        "log of the joint density at y (n,).");
  m.def("mixture_modes", &modes, nb::arg("alpha"), nb::arg("mu"), nb::arg("sigma"), nb::arg("knots"),
        "Mode locations (n, K, T) and densities (n, K), NaN past the last mode.");
  m.def("mixture_regions", &regions, nb::arg("alpha"), nb::arg("mu"), nb::arg("sigma"), nb::arg("knots"), nb::arg("coverage"),
        "Highest-density intervals of each marginal (n, T, K, 2), NaN past the last one.");
  m.def("mixture_sample", &sample, nb::arg("alpha"), nb::arg("mu"), nb::arg("sigma"), nb::arg("knots"), nb::arg("samples"),
        nb::arg("seed"), "Draws (n, samples, T), keyed on (seed, row, draw).");
}

}  // namespace mdn_python
