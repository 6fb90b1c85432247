// The training columns of a CSV file: facts per column in one pass, the
// choice of features with a reason for every column left out, and the
// checks that stop a run that would learn nothing or learn from a typo.
#include "mdn/columns.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "io/byte_pack.hpp"
#include "mdn/error.hpp"

namespace mdn {
namespace {

constexpr std::size_t kShownCell = 40;

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// R writes its row names under an empty header ("" or, read back, "X"/"...1"
// by some readers), or "rownames"; pandas writes its index as "Unnamed: 0".
bool is_row_label_name(const std::string& name) {
  std::string lower;
  for (char c : name) lower += char(std::tolower(static_cast<unsigned char>(c)));
  return lower.find_first_not_of(" \t") == std::string::npos || lower == "rownames" || lower == "row.names" ||
         lower.rfind("unnamed: ", 0) == 0 || lower == "...1";
}

void add_cell(const CsvFile& csv, std::size_t r, int c, ColumnFacts& f) {
  const std::string_view cell = csv.field(r, c);
  double v = 0.0;
  if (csv.number(cell, v)) {
    if (f.numbers == 0)
      f.first = v;
    else if (v != f.last + 1.0)
      f.counting = false;
    f.last = v;
    f.min = std::min(f.min, v);
    f.max = std::max(f.max, v);
    ++f.numbers;
    return;
  }
  f.counting = false;
  if (csv.is_missing(cell)) {
    ++f.missing;
    return;
  }
  if (f.other++ == 0) {
    f.first_other_line = csv.line_of_row(r);
    f.first_other = std::string(cell.substr(0, kShownCell));
  }
}

// A column of numbers with a few other cells: an error naming the first.
[[noreturn]] void throw_bad_cells(const std::string& path, const std::string& name, const ColumnFacts& f) {
  const long long cells = f.numbers + f.other;
  std::string msg = path + ": line " + std::to_string(f.first_other_line) + ", column '" + name + "': '" +
                    f.first_other + "' is not a number, in a column of numbers (" + std::to_string(f.numbers) + " of " +
                    std::to_string(cells) + " cells";
  if (f.other > 1) msg += "; " + std::to_string(f.other - 1) + " more such cells";
  msg +=
      "); fix the cell, or: CsvOptions::na_values lists the cells that mark a missing value, "
      "InvalidCells::DropRow leaves out the rows that have one, an explicit list of features leaves the column "
      "out";
  throw Error(msg);
}

}  // namespace

std::vector<ColumnFacts> column_facts(const CsvFile& csv, const std::vector<int>& columns) {
  std::vector<ColumnFacts> facts(csv.header().size());
  std::vector<int> cols = columns;
  if (cols.empty())
    for (int c = 0; c < int(facts.size()); ++c) cols.push_back(c);
  for (int c : cols)
    for (std::size_t r = 0; r < csv.rows(); ++r) add_cell(csv, r, c, facts[std::size_t(c)]);
  return facts;
}

void merge_later(ColumnFacts& earlier, const ColumnFacts& later) {
  const bool joined = earlier.numbers == 0 || later.numbers == 0 || later.first == earlier.last + 1.0;
  earlier.counting = earlier.counting && later.counting && joined;
  if (earlier.numbers == 0) earlier.first = later.first;
  if (later.numbers > 0) earlier.last = later.last;
  earlier.min = std::min(earlier.min, later.min);
  earlier.max = std::max(earlier.max, later.max);
  if (earlier.other == 0 && later.other > 0) {
    earlier.first_other_line = later.first_other_line;
    earlier.first_other = later.first_other;
  }
  earlier.numbers += later.numbers;
  earlier.missing += later.missing;
  earlier.other += later.other;
}

std::string facts_to_bytes(const std::vector<ColumnFacts>& facts) {
  io::Packer out;
  out.put((long long)facts.size());
  for (const ColumnFacts& f : facts) {
    out.put(f.numbers);
    out.put(f.missing);
    out.put(f.other);
    out.put(f.min);
    out.put(f.max);
    out.put(char(f.counting));
    out.put(f.first);
    out.put(f.last);
    out.put(f.first_other_line);
    out.put_text(f.first_other);
  }
  return out.bytes;
}

std::vector<ColumnFacts> facts_from_bytes(const std::string& bytes) {
  io::Unpacker in{bytes, "facts_from_bytes"};
  std::vector<ColumnFacts> facts(std::size_t(std::min<long long>(in.get<long long>(), (long long)bytes.size())));
  for (ColumnFacts& f : facts) {
    f.numbers = in.get<long long>();
    f.missing = in.get<long long>();
    f.other = in.get<long long>();
    f.min = in.get<double>();
    f.max = in.get<double>();
    f.counting = in.get<char>() != 0;
    f.first = in.get<double>();
    f.last = in.get<double>();
    f.first_other_line = in.get<int>();
    f.first_other = in.get_text();
  }
  return facts;
}

bool warn_about(LeftOutReason reason) {
  return reason == LeftOutReason::RowLabel || reason == LeftOutReason::RowCounter || reason == LeftOutReason::Constant;
}

std::string reason_name(LeftOutReason reason) {
  switch (reason) {
    case LeftOutReason::Target:
      return "target";
    case LeftOutReason::RowLabel:
      return "row label";
    case LeftOutReason::RowCounter:
      return "row counter";
    case LeftOutReason::Constant:
      return "constant";
    case LeftOutReason::NotNumeric:
      return "not numeric";
    case LeftOutReason::NoValues:
      return "no values";
  }
  return "?";
}

ColumnChoice choose_columns(const std::string& path, const std::vector<std::string>& header,
                            const std::vector<ColumnFacts>& facts, const std::vector<std::string>& targets,
                            long long rows, InvalidCells policy, const TextColumnRule& text_rule) {
  ColumnChoice choice;
  choice.chosen = true;
  const auto leave_out = [&](const std::string& name, LeftOutReason why, std::string detail) {
    choice.left_out.push_back(LeftOutColumn{name, why, std::move(detail)});
  };
  // A text column: a feature when the rule says so (a category, a date).
  const auto leave_out_text = [&](std::size_t c, std::string detail) {
    LeftOutColumn l{header[c], LeftOutReason::NotNumeric, std::move(detail)};
    if (text_rule && text_rule(c, l))
      choice.features.push_back(header[c]);
    else
      choice.left_out.push_back(std::move(l));
  };
  for (std::size_t c = 0; c < header.size(); ++c) {
    const std::string& name = header[c];
    const ColumnFacts& f = facts[c];
    const std::string first_other = "'" + f.first_other + "' on line " + std::to_string(f.first_other_line);
    if (std::find(targets.begin(), targets.end(), name) != targets.end()) {
      leave_out(name, LeftOutReason::Target, "");
    } else if (is_row_label_name(name)) {
      leave_out(name, LeftOutReason::RowLabel, name.empty() ? "its header is empty" : "its header is '" + name + "'");
    } else if (f.numbers == 0) {
      if (f.other > 0)
        leave_out_text(c, first_other);
      else
        leave_out(name, LeftOutReason::NoValues, "every cell is missing");
    } else if (f.other > 0 && f.numbers <= f.other) {
      leave_out_text(c, std::to_string(f.other) + " of " + std::to_string(f.numbers + f.other) +
                            " cells are not numbers, the first " + first_other);
    } else if (f.other > 0 && policy == InvalidCells::Fail) {
      throw_bad_cells(path, name, f);
    } else if (f.min == f.max) {
      leave_out(name, LeftOutReason::Constant, "every value is " + number_text(f.min));
    } else if (f.counting && f.numbers == rows && rows >= 3 && (f.first == 0.0 || f.first == 1.0)) {
      leave_out(name, LeftOutReason::RowCounter, number_text(f.first) + ".." + number_text(f.last) + " in order");
    } else {
      choice.features.push_back(name);
    }
  }
  if (choice.features.empty()) {
    std::string why;
    for (const LeftOutColumn& l : choice.left_out)
      why += (why.empty() ? "" : ", ") + ("'" + l.name + "' (" + reason_name(l.reason)) +
             (l.detail.empty() ? ")" : ": " + l.detail + ")");
    throw Error(path + ": no column to use as a feature: " + why);
  }
  return choice;
}

void check_targets_vary(const std::string& path, const std::vector<std::string>& header,
                        const std::vector<ColumnFacts>& facts, const std::vector<std::string>& targets) {
  for (const std::string& t : targets) {
    const auto it = std::find(header.begin(), header.end(), t);
    if (it == header.end()) continue;  // reported by the column lookup
    const ColumnFacts& f = facts[std::size_t(it - header.begin())];
    if (f.numbers > 1 && f.min == f.max)
      throw Error(path + ": the target column '" + t + "' is constant (every value is " + number_text(f.min) +
                  "): there is nothing to learn");
  }
}

Dataset load_training_dataset(const std::string& path, const std::vector<std::string>& targets,
                              const std::vector<std::string>& features, InvalidCells policy, const CsvOptions& options,
                              ColumnChoice& choice, std::size_t varying) {
  check_dataset_columns(path, targets, features);
  const CsvFile csv = CsvFile::read(path, options);
  std::vector<int> target_columns;
  for (const std::string& t : targets) target_columns.push_back(csv.require_column(t));
  const std::vector<ColumnFacts> facts = column_facts(csv, features.empty() ? std::vector<int>{} : target_columns);
  check_targets_vary(path, csv.header(), facts,
                     {targets.begin(), targets.begin() + std::ptrdiff_t(std::min(varying, targets.size()))});
  if (features.empty()) {
    choice = choose_columns(path, csv.header(), facts, targets, (long long)csv.rows(), policy);
  } else {
    choice = ColumnChoice{};
    choice.features = features;
  }
  return dataset_from_csv(csv, targets, choice.features, policy, false, /*drop_missing_targets=*/true);
}

}  // namespace mdn
