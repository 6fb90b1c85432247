// The library's exceptions as Python's, in the Python package's words.
#pragma once
#include <nanobind/nanobind.h>

#include <string>

#include "mdn/error.hpp"

namespace mdn_python {

namespace nb = nanobind;

// A file could not be read or written (OSError in Python).
class FileError : public mdn::Error {
 public:
  using mdn::Error::Error;
};

// A library message in the package's words: each `TrainOptions::FIELD` it
// names becomes the estimator's parameter followed by '=' ("batch_size=",
// "random_state=" for the library's seed), or the plain field name where
// the estimator has no such parameter ("checkpoint_every"); each
// `TrainHooks::validation` becomes "eval_set" (fit's argument) and
// `TrainHooks::init_model` "warm_start=". Everything else is kept as it is.
std::string python_words(const std::string& message);

// Registers the translation of the library's exceptions, each message passed
// through python_words:
//   FileError       -> OSError
//   mdn::UsageError -> ValueError     (bad input, bad parameters)
//   mdn::Error      -> RuntimeError   (runtime failures: no GPU, divergence, ...)
// (std::bad_alloc is nanobind's MemoryError), and the private functions the
// tests read: _python_words(message) and _train_options_parameters(), the
// table behind it ({field: parameter or None}).
void bind_errors(nb::module_& m);

}  // namespace mdn_python
