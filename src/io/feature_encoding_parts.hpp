// Internal (src/io): what the feature encoding's sources share
// (feature_encoding.cpp fits and applies it, feature_encoding_json.cpp keeps
// it in the model file, date_time.cpp reads dates).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mdn/feature_encoding.hpp"

namespace mdn::detail {

// The cell without the spaces, tabs and carriage return around it.
std::string_view trimmed(std::string_view s);
// The day of the year, 1 .. 366.
int day_of_year(const DateTime& d);
// The value features of a date, in the date parts' order (year, doy_sin,
// doy_cos, hour_sin, hour_cos); date_time.cpp.
void date_values(const DateTime& d, double out[5]);

// "a, b, c, ..." of the first shown_n values.
std::string distinct_list(const std::vector<std::string>& values, std::size_t shown_n);
// The index of a date part's name among the date parts (year, doy_sin,
// doy_cos, hour_sin, hour_cos); 5 when it is none of them.
int date_part_index(const std::string& part);

}  // namespace mdn::detail
