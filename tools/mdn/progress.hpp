// Progress on stderr for long work. Results never go here (stdout and files),
// so a person can watch while a script keeps the output clean.
#pragma once
#include <string>

#include "mdn/trainer.hpp"

namespace mdn::cli {

// How training shows its epochs:
//   Auto  - Bar when stderr is a terminal, Lines otherwise (logs, CI);
//   Bar   - one line updated in place, then a summary;
//   Lines - one line per epoch;
//   None  - nothing per epoch (the summary still shows unless --quiet).
enum class ProgressStyle { Auto, Bar, Lines, None };

// "auto" | "bar" | "lines" | "none" (the --progress values) and back.
ProgressStyle parse_progress_style(const std::string& name);
const char* progress_style_name(ProgressStyle style);
// Auto resolved for this process's stderr.
ProgressStyle resolve(ProgressStyle style);

// Writes a progress line to stderr: updated in place when stderr is a
// terminal (final_line ends it), one line each otherwise.
void progress(const std::string& line, bool final_line);

// The per-epoch display of one training run.
class EpochProgress {
 public:
  explicit EpochProgress(ProgressStyle style);
  void show(const EpochReport& report);
  // Ends an in-place line so that what follows starts on a fresh line.
  void finish();

 private:
  ProgressStyle style_;
  bool line_open_ = false;
};

// "m:ss" for a number of seconds.
std::string format_duration(double seconds);

}  // namespace mdn::cli
