// mdn._core: the nanobind module behind the Python package `mdn`.
//
// A thin layer over the public C++ API (include/mdn/): no algorithm lives
// here. It converts numpy arrays to the library's Matrix (the one copy the
// library needs: float32, row-major) and the library's results back to numpy
// arrays without copying them, releases the GIL while the library works, and
// turns the library's exceptions into Python's:
//   mdn::UsageError -> ValueError      (bad input, bad parameters)
//   mdn::Error      -> RuntimeError    (runtime failures: no GPU, divergence, ...)
//   file errors     -> OSError         (load_model / save_model; mdn/_files.py
//                                       makes a missing file a FileNotFoundError)
//   std::bad_alloc  -> MemoryError
// The message is the library's one-line message, unchanged.
//
// Ctrl-C during training: the trainer calls back after every epoch; the
// callback takes the GIL and runs PyErr_CheckSignals(). A pending
// KeyboardInterrupt (or any exception raised by a Python signal handler or the
// progress callback) asks the trainer to stop; train() then throws
// mdn::Interrupted, and the Python exception is re-raised here. No model is
// returned (the estimator keeps the state it had before fit()).
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mdn/backend.hpp"
#include "mdn/dataset.hpp"
#include "mdn/device.hpp"
#include "mdn/error.hpp"
#include "mdn/inference.hpp"
#include "mdn/metrics.hpp"
#include "mdn/mixture.hpp"
#include "mdn/model.hpp"
#include "mdn/model_io.hpp"
#include "mdn/predictive.hpp"
#include "mdn/sampling.hpp"
#include "mdn/trainer.hpp"

namespace nb = nanobind;

namespace {

// A file could not be read or written (maps to OSError).
class FileError : public mdn::Error {
 public:
  using mdn::Error::Error;
};

// Any 2-D array on the CPU, read-only is fine, any dtype (checked below),
// any strides (C or Fortran order, slices).
using InArray = nb::ndarray<nb::ro, nb::ndim<2>, nb::device::cpu>;

// Rows per chunk of prediction work: the same as `mdn predict`'s default
// --chunk-rows, so memory stays bounded and the work is the CLI's.
constexpr int kChunkRows = 65536;
// The largest magnitude an input may hold (the CSV reader's limit too: a
// column's sums of squares must not overflow).
constexpr double kLargestValue = 3.4028234663852886e38;

// numpy array that owns `values` (moved, not copied).
template <class T>
nb::ndarray<nb::numpy, T> to_numpy(std::vector<T>&& values, std::initializer_list<std::size_t> shape) {
  auto* owned = new std::vector<T>(std::move(values));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return nb::ndarray<nb::numpy, T>(owned->data(), shape, owner);
}

// Copies a float32 or float64 array (any strides) into a row-major double
// MatrixD (original units; the library standardises in double before it
// rounds to float). Refuses NaN/Inf and magnitudes beyond 3.4e38 (as the CSV
// reader does), naming the first bad cell, and a wrong column count. Call
// without the GIL.
mdn::MatrixD to_matrix(const InArray& a, const char* what, int expected_cols = -1) {
  const std::size_t rows = a.shape(0), cols = a.shape(1);
  if (rows > std::size_t(INT_MAX) || cols > std::size_t(INT_MAX) || (cols > 0 && rows > std::size_t(INT_MAX) / cols))
    throw mdn::UsageError(std::string(what) + " has " + std::to_string(rows) + " x " + std::to_string(cols) +
                          " values; at most 2^31 - 1 are supported");
  if (expected_cols >= 0 && int(cols) != expected_cols)
    throw mdn::UsageError(std::string(what) + " has " + std::to_string(cols) + " columns; the model expects " +
                          std::to_string(expected_cols));
  const bool f32 = a.dtype() == nb::dtype<float>();
  const bool f64 = a.dtype() == nb::dtype<double>();
  if (!f32 && !f64) throw mdn::UsageError(std::string(what) + " must be float32 or float64");
  mdn::MatrixD m{int(rows), int(cols)};
  const std::int64_t rs = a.stride(0), cs = a.stride(1);  // in elements
  const int n = int(rows), c = int(cols);
  long long first_bad = LLONG_MAX;
  auto copy = [&](const auto* src) {
    long long bad = LLONG_MAX;
#pragma omp parallel for schedule(static) reduction(min : bad) if (std::size_t(n) * c > 65536)
    for (int r = 0; r < n; ++r) {
      double* out = m.row(r);
      const auto* in = src + std::int64_t(r) * rs;
      for (int j = 0; j < c; ++j) out[j] = double(in[std::int64_t(j) * cs]);
      for (int j = 0; j < c; ++j)
        if (!(std::fabs(out[j]) <= kLargestValue)) {  // also NaN
          bad = std::min(bad, (long long)r * c + j);
          break;
        }
    }
    first_bad = bad;
  };
  if (f32)
    copy(static_cast<const float*>(a.data()));
  else
    copy(static_cast<const double*>(a.data()));
  if (first_bad != LLONG_MAX)
    throw mdn::UsageError(std::string(what) + " contains NaN, infinity or a value beyond +-3.4e38" + " at row " +
                          std::to_string(first_bad / c) + ", column " + std::to_string(first_bad % c));
  return m;
}

// ---- a model and the backend that runs it --------------------------------------

class PyModel {
 public:
  PyModel(mdn::Model model, std::string device, bool tf32, std::string trained_on = "")
      : model_(std::move(model)), device_(std::move(device)), tf32_(tf32), trained_on_(std::move(trained_on)) {
    mdn::parse_device(device_);  // UsageError for an unknown name
  }

