// How well a model's distribution explains targets y, per row: the negative
// log-likelihood, the CRPS of each marginal, and the CDF (each marginal's, or
// the joint one), float64 in target units.
#include <cstddef>
#include <utility>
#include <vector>

#include "arrays.hpp"
#include "mdn/error.hpp"
#include "mdn/joint_cdf.hpp"
#include "mdn/metrics.hpp"
#include "mixture_outputs.hpp"
#include "model_bindings.hpp"

namespace mdn_python {

namespace {

nb::ndarray<nb::numpy, double> nll(PyModel& self, const InArray& x_in, const InArray& t_in) {
  std::vector<double> out;
  std::size_t n = 0;
  {
    nb::gil_scoped_release release;
    const auto rows_xy = labelled_rows(self, x_in, t_in);
    const mdn::MatrixD &x = rows_xy.first, &t = rows_xy.second;
    n = std::size_t(x.rows);
    out.resize(n);
    for_each_chunk(self, x, [&](mdn::Backend&, const mdn::MixtureBatch& mix, int begin, int rows) {
#pragma omp parallel for schedule(static)
      for (int r = 0; r < rows; ++r) out[std::size_t(begin) + r] = mdn::mixture_nll(mix, r, t.row(begin + r));
    });
  }
  return to_numpy(std::move(out), {n});
}

nb::ndarray<nb::numpy, double> crps(PyModel& self, const InArray& x_in, const InArray& t_in) {
  const std::size_t T = std::size_t(self.model().spec.target_dim);
  std::vector<double> out;
  std::size_t n = 0;
  {
    nb::gil_scoped_release release;
    const auto rows_xy = labelled_rows(self, x_in, t_in);
    const mdn::MatrixD &x = rows_xy.first, &t = rows_xy.second;
    n = std::size_t(x.rows);
    out.resize(n * T);
    for_each_chunk(self, x, [&](mdn::Backend&, const mdn::MixtureBatch& mix, int begin, int rows) {
#pragma omp parallel for schedule(static)
      for (int r = 0; r < rows; ++r)
        for (std::size_t d = 0; d < T; ++d)
          out[(std::size_t(begin) + r) * T + d] = mdn::mixture_crps(mix, r, int(d), t(begin + r, int(d)));
    });
  }
  return to_numpy(std::move(out), {n, T});
}

// The marginal CDF (PIT) of every target at y (n, T), or the joint CDF (n,).
nb::ndarray<nb::numpy, double> cdf(PyModel& self, const InArray& x_in, const InArray& t_in, bool joint) {
  const std::size_t T = std::size_t(self.model().spec.target_dim);
  // Checked here, not by mixture_joint_cdf inside the parallel loop below
  // (an exception must not leave an OpenMP region).
  if (joint && self.model().spec.covariance == mdn::Covariance::Full) throw mdn::UsageError(kNoFullJointCdf);
  std::vector<double> out;
  std::size_t n = 0;
  {
    nb::gil_scoped_release release;
    const auto rows_xy = labelled_rows(self, x_in, t_in);
    const mdn::MatrixD &x = rows_xy.first, &t = rows_xy.second;
    n = std::size_t(x.rows);
    out.resize(joint ? n : n * T);
    for_each_chunk(self, x, [&](mdn::Backend&, const mdn::MixtureBatch& mix, int begin, int rows) {
#pragma omp parallel for schedule(static)
      for (int r = 0; r < rows; ++r) {
        const std::size_t row = std::size_t(begin) + std::size_t(r);
        if (joint) {
          out[row] = mdn::mixture_joint_cdf(mix, r, t.row(begin + r));
        } else {
          for (std::size_t d = 0; d < T; ++d) out[row * T + d] = mdn::mixture_pit(mix, r, int(d), t(begin + r, int(d)));
        }
      }
    });
  }
  if (joint) return to_numpy(std::move(out), {n});
  return to_numpy(std::move(out), {n, T});
}

}  // namespace

void bind_scores(ModelClass& cls) {
  cls.def("nll", &nll, nb::arg("x"), nb::arg("t"), "-log p(t | x) per row (n,), float64, target units.")
      .def("crps", &crps, nb::arg("x"), nb::arg("t"), "CRPS of each marginal (n, T), float64, target units.")
      .def("cdf", &cdf, nb::arg("x"), nb::arg("t"), nb::arg("joint"),
           "Marginal CDFs F_d(t_d | x) (n, T), or the joint CDF (n,) when joint.");
}

}  // namespace mdn_python
