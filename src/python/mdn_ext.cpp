// mdn._core: the nanobind module behind the Python package `mdn`.
//
// A thin layer over the public C++ API (include/mdn/): no algorithm lives
// here. It converts numpy arrays to the library's matrices (ext/arrays: the
// one copy the library needs) and the library's results back to numpy arrays
// without copying them, releases the GIL while the library works, and turns
// the library's exceptions into Python's, in the package's words
// (ext/errors). One file of ext/ per group of bindings:
//   ext/errors        exception translation
//   ext/training      FitArgs, fit
//   ext/model         Model: properties, device; with ext/predictions,
//                     ext/scores, ext/model_state (pickling), ext/files
//                     (save, load_model)
//   ext/mixtures      mixture_*: mixtures given as arrays (MixtureDistribution)
// This file defines the module: the library's limits, version and devices,
// then each group.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <string>

#include "ext/errors.hpp"
#include "ext/mixtures.hpp"
#include "ext/model_bindings.hpp"
#include "ext/training.hpp"
#include "mdn/backend.hpp"
#include "mdn/device.hpp"
#include "mdn/model.hpp"
#include "mdn/model_io.hpp"
#include "mdn/spec.hpp"

#ifndef MDN_VERSION
#error "MDN_VERSION (the CMake project's version) must be defined by the build"
#endif

namespace nb = nanobind;

namespace {

void bind_library_info(nb::module_& m) {
  m.attr("__version__") = MDN_VERSION;
  m.attr("max_components") = mdn::kMaxComponents;
  m.attr("max_targets") = mdn::kMaxTargetDim;
  m.attr("model_format_version") = mdn::kModelFormatVersion;
}

void bind_devices(nb::module_& m) {
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
}

}  // namespace

NB_MODULE(_core, m) {
  m.doc() = "mdn._core: the C++ library behind the mdn package (use mdn.MDNRegressor)";
  mdn_python::bind_errors(m);
  bind_library_info(m);
  bind_devices(m);
  mdn_python::bind_model(m);
  mdn_python::bind_training(m);
  mdn_python::bind_mixtures(m);
}
