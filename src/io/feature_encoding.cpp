// The feature encoding (mdn/feature_encoding.hpp): text columns as one-hot
// categories, dates as cyclic parts, missing values filled with the training
// mean plus an indicator; fitted once on the training file, stored in the
// model, applied the same way by every command.
#include "mdn/feature_encoding.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <set>

#include "io/byte_pack.hpp"
#include "io/feature_encoding_parts.hpp"
#include "io/numeric_training_read.hpp"
#include "io/strict_json.hpp"
#include "mdn/error.hpp"

namespace mdn {

using io::Packer;
using io::Unpacker;
namespace {

using io::Json;

constexpr std::size_t kShownCell = 40;
const std::vector<std::string> kDateParts = {"year", "doy_sin", "doy_cos", "hour_sin", "hour_cos"};

using detail::date_values;
using detail::day_of_year;
using detail::trimmed;

std::string shown(std::string_view cell) { return "'" + std::string(cell.substr(0, kShownCell)) + "'"; }

// ---- fitting -------------------------------------------------------------------


// ---- fitting, in stages over a whole file or its parts ------------------------------
//
// Each stage learns one kind of fact of the columns' cells; a file read in
// parts (FileParts) merges every part's in file order before the next stage,
// so that every part ends with the whole file's encoding.

// Every part's bytes in file order (a whole file: its own).
std::vector<std::string> every_part(const FileParts* parts, const std::string& mine) {
  return parts != nullptr && parts->parts > 1 ? parts->all_gather(mine) : std::vector<std::string>{mine};
}

void pack(Packer& p, const TextFacts& f) {
  p.put(f.cells);
  p.put(f.missing);
  p.put(f.dates);
  p.put(f.first_bad_line);
  p.put_text(f.first_bad);
  p.put((long long)f.distinct.size());
  for (const std::string& v : f.distinct) p.put_text(v);
}

TextFacts unpack_text(Unpacker& u) {
  TextFacts f;
  f.cells = u.get<long long>();
  f.missing = u.get<long long>();
  f.dates = u.get<long long>();
  f.first_bad_line = u.get<int>();
  f.first_bad = u.get_text();
  for (long long n = u.get<long long>(); n > 0; --n) f.distinct.push_back(u.get_text());
  return f;
}

// `earlier` followed by `later` (the next part of the same file): text_facts
// of the two read as one.
void merge_later(TextFacts& earlier, const TextFacts& later) {
  earlier.cells += later.cells;
  earlier.missing += later.missing;
  earlier.dates += later.dates;
  if (earlier.first_bad_line == 0) {
    earlier.first_bad_line = later.first_bad_line;
    earlier.first_bad = later.first_bad;
  }
  for (const std::string& v : later.distinct) {
    if (earlier.distinct.size() > std::size_t(kMaxCategories)) break;  // text_facts keeps kMaxCategories + 1
    if (std::find(earlier.distinct.begin(), earlier.distinct.end(), v) == earlier.distinct.end())
      earlier.distinct.push_back(v);
  }
}

// Up to two distinct values: enough to say whether a date part varies.
template <class T>
void note_distinct(std::vector<T>& seen, T v) {
  if (seen.size() < 2 && std::find(seen.begin(), seen.end(), v) == seen.end()) seen.push_back(v);
}

// What fit_encoding learns of one column.
struct ColumnFit {
  std::string name;
  int col = 0;
  long long numbers = 0, other = 0;  // cells that are numbers; neither numbers nor missing
  long long missing = 0;             // missing cells (that are not numbers)
  InputKind kind = InputKind::Number;
  TextFacts text;                    // a text column's
  std::vector<int> years, days;      // a date column's, up to 2 distinct of each
  std::vector<double> times;
  bool filled = false;               // missing cells take the training means, sums[first_sum...]
  std::size_t first_sum = 0;
  bool text_column() const { return other > 0 && numbers <= other; }
  bool date() const { return kind == InputKind::Date; }
};

void count_cells(const CsvFile& csv, std::vector<ColumnFit>& fits, const FileParts* parts) {
  Packer mine;
  for (ColumnFit& f : fits) {
    long long n[3] = {0, 0, 0};  // numbers, other, missing
    for (std::size_t r = 0; r < csv.rows(); ++r) {
      const std::string_view cell = csv.field(r, f.col);
      double v = 0.0;
      ++n[csv.number(cell, v) ? 0 : csv.is_missing(cell) ? 2 : 1];
    }
    for (long long c : n) mine.put(c);
  }
  for (const std::string& part : every_part(parts, mine.bytes)) {
    Unpacker u{part, "encoding facts"};
    for (ColumnFit& f : fits) {
      f.numbers += u.get<long long>();
      f.other += u.get<long long>();
      f.missing += u.get<long long>();
    }
  }
}

// text_facts of the columns `which` (indices into the file's columns), merged
// over the parts.
std::vector<TextFacts> whole_text_facts(const CsvFile& csv, const std::vector<int>& which, const FileParts* parts) {
  Packer mine;
  for (int c : which) pack(mine, text_facts(csv, c));
  std::vector<TextFacts> facts(which.size());
  bool first = true;
  for (const std::string& part : every_part(parts, mine.bytes)) {
    Unpacker u{part, "encoding facts"};
    for (TextFacts& f : facts) {
      TextFacts later = unpack_text(u);
      if (first)
        f = std::move(later);
      else
        merge_later(f, later);
    }
    first = false;
  }
  return facts;
}

// Which date parts vary over the rows that hold a date.
void note_date_parts(const CsvFile& csv, std::vector<ColumnFit>& fits, const FileParts* parts) {
  Packer mine;
  for (ColumnFit& f : fits) {
    if (!f.date()) continue;
    std::vector<int> years, days;
    std::vector<double> times;
    for (std::size_t r = 0; r < csv.rows(); ++r) {
      const std::string_view cell = csv.field(r, f.col);
      DateTime d;
      if (csv.is_missing(cell) || !parse_date_time(cell, d)) continue;  // a bad cell: reported when rows are read
      note_distinct(years, d.year);
      note_distinct(days, day_of_year(d));
      note_distinct(times, d.seconds);
    }
    for (const std::vector<int>* seen : {&years, &days}) {
      mine.put((long long)seen->size());
      for (int v : *seen) mine.put(v);
    }
    mine.put((long long)times.size());
    for (double v : times) mine.put(v);
  }
  for (const std::string& part : every_part(parts, mine.bytes)) {
    Unpacker u{part, "encoding facts"};
    for (ColumnFit& f : fits) {
      if (!f.date()) continue;
      for (std::vector<int>* seen : {&f.years, &f.days})
        for (long long n = u.get<long long>(); n > 0; --n) note_distinct(*seen, u.get<int>());
      for (long long n = u.get<long long>(); n > 0; --n) note_distinct(f.times, u.get<double>());
    }
  }
}

// The sums of the filled columns' values (a number's; a date's five), each
// added up in file order as one pass over the whole file adds it: the parts
// take turns, each continuing the sums of the parts before it, so that the
// bits are one process's whatever the number of parts.
std::vector<double> fill_sums(const CsvFile& csv, const std::vector<ColumnFit>& fits, std::size_t n_sums,
                              const FileParts* parts) {
  std::vector<std::vector<double>> terms(n_sums);  // this part's, in row order
  for (const ColumnFit& f : fits) {
    if (!f.filled) continue;
    for (std::size_t r = 0; r < csv.rows(); ++r) {
      const std::string_view cell = csv.field(r, f.col);
      double v[5];
      DateTime d;
      if (f.date() ? csv.is_missing(cell) || !parse_date_time(cell, d) : !csv.number(cell, v[0])) continue;
      if (f.date()) date_values(d, v);
      for (std::size_t i = 0; i < (f.date() ? 5u : 1u); ++i) terms[f.first_sum + i].push_back(v[i]);
    }
  }
  std::vector<double> sums(n_sums, 0.0);
  const auto add_mine = [&] {
    for (std::size_t s = 0; s < n_sums; ++s)
      for (double v : terms[s]) sums[s] += v;
  };
  if (parts == nullptr || parts->parts < 2 || n_sums == 0) {
    add_mine();
    return sums;
  }
  for (int turn = 0; turn < parts->parts; ++turn) {
    Packer mine;
    if (turn == parts->part) {
      add_mine();
      for (double s : sums) mine.put(s);
    }
    const std::string theirs = parts->all_gather(mine.bytes)[std::size_t(turn)];
    Unpacker u{theirs, "encoding facts"};
    for (double& s : sums) s = u.get<double>();
  }
  return sums;
}

// The input a column becomes, from its facts (sums: fill_sums').
InputColumn fitted_input(const ColumnFit& f, const std::vector<double>& sums) {
  InputColumn in;
  in.name = f.name;
  in.kind = f.kind;
  in.had_missing = f.kind == InputKind::Category ? f.text.missing > 0 : f.filled;
  if (f.kind == InputKind::Category) {
    in.categories = f.text.distinct;  // every distinct value: a category has at most kMaxCategories
    std::sort(in.categories.begin(), in.categories.end());
  } else if (f.date()) {
    const bool vary[5] = {f.years.size() > 1, f.days.size() > 1, f.days.size() > 1, f.times.size() > 1,
                          f.times.size() > 1};
    for (int i = 0; i < 5; ++i)
      if (vary[i]) in.date_parts.push_back(kDateParts[std::size_t(i)]);
    if (in.date_parts.empty()) in.date_parts.push_back("year");  // a constant date (named): one feature
    if (f.filled)
      for (const std::string& p : in.date_parts)
        in.fill.push_back(sums[f.first_sum + std::size_t(detail::date_part_index(p))] / double(f.text.dates));
  } else if (f.filled) {
    in.fill = {sums[f.first_sum] / double(f.numbers)};
  }
  return in;
}

// ---- applying ------------------------------------------------------------------

std::string invalid_way_out(bool missing) {
  return missing ? "; InvalidCells::DropRow leaves out the rows that have one"
                 : "; InvalidCells::DropRow leaves out the rows that have one (CsvOptions::na_values lists the cells "
                   "that mark a missing value)";
}

// One input's features of one cell into dst. Returns "" or why the cell cannot
// be encoded. unseen/missing: set when the cell was an unseen category / filled.
std::string encode_cell(const CsvFile& csv, const InputColumn& in, std::string_view cell, double* dst, bool& unseen,
                        bool& missing) {
  const std::size_t n = in.values();
  missing = csv.is_missing(cell);
  if (in.kind == InputKind::Category) {
    std::fill(dst, dst + n, 0.0);
    if (missing) return "";
    const std::string_view t = trimmed(cell);
    const auto it = std::lower_bound(in.categories.begin(), in.categories.end(), t);
    if (it != in.categories.end() && *it == t)
      dst[it - in.categories.begin()] = 1.0;
    else
      unseen = true;
    return "";
  }
  if (missing) {
    if (!in.had_missing)
      return shown(cell) + " marks a missing value, and column '" + in.name +
             "' had none in training (the model has no value to fill in)";
    std::copy(in.fill.begin(), in.fill.end(), dst);
    dst[n] = 1.0;
    return "";
  }
  if (in.kind == InputKind::Number) {
    if (!csv.number(cell, dst[0])) return shown(cell) + " is not a number";
  } else {
    DateTime d;
    if (!parse_date_time(cell, d))
      return shown(cell) + " is not a date (YYYY-MM-DD, YYYY/MM/DD or DD.MM.YYYY, with an optional time HH:MM:SS)";
    double v[5];
    date_values(d, v);
    for (std::size_t i = 0; i < n; ++i) dst[i] = v[detail::date_part_index(in.date_parts[i])];
  }
  if (in.indicator()) dst[n] = 0.0;
  return "";
}

}  // namespace

namespace detail {

std::string distinct_list(const std::vector<std::string>& values, std::size_t shown_n) {
  std::string s;
  for (std::size_t i = 0; i < values.size() && i < shown_n; ++i) s += (i ? ", " : "") + values[i];
  if (values.size() > shown_n) s += ", ...";
  return s;
}

int date_part_index(const std::string& part) {
  return int(std::find(kDateParts.begin(), kDateParts.end(), part) - kDateParts.begin());
}

}  // namespace detail

// ---- the encoding ----------------------------------------------------------------

std::size_t InputColumn::values() const {
  switch (kind) {
    case InputKind::Number:
      return 1;
    case InputKind::Category:
      return categories.size();
    case InputKind::Date:
      return date_parts.size();
  }
  return 0;
}

std::vector<std::string> InputColumn::feature_names() const {
  std::vector<std::string> out;
  if (kind == InputKind::Number) out.push_back(name);
  for (const std::string& c : categories) out.push_back(name + "=" + c);
  for (const std::string& p : date_parts) out.push_back(name + ":" + p);
  if (indicator()) out.push_back(name + ":missing");
  return out;
}

std::vector<std::string> FeatureEncoding::feature_names() const {
  std::vector<std::string> out;
  for (const InputColumn& in : inputs)
    for (std::string& f : in.feature_names()) out.push_back(std::move(f));
  return out;
}

std::vector<std::string> FeatureEncoding::input_names() const {
  std::vector<std::string> out;
  for (const InputColumn& in : inputs) out.push_back(in.name);
  return out;
}

bool FeatureEncoding::trivial() const {
  return std::all_of(inputs.begin(), inputs.end(),
                     [](const InputColumn& in) { return in.kind == InputKind::Number && !in.had_missing; });
}

std::string input_kind_name(InputKind kind) {
  switch (kind) {
    case InputKind::Number:
      return "number";
    case InputKind::Category:
      return "category";
    case InputKind::Date:
      return "date";
  }
  return "?";
}

TextFacts text_facts(const CsvFile& csv, int column) {
  TextFacts f;
  std::set<std::string> distinct;
  for (std::size_t r = 0; r < csv.rows(); ++r) {
    const std::string_view cell = csv.field(r, column);
    if (csv.is_missing(cell)) {
      ++f.missing;
      continue;
    }
    ++f.cells;
    DateTime d;
    if (parse_date_time(cell, d)) {
      ++f.dates;
    } else if (f.first_bad_line == 0) {
      f.first_bad_line = csv.line_of_row(r);
      f.first_bad = std::string(cell.substr(0, kShownCell));
    }
    if (distinct.size() <= std::size_t(kMaxCategories)) {
      std::string v(trimmed(cell));
      if (distinct.insert(v).second) f.distinct.push_back(std::move(v));
    }
  }
  return f;
}

InputKind text_column_kind(const std::string& path, const std::string& name, const TextFacts& f, InvalidCells policy,
                           std::string& why) {
  if (f.cells == 0) {
    why = "every cell is missing";
    return InputKind::Number;
  }
  if (f.dates * 2 > f.cells) {
    if (f.dates < f.cells && policy == InvalidCells::Fail)
      throw Error(path + ": line " + std::to_string(f.first_bad_line) + ", column '" + name + "': '" + f.first_bad +
                  "' is not a date, in a column of dates (" + std::to_string(f.dates) + " of " +
                  std::to_string(f.cells) + " cells; formats: YYYY-MM-DD, YYYY/MM/DD, DD.MM.YYYY, with an optional "
                  "time HH:MM[:SS] and UTC offset); fix the cell, or: CsvOptions::na_values lists the cells that mark "
                  "a missing value, InvalidCells::DropRow leaves out the rows that have one, an explicit list of "
                  "features leaves the column out");
    return InputKind::Date;
  }
  const std::size_t distinct = f.distinct.size();
  if (distinct <= std::size_t(kMaxCategories) && (long long)distinct * 2 <= f.cells) return InputKind::Category;
  why = distinct > std::size_t(kMaxCategories)
            ? "text with more than " + std::to_string(kMaxCategories) + " distinct values (an ID or free text)"
            : "text with " + std::to_string(distinct) + " distinct values in " + std::to_string(f.cells) +
                  " cells (an ID or free text; a category needs 2 rows per value on average)";
  return InputKind::Number;
}

FeatureEncoding fit_encoding(const CsvFile& csv, const std::vector<std::string>& columns, InvalidCells policy,
                             bool named, const FileParts* parts) {
  std::vector<ColumnFit> fits(columns.size());
  for (std::size_t i = 0; i < columns.size(); ++i) {
    fits[i].name = columns[i];
    fits[i].col = csv.require_column(columns[i]);
  }
  count_cells(csv, fits, parts);  // a number column's bad cells are reported when the rows are read
  std::vector<int> text_columns;
  for (const ColumnFit& f : fits)
    if (f.text_column()) text_columns.push_back(f.col);
  const std::vector<TextFacts> text = whole_text_facts(csv, text_columns, parts);
  std::size_t n_sums = 0;
  for (std::size_t i = 0, t = 0; i < fits.size(); ++i) {
    ColumnFit& f = fits[i];
    if (f.text_column()) {
      f.text = text[t++];
      std::string why;
      f.kind = text_column_kind(csv.path(), f.name, f.text, policy, why);
      if (f.kind == InputKind::Number && named)
        throw Error(csv.path() + ": column '" + f.name + "' cannot be a feature: " + why + "; a category has at most " +
                    std::to_string(kMaxCategories) + " distinct values, a date column holds dates " +
                    "(leave it out of an explicit list of features)");
    }
    const long long missing = f.date() ? f.text.missing : f.missing, values = f.date() ? f.text.dates : f.numbers;
    f.filled = f.kind != InputKind::Category && missing > 0 && values > 0 && policy == InvalidCells::Fail;
    f.first_sum = n_sums;
    if (f.filled) n_sums += f.date() ? 5 : 1;
  }
  note_date_parts(csv, fits, parts);
  const std::vector<double> sums = fill_sums(csv, fits, n_sums, parts);
  FeatureEncoding enc;
  for (const ColumnFit& f : fits) enc.inputs.push_back(fitted_input(f, sums));
  return enc;
}

std::string no_encoded_rows_left(const std::string& path, std::size_t rows, const std::string& first_dropped) {
  return path + ": no rows left: every one of the " + std::to_string(rows) +
         " rows has a cell the model's features or targets cannot take (the first: " + first_dropped + ")";
}

Dataset encode_rows(const CsvFile& csv, const FeatureEncoding& encoding, const std::vector<std::string>& targets,
                    InvalidCells policy, bool drop_missing_targets, EncodingCounts* counts, bool allow_no_rows) {
  const std::size_t ins = encoding.inputs.size();
  std::vector<int> in_cols, t_cols;
  for (const InputColumn& in : encoding.inputs) in_cols.push_back(csv.require_column(in.name));
  for (const std::string& t : targets) t_cols.push_back(csv.require_column(t));
  if (csv.rows() > std::size_t(INT_MAX)) throw Error(csv.path() + ": too many rows (more than 2^31 - 1)");
  Dataset ds;
  ds.feature_names = encoding.feature_names();
  ds.target_names = targets;
  MatrixD xs(int(csv.rows()), int(ds.feature_names.size()));
  ds.t = MatrixD(int(csv.rows()), int(targets.size()));
  EncodingCounts local;
  EncodingCounts& c = counts ? *counts : local;
  c = EncodingCounts{};
  c.unseen.assign(ins, 0);
  c.first_unseen.assign(ins, "");
  c.missing.assign(ins, 0);
  std::vector<char> unseen(ins), missing(ins);
  std::vector<std::size_t> widths;  // features per input
  for (const InputColumn& in : encoding.inputs) widths.push_back(in.values() + (in.indicator() ? 1 : 0));
  int kept = 0;
  for (std::size_t r = 0; r < csv.rows(); ++r) {
    double* x = xs.row(kept);
    double* t = ds.t.row(kept);
    std::string why, column;
    bool why_missing = false, drop = policy == InvalidCells::DropRow;
    for (std::size_t i = 0; i < ins && why.empty(); ++i) {
      bool u = false, m = false;
      why = encode_cell(csv, encoding.inputs[i], csv.field(r, in_cols[i]), x, u, m);
      x += widths[i];
      unseen[i] = u;
      missing[i] = m;
      why_missing = m;
      if (!why.empty()) column = encoding.inputs[i].name;
    }
    for (std::size_t j = 0; j < t_cols.size() && why.empty(); ++j) {
      const std::string_view cell = csv.field(r, t_cols[j]);
      if (csv.number(cell, t[j])) continue;
      why_missing = csv.is_missing(cell);
      why = shown(cell) + (why_missing ? " marks a missing value" : " is not a number");
      column = targets[j];
      drop = drop || (why_missing && drop_missing_targets);
    }
    if (!why.empty()) {
      const std::string where = "line " + std::to_string(csv.line_of_row(r)) + ", column '" + column + "': ";
      if (!drop) throw Error(csv.path() + ": " + where + why + invalid_way_out(why_missing));
      if (ds.first_dropped.empty()) ds.first_dropped = where + why;
      ++ds.dropped_rows;
      continue;
    }
    for (std::size_t i = 0; i < ins; ++i) {
      if (unseen[i] && c.unseen[i]++ == 0) c.first_unseen[i] = std::string(csv.field(r, in_cols[i]).substr(0, kShownCell));
      if (missing[i]) ++c.missing[i];
    }
    ds.lines.push_back(csv.line_of_row(r));
    ++kept;
  }
  if (kept == 0 && !allow_no_rows) throw Error(no_encoded_rows_left(csv.path(), csv.rows(), ds.first_dropped));
  xs.rows = kept;
  xs.data.resize(std::size_t(kept) * std::size_t(xs.cols));
  ds.x = std::move(xs);
  ds.t.rows = kept;
  ds.t.data.resize(std::size_t(kept) * std::size_t(ds.t.cols));
  c.rows = kept;
  return ds;
}

std::vector<std::string> model_input_names(const Model& model) {
  return model.encoding ? model.encoding->input_names() : model.feature_names;
}

Dataset load_model_dataset(const std::string& path, const Model& model, const std::vector<std::string>& targets,
                           InvalidCells policy, const CsvOptions& options, EncodingCounts* counts) {
  if (!model.encoding) return load_dataset(path, targets, model.feature_names, policy, options);
  check_dataset_columns(path, targets, model.encoding->input_names());
  const CsvFile csv = CsvFile::read(path, options);
  return encode_rows(csv, *model.encoding, targets, policy, false, counts);
}

std::vector<std::string> encoding_warnings(const FeatureEncoding& encoding, const EncodingCounts& counts) {
  std::vector<std::string> out;
  const std::string of = " of " + std::to_string(counts.rows) + " rows";
  for (std::size_t i = 0; i < encoding.inputs.size() && i < counts.unseen.size(); ++i) {
    const InputColumn& in = encoding.inputs[i];
    if (counts.unseen[i] > 0)
      out.push_back(std::to_string(counts.unseen[i]) + of + " have a category of '" + in.name +
                    "' not seen in training (the first: '" + counts.first_unseen[i] +
                    "'): coded as all zeros, as a missing value is");
    if (counts.missing[i] > 0 && !(in.kind == InputKind::Category && in.had_missing))
      out.push_back(std::to_string(counts.missing[i]) + of + " have no value for '" + in.name + "': " +
                    (in.kind == InputKind::Category ? "coded as all zeros (training had no missing '" + in.name + "')"
                                                    : "filled with the training mean, '" + in.name + ":missing' = 1"));
  }
  return out;
}

std::string encoding_counts_json(const FeatureEncoding& encoding, const EncodingCounts& counts) {
  Json unseen = Json::array(), missing = Json::array();
  for (std::size_t i = 0; i < encoding.inputs.size() && i < counts.unseen.size(); ++i) {
    if (counts.unseen[i] > 0)
      unseen.push_back({{"name", encoding.inputs[i].name}, {"rows", counts.unseen[i]}, {"first", counts.first_unseen[i]}});
    if (counts.missing[i] > 0) missing.push_back({{"name", encoding.inputs[i].name}, {"rows", counts.missing[i]}});
  }
  Json j = Json::object();
  j["rows"] = counts.rows;
  j["unseen_categories"] = unseen;
  j["missing_filled"] = missing;
  return j.dump(2);
}

// ---- training -------------------------------------------------------------------

namespace {

// choose_columns, with text columns that are categories or dates as features
// (one value only: left out as constant; an ID or free text: left out, why).
// A file read in parts has the text facts of the columns that may be text
// merged over the parts first.
ColumnChoice choose_columns_with_text(const CsvFile& csv, const std::vector<ColumnFacts>& facts, long long rows,
                                      const std::vector<std::string>& targets, InvalidCells policy,
                                      const FileParts* parts) {
  const std::string& path = csv.path();
  std::vector<int> maybe_text;  // the columns choose_columns may ask the rule about
  for (std::size_t c = 0; parts != nullptr && c < facts.size(); ++c)
    if (facts[c].other > 0 && facts[c].numbers <= facts[c].other &&
        std::find(targets.begin(), targets.end(), csv.header()[c]) == targets.end())
      maybe_text.push_back(int(c));
  const std::vector<TextFacts> merged = whole_text_facts(csv, maybe_text, parts);
  const TextColumnRule rule = [&](std::size_t column, LeftOutColumn& left_out) {
    const auto at = std::find(maybe_text.begin(), maybe_text.end(), int(column));
    const TextFacts f = parts != nullptr ? merged.at(std::size_t(at - maybe_text.begin())) : text_facts(csv, int(column));
    std::string why;
    const InputKind kind = text_column_kind(path, left_out.name, f, policy, why);
    if (kind == InputKind::Number) {
      if (f.cells > 0) left_out.detail = why + ", the first " + left_out.detail;
      return false;
    }
    if (f.distinct.size() == 1) {
      left_out.reason = LeftOutReason::Constant;
      left_out.detail = "every value is '" + f.distinct[0] + "'";
      return false;
    }
    return true;
  };
  return choose_columns(path, csv.header(), facts, targets, rows, policy, rule);
}

}  // namespace

FeatureEncoding fit_training_features(const CsvFile& csv, const std::vector<ColumnFacts>& facts, long long rows,
                                      const std::vector<std::string>& targets,
                                      const std::vector<std::string>& features, InvalidCells policy,
                                      ColumnChoice& choice, const FileParts* parts) {
  if (features.empty()) {
    choice = choose_columns_with_text(csv, facts, rows, targets, policy, parts);
  } else {
    choice = ColumnChoice{};
    choice.features = features;
  }
  FeatureEncoding fitted = fit_encoding(csv, choice.features, policy, !features.empty(), parts);
  if (fitted.trivial()) return fitted;
  choice.notes.clear();
  for (const InputColumn& in : fitted.inputs)
    choice.notes.push_back(in.kind == InputKind::Number && !in.had_missing ? "" : describe_input(in));
  return fitted;
}

Dataset load_encoded_training_dataset(const std::string& path, const std::vector<std::string>& targets,
                                      const std::vector<std::string>& features, InvalidCells policy,
                                      const CsvOptions& options, ColumnChoice& choice, std::size_t varying,
                                      std::shared_ptr<const FeatureEncoding>& encoding) {
  check_dataset_columns(path, targets, features);
  if (!encoding) {  // a plain numeric file: read in parts, its features held once in float32
    Dataset numeric;
    if (io::read_numeric_training_rows(path, targets, features, policy, options, choice, varying, numeric))
      return numeric;
  }
  const CsvFile csv = CsvFile::read(path, options);
  std::vector<int> target_columns;
  for (const std::string& t : targets) target_columns.push_back(csv.require_column(t));
  if (encoding) {  // an initial or resumed model's encoding, as it is
    choice = ColumnChoice{};
    choice.features = encoding->input_names();
    return encode_rows(csv, *encoding, targets, policy, true);
  }
  const std::vector<ColumnFacts> facts = column_facts(csv, features.empty() ? std::vector<int>{} : target_columns);
  check_targets_vary(path, csv.header(), facts,
                     {targets.begin(), targets.begin() + std::ptrdiff_t(std::min(varying, targets.size()))});
  FeatureEncoding fitted = fit_training_features(csv, facts, (long long)csv.rows(), targets, features, policy, choice);
  if (fitted.trivial())
    return dataset_from_csv(csv, targets, choice.features, policy, false, /*drop_missing_targets=*/true);
  auto shared = std::make_shared<const FeatureEncoding>(std::move(fitted));
  Dataset ds = encode_rows(csv, *shared, targets, policy, true);
  encoding = shared;
  return ds;
}

}  // namespace mdn
