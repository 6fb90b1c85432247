// Training from Python: mdn._core.FitArgs and mdn._core.fit.
#pragma once
#include <nanobind/nanobind.h>

namespace mdn_python {

namespace nb = nanobind;

void bind_training(nb::module_& m);

}  // namespace mdn_python
