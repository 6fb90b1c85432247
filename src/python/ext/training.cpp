// fit(): trains a model from numpy arrays with the library's trainer.
//
// Ctrl-C during training: the trainer calls back after every epoch; the
// callback takes the GIL and runs PyErr_CheckSignals(). A pending
// KeyboardInterrupt (or any exception raised by a Python signal handler or the
// progress callback) asks the trainer to stop; train() then throws
// mdn::Interrupted, and the Python exception is re-raised here. No model is
// returned (the estimator keeps the state it had before fit()).
//
// Sample weights (Dataset::weights), validation rows of the user's own
// (TrainHooks::validation) and a model to start from (TrainHooks::init_model)
// come checked by the estimator (MDNRegressor.fit); the library checks them
// again, and its messages reach Python in the package's words (errors.cpp).
#include "training.hpp"

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "arrays.hpp"
#include "mdn/backend.hpp"
#include "mdn/dataset.hpp"
#include "mdn/device.hpp"
#include "mdn/error.hpp"
#include "mdn/transform_fit.hpp"
#include "mdn/grid.hpp"
#include "mdn/spec.hpp"
#include "mdn/trainer.hpp"
#include "mdn/tuner.hpp"
#include "py_model.hpp"

namespace mdn_python {

namespace {

// A float default of the library as the double of its shortest decimal: the
// header's 2e-3f is 0.0020000000949949026 as a double, which is what Python
// would show; this gives 0.002, whose float is the header's float again, so
// the estimator trains with exactly the library's value (docs/PYTHON.md).
double decimal(float v) {
  char text[32];
  const auto written = std::to_chars(text, text + sizeof text, v);  // shortest round-trip form
  double out = 0.0;
  std::from_chars(text, written.ptr, out);
  return out;
}

// The default sigma floor as the help of mdn train shows it ("%g" of the
// sigma the default log-sigma bound gives): 0.0001. Its log rounds to the
// bound itself; model_spec() keeps the bound untouched for it anyway, so a
// default fit is bit for bit the CLI's default.
double default_sigma_floor() {
  char text[32];
  std::snprintf(text, sizeof text, "%g", std::exp(double(mdn::kDefaultLogSigmaMin)));
  double out = 0.0;
  std::from_chars(text, text + std::strlen(text), out);
  return out;
}

const char* schedule_name(mdn::LrSchedule s) { return s == mdn::LrSchedule::Cosine ? "cosine" : "constant"; }

mdn::LrSchedule parse_schedule(const std::string& name) {
  if (name == "cosine") return mdn::LrSchedule::Cosine;
  if (name == "constant") return mdn::LrSchedule::Constant;
  throw mdn::UsageError("TrainOptions::schedule must be 'cosine' or 'constant' (got '" + name + "')");
}

std::string format_g(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

// What fit() takes: every `mdn train` option, under the estimator's names.
// Every default is the library's own (ModelSpec, TrainOptions), floats as
// their shortest decimal (decimal() above), so the estimator trains what
// `mdn train` trains and get_params() shows the numbers the header writes.
struct FitArgs {
  int components = mdn::ModelSpec{}.components;
  std::vector<int> hidden = mdn::ModelSpec{}.hidden;
  int epochs = mdn::TrainOptions{}.epochs;
  long long steps = mdn::TrainOptions{}.steps;
  int batch_size = mdn::TrainOptions{}.batch_size;
  double lr = decimal(mdn::TrainOptions{}.lr);
  std::string schedule = schedule_name(mdn::TrainOptions{}.schedule);
  double warmup = decimal(mdn::TrainOptions{}.warmup_fraction);
  double min_lr = decimal(mdn::TrainOptions{}.min_lr_fraction);
  double weight_decay = decimal(mdn::TrainOptions{}.weight_decay);
  double input_noise = decimal(mdn::TrainOptions{}.input_noise);
  double target_noise = decimal(mdn::TrainOptions{}.target_noise);
  double weight_average = decimal(mdn::TrainOptions{}.weight_average);
  double val_fraction = decimal(mdn::TrainOptions{}.val_fraction);
  int patience = mdn::TrainOptions{}.patience;
  double clip_norm = decimal(mdn::TrainOptions{}.clip_norm);
  std::string calibrate = "auto";  // "auto", "on" or "off" (TrainOptions::CalibrateMode)
  bool cross_fit = mdn::TrainOptions{}.cross_fit;  // `mdn train --no-cross-fit` is false
  // "none", "log", "yeo-johnson", "auto", or a comma list of them, one per
  // target (TrainOptions::target_transform; parsed by the library).
  std::string target_transform = "none";
  int ensemble = mdn::TrainOptions{}.ensemble;
  bool bootstrap = mdn::TrainOptions{}.bootstrap;
  bool quantised = false;  // `mdn train --quantised`: grid_steps detected from y
  double sigma_floor = default_sigma_floor();
  // diagonal or full (ModelSpec::covariance; the CLI's covariance option).
  std::string covariance = mdn::ModelSpec{}.covariance == mdn::Covariance::Full ? "full" : "diagonal";
  std::uint64_t seed = mdn::TrainOptions{}.seed;
  std::string device = "auto";
  bool tf32 = false;
  int tune = 0;            // `mdn train --tune N`: configurations of the model search; 0 = none
  double tune_time = 0.0;  // `--tune-time`: its wall-time cap in seconds; 0 = none
  // random, or ordered (TuneOptions::ordered_folds; the CLI's tune-folds option)
  std::string tune_folds = "random";
};

mdn::ModelSpec model_spec(const FitArgs& args, const mdn::Dataset& data) {
  mdn::ModelSpec spec;
  spec.input_dim = data.x.cols;
  spec.target_dim = data.t.cols;
  spec.components = args.components;
  spec.hidden = args.hidden;
  // `mdn train --sigma-floor`: the smallest sigma, in target standard deviations.
  const float floor = float(args.sigma_floor);
  if (!(floor > 0.0f && floor < 1.0f))
    throw mdn::UsageError("sigma_floor= must be in (0, 1) (got " + format_g(args.sigma_floor) + ")");
  if (floor != float(default_sigma_floor())) spec.log_sigma_min = std::log(floor);
  if (args.covariance != "diagonal" && args.covariance != "full")
    throw mdn::UsageError("covariance= must be 'diagonal' or 'full' (got '" + args.covariance + "')");
  spec.covariance = args.covariance == "full" ? mdn::Covariance::Full : mdn::Covariance::Diagonal;
  spec.validate();
  return spec;
}

// `mdn train --quantised`: the grid step of every target column that sits on
// a grid (0 for the others), detected on all rows as the CLI does; empty when
// none does (training as usual).
std::vector<float> detected_grid_steps(const mdn::MatrixD& t) {
  std::vector<float> steps(std::size_t(t.cols), 0.0f);
  bool any = false;
  for (int d = 0; d < t.cols; ++d) {
    const double h = mdn::detect_grid_step(t, d);
    if (h > 0.0) {
      steps[std::size_t(d)] = float(h);
      any = true;
    }
  }
  return any ? steps : std::vector<float>{};
}

// The library's options from the estimator's: doubles become the library's
// floats here, and only here.
mdn::TrainOptions train_options(const FitArgs& args) {
  mdn::TrainOptions options;
  options.epochs = args.epochs;
  options.steps = args.steps;
  options.batch_size = args.batch_size;
  options.lr = float(args.lr);
  options.schedule = parse_schedule(args.schedule);
  options.warmup_fraction = float(args.warmup);
  options.min_lr_fraction = float(args.min_lr);
  options.weight_decay = float(args.weight_decay);
  options.input_noise = float(args.input_noise);
  options.target_noise = float(args.target_noise);
  options.weight_average = float(args.weight_average);
  options.val_fraction = float(args.val_fraction);
  options.patience = args.patience;
  options.clip_norm = float(args.clip_norm);
  using Mode = mdn::TrainOptions::CalibrateMode;
  options.calibrate = args.calibrate == "on" ? Mode::On : args.calibrate == "off" ? Mode::Off : Mode::Auto;
  options.cross_fit = args.cross_fit;
  options.ensemble = args.ensemble;
  options.bootstrap = args.bootstrap;
  try {
    if (args.target_transform != "none") options.target_transform = mdn::parse_target_transform_modes(args.target_transform);
  } catch (const mdn::UsageError& e) {
    throw mdn::UsageError(std::string("target_transform= ") + e.what());
  }
  // Members one after another: Ctrl-C is seen by the epoch callback through
  // PyErr_CheckSignals, and Python runs signal handlers only on its main
  // thread, which members side by side would not report from.
  options.concurrent_members = false;
  options.seed = args.seed;
  return options;
}

// Runs Python's signal handlers (the GIL held): an exception they raise
// (Ctrl-C's KeyboardInterrupt) is kept in `pending` to re-raise, and `stop`
// asks the library to stop. True when that happened.
bool python_signalled(std::atomic<bool>& stop, std::optional<nb::python_error>& pending) {
  if (PyErr_CheckSignals() == 0) return false;
  pending.emplace();  // fetches the raised exception
  stop.store(true);
  return true;
}

// The trainer's hooks: after every epoch (and before each cross-fitting
// fold), with the GIL, a pending signal or an exception from
// on_epoch(epoch, epochs, train_nll, val_nll, improved, samples_per_second,
// seconds_elapsed, seconds_left) goes to `pending` and sets `stop`.
mdn::TrainHooks python_hooks(std::atomic<bool>& stop, std::optional<nb::python_error>& pending,
                             const nb::object& on_epoch) {
  mdn::TrainHooks hooks;
  hooks.stop_requested = &stop;
  hooks.on_epoch = [&stop, &pending, &on_epoch](const mdn::EpochReport& r) {
    nb::gil_scoped_acquire acquire;
    if (python_signalled(stop, pending) || on_epoch.is_none()) return;
    try {
      on_epoch(r.epoch, r.epochs, r.train_nll + r.log_jacobian, r.val_nll + r.val_log_jacobian, r.improved,
               r.samples_per_second, r.seconds_elapsed, r.seconds_left);
    } catch (nb::python_error& e) {
      pending.emplace(std::move(e));
      stop.store(true);
    }
  };
  // The recalibration's fold models train without epoch reports: Ctrl-C is
  // looked for before each fold (a fold then stops after its first epoch),
  // and a verbose fit (on_epoch given) says which fold runs.
  hooks.on_cross_fit_fold = [&stop, &pending, &on_epoch](int fold, int folds) {
    nb::gil_scoped_acquire acquire;
    if (python_signalled(stop, pending) || on_epoch.is_none()) return;
    const std::string line = "calibration rows: cross-fitting fold " + std::to_string(fold) + " of " +
                             std::to_string(folds) + " (fewer than " + std::to_string(mdn::kMinCalibrationRows) +
                             " validation rows; cross_fit=False skips it)\n";
    try {
      nb::module_::import_("sys").attr("stderr").attr("write")(line);
    } catch (nb::python_error& e) {
      pending.emplace(std::move(e));
      stop.store(true);
    }
  };
  return hooks;
}

// Sample weights: one float64 per row, contiguous (the estimator converts them).
using WeightArray = nb::ndarray<nb::ro, const double, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

std::vector<double> to_weights(const std::optional<WeightArray>& w) {
  if (!w) return {};
  return std::vector<double>(w->data(), w->data() + w->shape(0));
}

void check_fit_inputs(const InArray& x_in, const InArray& t_in, const std::vector<std::string>& feature_names,
                      const std::vector<std::string>& target_names) {
  if (x_in.shape(0) != t_in.shape(0))
    throw mdn::UsageError("X has " + std::to_string(x_in.shape(0)) + " rows but y has " +
                          std::to_string(t_in.shape(0)));
  if (feature_names.size() != x_in.shape(1) || target_names.size() != t_in.shape(1))
    throw mdn::UsageError("one name per feature and per target column is needed");
}

// The model search (mdn/tuner.hpp) before the final training: sets spec and
// options to the best configuration and returns the search's JSON log and
// its summary; a pending signal (checked with the GIL after every wave of
// trainings) stops it, and `stop` is then set.
struct SearchOutput {
  std::string log, summary;
};
SearchOutput search(const FitArgs& args, const mdn::Dataset& data, mdn::ModelSpec& spec, mdn::TrainOptions& options,
                    mdn::DeviceKind device, const mdn::CudaOptions& cuda, std::atomic<bool>& stop,
                    std::optional<nb::python_error>& pending) {
  mdn::TuneOptions settings;
  settings.trials = args.tune;
  settings.time_limit = args.tune_time;
  if (args.tune_folds != "random" && args.tune_folds != "ordered")
    throw mdn::UsageError("tune_folds= must be 'random' or 'ordered' (got '" + args.tune_folds + "')");
  settings.ordered_folds = args.tune_folds == "ordered";
  settings.device = device;
  settings.cuda = cuda;
  mdn::TuneHooks hooks;
  hooks.stop_requested = &stop;
  hooks.on_progress = [&](const mdn::TuneProgress&) {
    nb::gil_scoped_acquire acquire;
    python_signalled(stop, pending);
  };
  const mdn::TuneResult result = mdn::tune(spec, data, options, settings, hooks);
  if (!result.stopped) {
    spec = result.best_candidate.spec;
    options = result.best_candidate.options;
  }
  return {mdn::tune_log_json(result), mdn::tune_summary_json(result)};
}

std::unique_ptr<PyModel> fit(const InArray& x_in, const InArray& t_in, std::vector<std::string> feature_names,
                             std::vector<std::string> target_names, const FitArgs& args, nb::object on_epoch,
                             std::optional<WeightArray> weights, std::optional<InArray> val_x,
                             std::optional<InArray> val_t, std::optional<WeightArray> val_weights,
                             const PyModel* init) {
  const mdn::DeviceKind device = mdn::parse_device(args.device);
  check_fit_inputs(x_in, t_in, feature_names, target_names);
  if (val_x.has_value() != val_t.has_value())
    throw mdn::UsageError("the validation data (TrainHooks::validation) needs both X and y");
  if (val_x) check_fit_inputs(*val_x, *val_t, feature_names, target_names);
  std::atomic<bool> stop{false};
  std::optional<nb::python_error> pending;  // a KeyboardInterrupt (or a callback's error) to re-raise
  std::unique_ptr<mdn::Backend> backend;
  mdn::Model model;
  bool interrupted = false;
  SearchOutput searched;
  {
    nb::gil_scoped_release release;
    mdn::Dataset data;
    // Training rows are held compactly, as `mdn train` holds them (the same
    // model bit for bit; mdn/dataset.hpp, DataMatrix).
    mdn::MatrixD x = to_matrix(x_in, "X");
    data.t = to_matrix(t_in, "y");
    data.feature_names = std::move(feature_names);
    data.target_names = std::move(target_names);
    data.weights = to_weights(weights);
    data.x = mdn::DataMatrix::compact(x, mdn::first_row_reference(x, data.weights));
    x = mdn::MatrixD();  // the doubles go: the rows are held once
    mdn::Dataset validation;
    if (val_x) {
      validation.x = to_matrix(*val_x, "X of eval_set", data.x.cols);
      validation.t = to_matrix(*val_t, "y of eval_set", data.t.cols);
      validation.feature_names = data.feature_names;
      validation.target_names = data.target_names;
      validation.weights = to_weights(val_weights);
    }
    mdn::ModelSpec spec = model_spec(args, data);
    mdn::TrainOptions options = train_options(args);
    if (args.quantised) options.grid_steps = detected_grid_steps(data.t);
    mdn::CudaOptions cuda;
    cuda.tf32 = args.tf32;
    if (args.tune != 0 && init != nullptr)
      throw mdn::UsageError("tune= cannot be used with warm_start=True: the search chooses the architecture");
    if (args.tune != 0) searched = search(args, data, spec, options, device, cuda, stop, pending);
    if (stop.load()) interrupted = true;
    backend = mdn::make_backend(device, spec, cuda);
    mdn::TrainHooks hooks = python_hooks(stop, pending, on_epoch);
    if (val_x) hooks.validation = &validation;
    if (init != nullptr) hooks.init_model = &init->model();
    try {
      if (!interrupted) model = mdn::train(*backend, spec, std::move(data), options, hooks);  // held once
    } catch (const mdn::Interrupted&) {
      interrupted = true;
    }
    model.tuning = searched.summary;
  }
  if (pending) throw *pending;
  if (interrupted) throw mdn::Error("training was interrupted");
  std::string name = backend->name();
  backend.reset();  // let go of the training data (on the device for CUDA)
  auto out = std::make_unique<PyModel>(std::move(model), args.device, args.tf32, std::move(name));
  out->set_tune_log(std::move(searched.log));
  return out;
}

}  // namespace

void bind_training(nb::module_& m) {
  nb::class_<FitArgs>(m, "FitArgs")
      .def(nb::init<>())
      .def_rw("components", &FitArgs::components)
      .def_rw("hidden", &FitArgs::hidden)
      .def_rw("epochs", &FitArgs::epochs)
      .def_rw("steps", &FitArgs::steps)
      .def_rw("batch_size", &FitArgs::batch_size)
      .def_rw("lr", &FitArgs::lr)
      .def_rw("schedule", &FitArgs::schedule)
      .def_rw("warmup", &FitArgs::warmup)
      .def_rw("min_lr", &FitArgs::min_lr)
      .def_rw("weight_decay", &FitArgs::weight_decay)
      .def_rw("input_noise", &FitArgs::input_noise)
      .def_rw("target_noise", &FitArgs::target_noise)
      .def_rw("weight_average", &FitArgs::weight_average)
      .def_rw("val_fraction", &FitArgs::val_fraction)
      .def_rw("patience", &FitArgs::patience)
      .def_rw("clip_norm", &FitArgs::clip_norm)
      .def_rw("calibrate", &FitArgs::calibrate)
      .def_rw("cross_fit", &FitArgs::cross_fit)
      .def_rw("target_transform", &FitArgs::target_transform)
      .def_rw("ensemble", &FitArgs::ensemble)
      .def_rw("bootstrap", &FitArgs::bootstrap)
      .def_rw("quantised", &FitArgs::quantised)
      .def_rw("sigma_floor", &FitArgs::sigma_floor)
      .def_rw("covariance", &FitArgs::covariance)
      .def_rw("seed", &FitArgs::seed)
      .def_rw("device", &FitArgs::device)
      .def_rw("tf32", &FitArgs::tf32)
      .def_rw("tune", &FitArgs::tune)
      .def_rw("tune_time", &FitArgs::tune_time)
      .def_rw("tune_folds", &FitArgs::tune_folds);
  m.def("fit", &fit, nb::arg("x"), nb::arg("t"), nb::arg("feature_names"), nb::arg("target_names"), nb::arg("args"),
        nb::arg("on_epoch").none(), nb::arg("weights").none() = nb::none(), nb::arg("val_x").none() = nb::none(),
        nb::arg("val_t").none() = nb::none(), nb::arg("val_weights").none() = nb::none(),
        nb::arg("init").none() = nb::none(),
        "Trains a model on x (n, D) and t (n, T), float32 or float64, with optional per-row weights (n,), "
        "validation rows of the caller's own (val_x, val_t, val_weights) and a Model to start from; returns a "
        "Model.");
}

}  // namespace mdn_python