  const mdn::Model& model() const { return model_; }
  const std::string& device() const { return device_; }
  bool tf32() const { return tf32_; }
  const std::string& trained_on() const { return trained_on_; }

  // The device later calls run on; the backend is made again on the next call.
  void set_device(const std::string& device, bool tf32) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (device == device_ && tf32 == tf32_) return;
    mdn::parse_device(device);
    device_ = device;
    tf32_ = tf32;
    backend_.reset();
  }

  // Runs f(backend) under this model's lock (one call at a time per model:
  // a backend is not thread-safe). Call without the GIL.
  template <class F>
  auto with_backend(F&& f) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!backend_) {
      mdn::CudaOptions cuda;
      cuda.tf32 = tf32_;
      backend_ = mdn::make_backend(mdn::parse_device(device_), model_, cuda);
    }
    return f(*backend_);
  }

  std::string backend_name() {
    nb::gil_scoped_release release;
    return with_backend([](mdn::Backend& b) { return b.name(); });
  }

 private:
  mdn::Model model_;
  std::string device_;
  bool tf32_ = false;
  std::string trained_on_;
  std::unique_ptr<mdn::Backend> backend_;
  std::mutex mutex_;
};

// Calls chunk(backend, mixtures, begin, rows) for consecutive chunks of x.
// X and y of the same rows, for the scores (nll, crps): UsageError naming
// both counts when they differ.
std::pair<mdn::MatrixD, mdn::MatrixD> labelled_rows(PyModel& self, const InArray& x_in, const InArray& t_in) {
  mdn::MatrixD x = to_matrix(x_in, "X", self.model().spec.input_dim);
  mdn::MatrixD t = to_matrix(t_in, "y", self.model().spec.target_dim);
  if (t.rows != x.rows)
    throw mdn::UsageError("X has " + std::to_string(x.rows) + " rows but y has " + std::to_string(t.rows));
  return {std::move(x), std::move(t)};
}

template <class F>
void for_each_chunk(PyModel& self, const mdn::MatrixD& x, F&& chunk) {
  self.with_backend([&](mdn::Backend& backend) {
    for (int begin = 0; begin < x.rows; begin += kChunkRows) {
      const int rows = std::min(kChunkRows, x.rows - begin);
      const mdn::MixtureBatch mix =
          mdn::mixtures_from_head(self.model(), mdn::head_outputs(backend, self.model(), x, begin, rows));
      chunk(backend, mix, begin, rows);
    }
    return 0;
  });
}

// ---- training ------------------------------------------------------------------

// What fit() takes; every default is the library's own (ModelSpec,
// TrainOptions), so the estimator trains what `mdn train` trains.
struct FitArgs {
  int components = mdn::ModelSpec{}.components;
  std::vector<int> hidden = mdn::ModelSpec{}.hidden;
  int epochs = mdn::TrainOptions{}.epochs;
  int batch_size = mdn::TrainOptions{}.batch_size;
  double lr = mdn::TrainOptions{}.lr;
  double val_fraction = mdn::TrainOptions{}.val_fraction;
  int patience = mdn::TrainOptions{}.patience;
  double clip_norm = mdn::TrainOptions{}.clip_norm;
  int ensemble = mdn::TrainOptions{}.ensemble;
  std::uint64_t seed = 0;
  std::string device = "auto";
  bool tf32 = false;
};

