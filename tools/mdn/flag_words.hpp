// The library names the fields of its options in its messages
// ("TrainOptions::batch_size must be ..."); the program's users know flags.
// in_flag_words rewrites each field name into the flag that sets it
// ("--batch-size must be ..."); a field the command line has no flag for
// keeps its library name.
#pragma once
#include <string>

namespace mdn::cli {

std::string in_flag_words(const std::string& message);

}  // namespace mdn::cli
