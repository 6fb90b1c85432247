// Dates and times in CSV cells (mdn/feature_encoding.hpp, parse_date_time):
// ISO 8601 dates, optionally with a time ('T' or a space) and a zone, and the
// value features the encoding derives from them.
#include <cmath>
#include <string_view>

#include "io/feature_encoding_parts.hpp"
#include "mdn/feature_encoding.hpp"

namespace mdn {
namespace {

constexpr double kTwoPi = 6.283185307179586;

bool read_digits(std::string_view s, std::size_t& at, int min_n, int max_n, int& out) {
  int n = 0;
  out = 0;
  while (at < s.size() && n < max_n && s[at] >= '0' && s[at] <= '9') {
    out = out * 10 + (s[at++] - '0');
    ++n;
  }
  return n >= min_n;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int days_in_month(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

bool parse_date_part(std::string_view s, std::size_t& at, DateTime& d) {
  std::size_t p = 0;
  int a = 0;
  if (!read_digits(s, p, 1, 4, a)) return false;
  if (p == 4 && p < s.size() && (s[p] == '-' || s[p] == '/')) {  // YYYY-MM-DD, YYYY/MM/DD
    const char sep = s[p++];
    d.year = a;
    const int min_n = sep == '-' ? 2 : 1;
    if (!read_digits(s, p, min_n, 2, d.month) || p >= s.size() || s[p++] != sep) return false;
    if (!read_digits(s, p, min_n, 2, d.day)) return false;
  } else if (p <= 2 && p < s.size() && s[p] == '.') {  // DD.MM.YYYY
    d.day = a;
    ++p;
    if (!read_digits(s, p, 1, 2, d.month) || p >= s.size() || s[p++] != '.') return false;
    const std::size_t y0 = p;
    if (!read_digits(s, p, 4, 4, d.year) || p - y0 != 4) return false;
  } else {
    return false;
  }
  at = p;
  return d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= days_in_month(d.year, d.month) && d.year >= 1;
}

bool parse_time_part(std::string_view s, std::size_t& at, DateTime& d) {
  int h = 0, m = 0, sec = 0;
  if (!read_digits(s, at, 2, 2, h) || at >= s.size() || s[at++] != ':' || !read_digits(s, at, 2, 2, m)) return false;
  double frac = 0.0;
  if (at < s.size() && s[at] == ':') {
    ++at;
    if (!read_digits(s, at, 2, 2, sec)) return false;
    if (at < s.size() && (s[at] == '.' || s[at] == ',')) {
      ++at;
      double scale = 0.1;
      const std::size_t f0 = at;
      while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
        frac += (s[at++] - '0') * scale;
        scale /= 10;
      }
      if (at == f0) return false;
    }
  }
  if (h > 23 || m > 59 || sec > 60) return false;
  d.seconds = h * 3600.0 + m * 60.0 + sec + frac;
  d.has_time = true;
  return true;
}

// Z, or +HH, +HHMM, +HH:MM (read and ignored), after an optional space.
bool parse_zone(std::string_view s, std::size_t at) {
  if (at < s.size() && s[at] == ' ') ++at;
  if (at == s.size()) return true;
  if (s[at] == 'Z' || s[at] == 'z') return at + 1 == s.size();
  if (s[at] != '+' && s[at] != '-') return false;
  ++at;
  int h = 0, m = 0;
  if (!read_digits(s, at, 2, 2, h) || h > 14) return false;
  if (at < s.size() && s[at] == ':') ++at;
  if (at < s.size() && !read_digits(s, at, 2, 2, m)) return false;
  return at == s.size() && m < 60;
}

}  // namespace

namespace detail {

int day_of_year(const DateTime& d) {
  int doy = d.day;
  for (int m = 1; m < d.month; ++m) doy += days_in_month(d.year, m);
  return doy;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

void date_values(const DateTime& d, double out[5]) {
  const double year_days = leap(d.year) ? 366.0 : 365.0;
  const double into_year = (day_of_year(d) - 1 + d.seconds / 86400.0) / year_days;
  out[0] = d.year + into_year;
  out[1] = std::sin(kTwoPi * into_year);
  out[2] = std::cos(kTwoPi * into_year);
  out[3] = std::sin(kTwoPi * d.seconds / 86400.0);
  out[4] = std::cos(kTwoPi * d.seconds / 86400.0);
}

}  // namespace detail

bool parse_date_time(std::string_view cell, DateTime& out) {
  const std::string_view s = detail::trimmed(cell);
  DateTime d;
  std::size_t at = 0;
  if (!parse_date_part(s, at, d)) return false;
  if (at < s.size()) {
    if (s[at] != 'T' && s[at] != ' ') return false;
    ++at;
    if (!parse_time_part(s, at, d)) return false;
    if (!parse_zone(s, at)) return false;
  }
  out = d;
  return true;
}

}  // namespace mdn