std::unique_ptr<PyModel> fit(const InArray& x_in, const InArray& t_in, std::vector<std::string> feature_names,
                             std::vector<std::string> target_names, const FitArgs& args, nb::object on_epoch) {
  const mdn::DeviceKind device = mdn::parse_device(args.device);
  if (x_in.shape(0) != t_in.shape(0))
    throw mdn::UsageError("X has " + std::to_string(x_in.shape(0)) + " rows but y has " +
                          std::to_string(t_in.shape(0)));
  if (feature_names.size() != x_in.shape(1) || target_names.size() != t_in.shape(1))
    throw mdn::UsageError("one name per feature and per target column is needed");

  std::atomic<bool> stop{false};
  std::optional<nb::python_error> pending;  // a KeyboardInterrupt (or a callback's error) to re-raise
  std::unique_ptr<mdn::Backend> backend;
  mdn::Model model;
  bool interrupted = false;
  {
    nb::gil_scoped_release release;
    mdn::Dataset data;
    data.x = to_matrix(x_in, "X");
    data.t = to_matrix(t_in, "y");
    data.feature_names = std::move(feature_names);
    data.target_names = std::move(target_names);

    mdn::ModelSpec spec;
    spec.input_dim = data.x.cols;
    spec.target_dim = data.t.cols;
    spec.components = args.components;
    spec.hidden = args.hidden;
    spec.validate();

    mdn::TrainOptions options;
    options.epochs = args.epochs;
    options.batch_size = args.batch_size;
    options.lr = float(args.lr);
    options.val_fraction = float(args.val_fraction);
    options.patience = args.patience;
    options.clip_norm = float(args.clip_norm);
    options.ensemble = args.ensemble;
    // Members one after another: Ctrl-C is seen by the epoch callback through
    // PyErr_CheckSignals, and Python runs signal handlers only on its main
    // thread, which members side by side would not report from.
    options.concurrent_members = false;
    options.seed = args.seed;

    mdn::CudaOptions cuda;
    cuda.tf32 = args.tf32;
    backend = mdn::make_backend(device, spec, cuda);

    mdn::TrainHooks hooks;
    hooks.stop_requested = &stop;
    hooks.on_epoch = [&](const mdn::EpochReport& r) {
      nb::gil_scoped_acquire acquire;
      if (PyErr_CheckSignals() != 0) {
        pending.emplace();  // fetches the raised exception
        stop.store(true);
        return;
      }
      if (!on_epoch.is_none()) {
        try {
          on_epoch(r.epoch, r.epochs, r.train_nll + r.log_jacobian, r.val_nll + r.log_jacobian, r.improved,
                   r.samples_per_second, r.seconds_elapsed, r.seconds_left);
        } catch (nb::python_error& e) {
          pending.emplace(std::move(e));
          stop.store(true);
        }
      }
    };
    try {
      model = mdn::train(*backend, spec, data, options, hooks);
    } catch (const mdn::Interrupted&) {
      interrupted = true;
    }
  }
  if (pending) throw *pending;
  if (interrupted) throw mdn::Error("training was interrupted");
  std::string name = backend->name();
  backend.reset();  // let go of the training data (on the device for CUDA)
  return std::make_unique<PyModel>(std::move(model), args.device, args.tf32, std::move(name));
}

// ---- pickling: the whole model as plain Python values -----------------------------

nb::bytes floats_to_bytes(const std::vector<float>& v) {
  return nb::bytes(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}
nb::bytes doubles_to_bytes(const std::vector<double>& v) {
  return nb::bytes(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double));
}
std::vector<double> bytes_to_doubles(const nb::bytes& b) {
  if (b.size() % sizeof(double) != 0) throw mdn::UsageError("invalid model state: double buffer size");
  std::vector<double> v(b.size() / sizeof(double));
  if (!v.empty()) std::memcpy(v.data(), b.c_str(), b.size());
  return v;
}
std::vector<float> bytes_to_floats(const nb::bytes& b) {
  if (b.size() % sizeof(float) != 0) throw mdn::UsageError("invalid model state: float buffer size");
  std::vector<float> v(b.size() / sizeof(float));
  if (!v.empty()) std::memcpy(v.data(), b.c_str(), b.size());
  return v;
}

