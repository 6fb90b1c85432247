// Internal: a number as short text for error messages ("%g").
#pragma once
#include <cstdio>
#include <string>

namespace mdn::detail {

inline std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace mdn::detail
