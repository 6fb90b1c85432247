// Internal (src/io): what the feature encoding's sources share
// (feature_encoding.cpp fits and applies it, feature_encoding_json.cpp keeps
// it in the model file).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace mdn::detail {

// "a, b, c, ..." of the first shown_n values.
std::string distinct_list(const std::vector<std::string>& values, std::size_t shown_n);
// The index of a date part's name among the date parts (year, doy_sin,
// doy_cos, hour_sin, hour_cos); 5 when it is none of them.
int date_part_index(const std::string& part);

}  // namespace mdn::detail
