#include "flag_words.hpp"

#include <cctype>
#include <cstring>
#include <string_view>

namespace mdn::cli {
namespace {

// Fields whose flag is not the field's name with '-' for '_', and names of
// other structs the library's messages use.
struct Rename {
  const char* field;
  const char* flag;
};
constexpr Rename kRenames[] = {
    {"TrainOptions::warmup_fraction", "--warmup"}, {"TrainOptions::min_lr_fraction", "--min-lr"},
    {"TrainOptions::grid_steps", "--quantised"},   {"TrainHooks::resume_state", "--resume"},
    {"TrainHooks::validation", "--val-data"},      {"TrainHooks::init_model", "--init"},
    {"InvalidCells::DropRow", "--drop-invalid"},   {"CsvOptions::na_values", "--na-values"},
    {"CsvOptions::delimiter", "--delimiter"},      {"an explicit list of features", "--features"},
    {"TuneOptions::trials", "--tune"},             {"TuneOptions::time_limit", "--tune-time"},
};
constexpr std::string_view kTrainOptions = "TrainOptions::";

bool field_char(char c) {
  return std::islower(static_cast<unsigned char>(c)) || c == '_' || std::isdigit(static_cast<unsigned char>(c));
}

}  // namespace

std::string in_flag_words(const std::string& message) {
  std::string out;
  for (std::size_t at = 0; at < message.size();) {
    bool renamed = false;
    for (const Rename& r : kRenames) {
      const std::size_t n = std::strlen(r.field);
      if (message.compare(at, n, r.field) == 0 && !(at + n < message.size() && field_char(message[at + n]))) {
        out += r.flag;
        at += n;
        renamed = true;
        break;
      }
    }
    if (renamed) continue;
    if (message.compare(at, kTrainOptions.size(), kTrainOptions) == 0) {
      std::size_t end = at + kTrainOptions.size();
      while (end < message.size() && field_char(message[end])) ++end;
      if (end > at + kTrainOptions.size()) {
        out += "--";
        for (std::size_t i = at + kTrainOptions.size(); i < end; ++i) out += message[i] == '_' ? '-' : message[i];
        at = end;
        continue;
      }
    }
    out += message[at++];
  }
  return out;
}

}  // namespace mdn::cli
