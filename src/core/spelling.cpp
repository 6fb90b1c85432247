#include "mdn/spelling.hpp"

#include <algorithm>
#include <cctype>

namespace mdn {
namespace {

std::string folded(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic programme: i - 2, i - 1 and i.
  const std::size_t n = b.size();
  std::vector<std::size_t> before(n + 1), previous(n + 1), current(n + 1);
  for (std::size_t j = 0; j <= n; ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= n; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        current[j] = std::min(current[j], before[j - 2] + 1);
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[n];
}

std::string closest_name(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string w = folded(word);
  if (w.empty()) return {};
  const std::size_t limit = w.size() <= 4 ? 1 : w.size() <= 8 ? 2 : 3;
  std::size_t best = limit + 1;
  const std::string* found = nullptr;
  bool tie = false;
  for (const std::string& c : candidates) {
    const std::size_t d = edit_distance(w, folded(c));
    if (d < best) {
      best = d;
      found = &c;
      tie = false;
    } else if (d == best && found != nullptr && *found != c) {
      tie = true;
    }
  }
  return found != nullptr && !tie ? *found : std::string();
}

}  // namespace mdn
