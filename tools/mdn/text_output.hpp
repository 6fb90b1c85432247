// Small pieces of the CLI's own text: numbers in messages, and JSON for the
// few members it appends by hand to library JSON (eval's conformal intervals
// and inputs outside the training range).
#pragma once
#include <cmath>
#include <cstdio>
#include <string>

namespace mdn::cli {

// A number for a message: up to 10 significant digits, shortest form.
inline std::string message_number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// A JSON string literal of s (quotes, backslashes and control characters escaped).
inline std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A number that reads back exactly; null for NaN and infinities (JSON has none).
inline std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace mdn::cli
