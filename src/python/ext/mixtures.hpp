// Mixtures as arrays (mdn.MixtureDistribution): mdn._core.mixture_* functions.
#pragma once
#include <nanobind/nanobind.h>

namespace mdn_python {

namespace nb = nanobind;

void bind_mixtures(nb::module_& m);

}  // namespace mdn_python
