// mdn._core.Model (PyModel) and the module functions around it, one group
// of methods per file.
#pragma once
#include <nanobind/nanobind.h>

#include "py_model.hpp"

namespace mdn_python {

namespace nb = nanobind;

using ModelClass = nb::class_<PyModel>;

// model.cpp: the class, its read-only properties and its device; then the
// groups below.
void bind_model(nb::module_& m);
// predictions.cpp: mixture, statistics, modes, density_regions, sample.
void bind_predictions(ModelClass& cls);
// scores.cpp: nll, crps (against targets).
void bind_scores(ModelClass& cls);
// model_state.cpp: __getstate__ / __setstate__ (pickling).
void bind_model_state(ModelClass& cls);
// files.cpp: Model.save and the module's load_model.
void bind_files(nb::module_& m, ModelClass& cls);

}  // namespace mdn_python
