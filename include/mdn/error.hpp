// Errors thrown by libmdn. The library never calls exit(); the `mdn` program
// maps UsageError to exit status 2 and every other mdn::Error to 1.
#pragma once
#include <stdexcept>
#include <string>

namespace mdn {

// A data, file or runtime problem (bad CSV cell, corrupt model, NaN loss, OOM).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An impossible option or a malformed command line (K = 0, unknown device).
class UsageError : public Error {
 public:
  using Error::Error;
};

}  // namespace mdn