nb::tuple model_state(const PyModel& self) {
  const mdn::Model& m = self.model();
  const mdn::ModelSpec& s = m.spec;
  nb::tuple spec =
      nb::make_tuple(s.input_dim, s.target_dim, s.components, s.hidden, s.activation, s.log_sigma_min, s.log_sigma_max);
  nb::tuple stats = nb::make_tuple(doubles_to_bytes(m.stats.x_mean), doubles_to_bytes(m.stats.x_scale),
                                   doubles_to_bytes(m.stats.t_mean), doubles_to_bytes(m.stats.t_scale));
  nb::tuple history =
      nb::make_tuple(floats_to_bytes(m.history.train_nll), floats_to_bytes(m.history.val_nll), m.history.best_epoch);
  const mdn::Calibration& c = m.calibration;
  nb::tuple calibration = nb::make_tuple(floats_to_bytes(c.log_sigma_shift), c.val_nll_before, c.val_nll_after, c.rows);
  return nb::make_tuple(3, spec, stats, floats_to_bytes(m.params), m.feature_names, m.target_names, history,
                        self.device(), self.tf32(), self.trained_on(), m.members, calibration,
                        floats_to_bytes(m.grid_step));
}

mdn::Model model_from_state(const nb::tuple& state) {
  // Version 1 (10 fields): one network, no calibration or grid; version 2
  // (13 fields) adds the ensemble size, the calibration and the grid steps;
  // version 3 (13 fields) holds the standardisation statistics as doubles
  // (1 and 2: floats, read as the floats they were).
  const int version = state.size() > 0 ? nb::cast<int>(state[0]) : 0;
  if (!((version == 1 && state.size() == 10) || (version >= 2 && version <= 3 && state.size() == 13)))
    throw mdn::UsageError("invalid model state");
  mdn::Model m;
  nb::tuple spec = nb::cast<nb::tuple>(state[1]);
  m.spec.input_dim = nb::cast<int>(spec[0]);
  m.spec.target_dim = nb::cast<int>(spec[1]);
  m.spec.components = nb::cast<int>(spec[2]);
  m.spec.hidden = nb::cast<std::vector<int>>(spec[3]);
  m.spec.activation = nb::cast<std::string>(spec[4]);
  m.spec.log_sigma_min = nb::cast<float>(spec[5]);
  m.spec.log_sigma_max = nb::cast<float>(spec[6]);
  m.spec.validate();
  nb::tuple stats = nb::cast<nb::tuple>(state[2]);
  const auto statistics = [&](int i) {
    const nb::bytes b = nb::cast<nb::bytes>(stats[i]);
    if (version >= 3) return bytes_to_doubles(b);
    const std::vector<float> f = bytes_to_floats(b);
    return std::vector<double>(f.begin(), f.end());
  };
  m.stats.x_mean = statistics(0);
  m.stats.x_scale = statistics(1);
  m.stats.t_mean = statistics(2);
  m.stats.t_scale = statistics(3);
  m.params = bytes_to_floats(nb::cast<nb::bytes>(state[3]));
  m.feature_names = nb::cast<std::vector<std::string>>(state[4]);
  m.target_names = nb::cast<std::vector<std::string>>(state[5]);
  nb::tuple history = nb::cast<nb::tuple>(state[6]);
  m.history.train_nll = bytes_to_floats(nb::cast<nb::bytes>(history[0]));
  m.history.val_nll = bytes_to_floats(nb::cast<nb::bytes>(history[1]));
  m.history.best_epoch = nb::cast<int>(history[2]);
  if (version >= 2) {
    m.members = nb::cast<int>(state[10]);
    nb::tuple calibration = nb::cast<nb::tuple>(state[11]);
    m.calibration.log_sigma_shift = bytes_to_floats(nb::cast<nb::bytes>(calibration[0]));
    m.calibration.val_nll_before = nb::cast<double>(calibration[1]);
    m.calibration.val_nll_after = nb::cast<double>(calibration[2]);
    m.calibration.rows = nb::cast<long long>(calibration[3]);
    m.grid_step = bytes_to_floats(nb::cast<nb::bytes>(state[12]));
  }
  if (m.members < 1 || m.members > mdn::kMaxMembers) throw mdn::UsageError("invalid model state: ensemble size");
  const std::size_t D = std::size_t(m.spec.input_dim), T = std::size_t(m.spec.target_dim);
  if (m.params.size() != mdn::ParameterLayout(m.spec).total * std::size_t(m.members) || m.stats.x_mean.size() != D ||
      m.stats.x_scale.size() != D || m.stats.t_mean.size() != T || m.stats.t_scale.size() != T ||
      m.feature_names.size() != D || m.target_names.size() != T ||
      !(m.calibration.log_sigma_shift.empty() || m.calibration.log_sigma_shift.size() == T) ||
      !(m.grid_step.empty() || m.grid_step.size() == T))
    throw mdn::UsageError("invalid model state: sizes do not match the spec");
  return m;
}

}  // namespace

