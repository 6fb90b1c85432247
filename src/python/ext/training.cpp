// fit(): trains a model from numpy arrays with the library's trainer.
//
// Ctrl-C during training: the trainer calls back after every epoch; the
// callback takes the GIL and runs PyErr_CheckSignals(). A pending
// KeyboardInterrupt (or any exception raised by a Python signal handler or the
// progress callback) asks the trainer to stop; train() then throws
// mdn::Interrupted, and the Python exception is re-raised here. No model is
// returned (the estimator keeps the state it had before fit()).
#include "training.hpp"

#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <atomic>
#include <cstdint>
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
#include "mdn/spec.hpp"
#include "mdn/trainer.hpp"
#include "py_model.hpp"

namespace mdn_python {

namespace {

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

mdn::ModelSpec model_spec(const FitArgs& args, const mdn::Dataset& data) {
  mdn::ModelSpec spec;
  spec.input_dim = data.x.cols;
  spec.target_dim = data.t.cols;
  spec.components = args.components;
  spec.hidden = args.hidden;
  spec.validate();
  return spec;
}

mdn::TrainOptions train_options(const FitArgs& args) {
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
  return options;
}

// The trainer's hooks: after every epoch, with the GIL, a pending signal or
// an exception from on_epoch(epoch, epochs, train_nll, val_nll, improved,
// samples_per_second, seconds_elapsed, seconds_left) goes to `pending` and
// sets `stop`.
mdn::TrainHooks python_hooks(std::atomic<bool>& stop, std::optional<nb::python_error>& pending,
                             const nb::object& on_epoch) {
  mdn::TrainHooks hooks;
  hooks.stop_requested = &stop;
  hooks.on_epoch = [&stop, &pending, &on_epoch](const mdn::EpochReport& r) {
    nb::gil_scoped_acquire acquire;
    if (PyErr_CheckSignals() != 0) {
      pending.emplace();  // fetches the raised exception
      stop.store(true);
      return;
    }
    if (on_epoch.is_none()) return;
    try {
      on_epoch(r.epoch, r.epochs, r.train_nll + r.log_jacobian, r.val_nll + r.log_jacobian, r.improved,
               r.samples_per_second, r.seconds_elapsed, r.seconds_left);
    } catch (nb::python_error& e) {
      pending.emplace(std::move(e));
      stop.store(true);
    }
  };
  return hooks;
}

void check_fit_inputs(const InArray& x_in, const InArray& t_in, const std::vector<std::string>& feature_names,
                      const std::vector<std::string>& target_names) {
  if (x_in.shape(0) != t_in.shape(0))
    throw mdn::UsageError("X has " + std::to_string(x_in.shape(0)) + " rows but y has " +
                          std::to_string(t_in.shape(0)));
  if (feature_names.size() != x_in.shape(1) || target_names.size() != t_in.shape(1))
    throw mdn::UsageError("one name per feature and per target column is needed");
}

std::unique_ptr<PyModel> fit(const InArray& x_in, const InArray& t_in, std::vector<std::string> feature_names,
                             std::vector<std::string> target_names, const FitArgs& args, nb::object on_epoch) {
  const mdn::DeviceKind device = mdn::parse_device(args.device);
  check_fit_inputs(x_in, t_in, feature_names, target_names);
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
    const mdn::ModelSpec spec = model_spec(args, data);
    mdn::CudaOptions cuda;
    cuda.tf32 = args.tf32;
    backend = mdn::make_backend(device, spec, cuda);
    try {
      model = mdn::train(*backend, spec, data, train_options(args), python_hooks(stop, pending, on_epoch));
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

}  // namespace

void bind_training(nb::module_& m) {
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
  m.def("fit", &fit, nb::arg("x"), nb::arg("t"), nb::arg("feature_names"), nb::arg("target_names"), nb::arg("args"),
        nb::arg("on_epoch").none(), "Trains a model on x (n, D) and t (n, T), float32 or float64; returns a Model.");
}

}  // namespace mdn_python
