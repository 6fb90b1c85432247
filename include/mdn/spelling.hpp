// "Did you mean ...?": the closest of a list of names to a word a user
// typed, for unknown options and column names.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mdn {

// Optimal string alignment distance: insertions, deletions, substitutions and
// swaps of two neighbouring characters each cost 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word` (ignoring ASCII case and blanks at the
// ends), when it is near enough to be a slip: at most 1 edit for words of up
// to 4 characters, 2 up to 8, else 3; and not a tie with another candidate at
// the same distance. Empty when there is none.
std::string closest_name(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace mdn