NB_MODULE(_core, m) {
  m.doc() = "mdn._core: the C++ library behind the mdn package (use mdn.MDNRegressor)";

  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const FileError& e) {
      PyErr_SetString(PyExc_OSError, e.what());
    } catch (const mdn::UsageError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const mdn::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });

  m.attr("max_components") = mdn::kMaxComponents;
  m.attr("max_targets") = mdn::kMaxTargetDim;
  m.attr("model_format_version") = mdn::kModelFormatVersion;
  m.def(
      "cuda_available",
      [] {
        nb::gil_scoped_release release;
        return mdn::cuda_available();
      },
      "True when this build has the CUDA backend and a GPU is usable.");
  m.def(
      "cuda_problem",
      [] {
        nb::gil_scoped_release release;
        return mdn::cuda_problem();
      },
      "Why a present GPU cannot be used (empty when it can, or when there is none).");
  m.def(
      "parse_device", [](const std::string& name) { mdn::parse_device(name); },
      "Checks a device name: 'cpu', 'cuda' or 'auto' (ValueError otherwise).");

  nb::class_<FitArgs>(m, "FitArgs")
      .def(nb::init<>())
      .def_rw("components", &FitArgs::components)
      .def_rw("hidden", &FitArgs::hidden)
      .def_rw("epochs", &FitArgs::epochs)
      .def_rw("batch_size", &FitArgs::batch_size)
      .def_rw("lr", &FitArgs::lr)
      .def_rw("val_fraction", &FitArgs::val_fraction)
      .def_rw("patience", &FitArgs::patience)
      .def_rw("clip_norm", &FitArgs::clip_norm)
      .def_rw("ensemble", &FitArgs::ensemble)
      .def_rw("seed", &FitArgs::seed)
      .def_rw("device", &FitArgs::device)
      .def_rw("tf32", &FitArgs::tf32);

  nb::class_<PyModel>(m, "Model", "A trained model (mdn::Model) and the backend that runs it.")
      .def_prop_ro("n_features", [](const PyModel& s) { return s.model().spec.input_dim; })
      .def_prop_ro("n_targets", [](const PyModel& s) { return s.model().spec.target_dim; })
      .def_prop_ro("components", [](const PyModel& s) { return s.model().spec.components; })
      .def_prop_ro("members", [](const PyModel& s) { return s.model().members; })
      .def_prop_ro("hidden", [](const PyModel& s) { return s.model().spec.hidden; })
      .def_prop_ro("feature_names", [](const PyModel& s) { return s.model().feature_names; })
      .def_prop_ro("target_names", [](const PyModel& s) { return s.model().target_names; })
      .def_prop_ro("log_jacobian", [](const PyModel& s) { return s.model().stats.log_jacobian(); })
      .def_prop_ro(
          "train_nll",
          [](const PyModel& s) {
            std::vector<float> v = s.model().history.train_nll;
            return to_numpy(std::move(v), {s.model().history.train_nll.size()});
          },
          nb::rv_policy::automatic)
      .def_prop_ro(
          "val_nll",
          [](const PyModel& s) {
            std::vector<float> v = s.model().history.val_nll;
            return to_numpy(std::move(v), {s.model().history.val_nll.size()});
          },
          nb::rv_policy::automatic)
      .def_prop_ro("best_epoch", [](const PyModel& s) { return s.model().history.best_epoch; })
      .def_prop_ro("device", &PyModel::device)
      .def_prop_ro("trained_on", &PyModel::trained_on)
      .def("set_device", &PyModel::set_device, nb::arg("device"), nb::arg("tf32") = false)
      .def("backend_name", &PyModel::backend_name)
      .def(
          "save",
          [](PyModel& self, const std::string& path) {
            nb::gil_scoped_release release;
            try {
              mdn::save_model(self.model(), path);
            } catch (const mdn::UsageError&) {
              throw;
            } catch (const mdn::Error& e) {
              throw FileError(e.what());
            }
          },
          nb::arg("path"))
      .def(
          "mixture",
          [](PyModel& self, const InArray& x_in) {
            mdn::MixtureBatch mix;
            {
              nb::gil_scoped_release release;
              const mdn::MatrixD x = to_matrix(x_in, "X", self.model().spec.input_dim);
              mix = self.with_backend([&](mdn::Backend& b) { return mdn::predict_mixtures(b, self.model(), x); });
            }
            const std::size_t n = std::size_t(mix.rows), K = std::size_t(mix.K), T = std::size_t(mix.T);
            return nb::make_tuple(to_numpy(std::move(mix.alpha), {n, K}), to_numpy(std::move(mix.mu), {n, K, T}),
                                  to_numpy(std::move(mix.sigma), {n, K, T}));
          },
          nb::arg("x"), "alpha (n, K), mu (n, K, T), sigma (n, K, T), float64, original units.")
      .def(
          "statistics",
          [](PyModel& self, const InArray& x_in, const std::vector<double>& levels) {
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
          },
          nb::arg("x"), nb::arg("levels"), "mean (n, T), std (n, T), quantiles (n, T, L), float64.")
      .def(
          "modes",
          [](PyModel& self, const InArray& x_in) {
            const std::size_t T = std::size_t(self.model().spec.target_dim),
                              K = std::size_t(self.model().mixture_spec().components);
            std::vector<double> location, density;
            std::size_t n = 0;
            {
              nb::gil_scoped_release release;
              const mdn::MatrixD x = to_matrix(x_in, "X", self.model().spec.input_dim);
              n = std::size_t(x.rows);
              location.assign(n * K * T, std::numeric_limits<double>::quiet_NaN());
              density.assign(n * K, std::numeric_limits<double>::quiet_NaN());
              for_each_chunk(self, x, [&](mdn::Backend& b, const mdn::MixtureBatch& mix, int begin, int rows) {
                const auto modes = b.modes(mix);
                for (int r = 0; r < rows; ++r) {
                  const std::size_t row = std::size_t(begin) + std::size_t(r);
                  for (std::size_t i = 0; i < std::min(K, modes[r].size()); ++i) {
                    density[row * K + i] = modes[r][i].density;
                    for (std::size_t d = 0; d < T; ++d) location[(row * K + i) * T + d] = modes[r][i].location[d];
                  }
                }
              });
            }
            return nb::make_tuple(to_numpy(std::move(location), {n, K, T}), to_numpy(std::move(density), {n, K}));
          },
          nb::arg("x"), "mode locations (n, K, T) and densities (n, K), NaN past the last mode.")
      .def(
          "density_regions",
          [](PyModel& self, const InArray& x_in, double coverage) {
            mdn::validate_coverage(coverage);
            const std::size_t T = std::size_t(self.model().spec.target_dim),
                              K = std::size_t(self.model().mixture_spec().components);
            std::vector<double> ends;
            std::size_t n = 0;
            {
              nb::gil_scoped_release release;
              const mdn::MatrixD x = to_matrix(x_in, "X", self.model().spec.input_dim);
              n = std::size_t(x.rows);
              ends.assign(n * T * K * 2, std::numeric_limits<double>::quiet_NaN());
              for_each_chunk(self, x, [&](mdn::Backend& b, const mdn::MixtureBatch& mix, int begin, int rows) {
                for (std::size_t d = 0; d < T; ++d) {
                  const auto regions = b.density_regions(mix, int(d), coverage);
                  for (int r = 0; r < rows; ++r) {
                    const std::size_t row = std::size_t(begin) + std::size_t(r);
                    const auto& iv = regions[r].intervals;
                    for (std::size_t i = 0; i < std::min(K, iv.size()); ++i) {
                      ends[((row * T + d) * K + i) * 2] = iv[i].lo;
                      ends[((row * T + d) * K + i) * 2 + 1] = iv[i].hi;
                    }
                  }
                }
              });
            }
            return to_numpy(std::move(ends), {n, T, K, 2});
          },
          nb::arg("x"), nb::arg("coverage"), "HDR intervals (n, T, K, 2), NaN past the last interval.")
      .def(
          "sample",
          [](PyModel& self, const InArray& x_in, int samples, std::uint64_t seed) {
            if (samples < 1)
              throw mdn::UsageError("n_samples must be at least 1 (got " + std::to_string(samples) + ")");
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
                  b.sample(z, self.model().stats, samples, options, begin, out.data() + std::size_t(begin) * per_row);
                }
                return 0;
              });
            }
            return to_numpy(std::move(out), {n, S, T});
          },
          nb::arg("x"), nb::arg("samples"), nb::arg("seed"), "draws (n, samples, T), float64.")
      .def(
          "nll",
          [](PyModel& self, const InArray& x_in, const InArray& t_in) {
            std::vector<double> nll;
            std::size_t n = 0;
            {
              nb::gil_scoped_release release;
              const auto rows_xy = labelled_rows(self, x_in, t_in);
              const mdn::MatrixD &x = rows_xy.first, &t = rows_xy.second;
              n = std::size_t(x.rows);
              nll.resize(n);
              for_each_chunk(self, x, [&](mdn::Backend&, const mdn::MixtureBatch& mix, int begin, int rows) {
#pragma omp parallel for schedule(static)
                for (int r = 0; r < rows; ++r) nll[std::size_t(begin) + r] = mdn::mixture_nll(mix, r, t.row(begin + r));
              });
            }
            return to_numpy(std::move(nll), {n});
          },
          nb::arg("x"), nb::arg("t"), "-log p(t | x) per row (n,), float64, target units.")
      .def(
          "crps",
          [](PyModel& self, const InArray& x_in, const InArray& t_in) {
            const std::size_t T = std::size_t(self.model().spec.target_dim);
            std::vector<double> crps;
            std::size_t n = 0;
            {
              nb::gil_scoped_release release;
              const auto rows_xy = labelled_rows(self, x_in, t_in);
              const mdn::MatrixD &x = rows_xy.first, &t = rows_xy.second;
              n = std::size_t(x.rows);
              crps.resize(n * T);
              for_each_chunk(self, x, [&](mdn::Backend&, const mdn::MixtureBatch& mix, int begin, int rows) {
#pragma omp parallel for schedule(static)
                for (int r = 0; r < rows; ++r)
                  for (std::size_t d = 0; d < T; ++d)
                    crps[(std::size_t(begin) + r) * T + d] = mdn::mixture_crps(mix, r, int(d), t(begin + r, int(d)));
              });
            }
            return to_numpy(std::move(crps), {n, T});
          },
          nb::arg("x"), nb::arg("t"), "CRPS of each marginal (n, T), float64, target units.")
      .def("__getstate__", &model_state)
      .def("__setstate__", [](PyModel& self, const nb::tuple& state) {
        mdn::Model m = model_from_state(state);
        new (&self) PyModel(std::move(m), nb::cast<std::string>(state[7]), nb::cast<bool>(state[8]),
                            nb::cast<std::string>(state[9]));
      });

  m.def("fit", &fit, nb::arg("x"), nb::arg("t"), nb::arg("feature_names"), nb::arg("target_names"), nb::arg("args"),
        nb::arg("on_epoch").none(), "Trains a model on x (n, D) and t (n, T), float32 or float64; returns a Model.");

  m.def(
      "load_model",
      [](const std::string& path, const std::string& device, bool tf32) {
        mdn::Model model;
        {
          nb::gil_scoped_release release;
          try {
            model = mdn::load_model(path);
          } catch (const mdn::UsageError&) {
            throw;
          } catch (const mdn::Error& e) {
            throw FileError(e.what());
          }
        }
        return std::make_unique<PyModel>(std::move(model), device, tf32);
      },
      nb::arg("path"), nb::arg("device") = "auto", nb::arg("tf32") = false,
      "Reads a .safetensors model file written by mdn train or Model.save.");
}
