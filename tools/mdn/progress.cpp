#include "progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "mdn/error.hpp"

namespace mdn::cli {
namespace {

bool stderr_is_terminal() {
  static const bool tty = ::isatty(STDERR_FILENO);
  return tty;
}

// "[#####.....]": how far through the epoch budget (early stopping may end sooner).
std::string bar(int done, int total) {
  constexpr int kWidth = 20;
  const int filled = total > 0 ? int(std::lround(double(kWidth) * done / total)) : 0;
  return "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "]";
}

std::string epoch_line(const EpochReport& r, bool with_bar) {
  const double jac = r.log_jacobian;  // NLLs are shown in original target units
  char nll[96];
  if (std::isnan(r.val_nll))
    std::snprintf(nll, sizeof nll, "train NLL %.4f", r.train_nll + jac);
  else
    std::snprintf(nll, sizeof nll, "train NLL %.4f  val NLL %.4f%s", r.train_nll + jac, r.val_nll + r.val_log_jacobian,
                  r.improved ? " *" : "  ");
  char member[48] = "";
  if (r.members > 1) std::snprintf(member, sizeof member, "member %d/%d  ", r.member, r.members);
  char line[320];
  std::snprintf(line, sizeof line, "%sepoch %d/%d%s%s  %s  %.0f samples/s  elapsed %s  left ~%s", member, r.epoch,
                r.epochs, with_bar ? " " : "", with_bar ? bar(r.epoch, r.epochs).c_str() : "", nll,
                r.samples_per_second, format_duration(r.seconds_elapsed).c_str(),
                format_duration(r.seconds_left).c_str());
  return line;
}

}  // namespace

ProgressStyle parse_progress_style(const std::string& name) {
  if (name == "auto") return ProgressStyle::Auto;
  if (name == "bar") return ProgressStyle::Bar;
  if (name == "lines") return ProgressStyle::Lines;
  if (name == "none") return ProgressStyle::None;
  throw UsageError("'" + name + "' is not a progress style; use auto, bar, lines or none");
}

const char* progress_style_name(ProgressStyle style) {
  switch (style) {
    case ProgressStyle::Bar:
      return "bar";
    case ProgressStyle::Lines:
      return "lines";
    case ProgressStyle::None:
      return "none";
    case ProgressStyle::Auto:
      break;
  }
  return "auto";
}

ProgressStyle resolve(ProgressStyle style) {
  if (style != ProgressStyle::Auto) return style;
  return stderr_is_terminal() ? ProgressStyle::Bar : ProgressStyle::Lines;
}

void progress(const std::string& line, bool final_line) {
  if (stderr_is_terminal()) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

EpochProgress::EpochProgress(ProgressStyle style) : style_(resolve(style)) {}

void EpochProgress::show(const EpochReport& report) {
  switch (style_) {
    case ProgressStyle::Bar:
      // \r + erase-line: the same line is redrawn each epoch.
      std::fprintf(stderr, "\r\033[K%s", epoch_line(report, true).c_str());
      line_open_ = true;
      break;
    case ProgressStyle::Lines:
      std::fprintf(stderr, "%s\n", epoch_line(report, false).c_str());
      break;
    case ProgressStyle::None:
    case ProgressStyle::Auto:
      return;
  }
  std::fflush(stderr);
}

void EpochProgress::finish() {
  if (!line_open_) return;
  std::fputc('\n', stderr);
  std::fflush(stderr);
  line_open_ = false;
}

std::string format_duration(double seconds) {
  const long s = long(std::lround(seconds));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

}  // namespace mdn::cli
