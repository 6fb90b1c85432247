// The library's exceptions as Python's.
#pragma once
#include <nanobind/nanobind.h>

#include "mdn/error.hpp"

namespace mdn_python {

namespace nb = nanobind;

// A file could not be read or written (OSError in Python).
class FileError : public mdn::Error {
 public:
  using mdn::Error::Error;
};

// Registers the translation of the library's exceptions, with the library's
// one-line message unchanged:
//   FileError       -> OSError
//   mdn::UsageError -> ValueError     (bad input, bad parameters)
//   mdn::Error      -> RuntimeError   (runtime failures: no GPU, divergence, ...)
// (std::bad_alloc is nanobind's MemoryError).
void bind_errors(nb::module_& m);

}  // namespace mdn_python
