// Fitting the feature encoding on a file read in parts (FileParts,
// mdn/feature_encoding.hpp), as `mpirun` ranks do: threads stand in for the
// ranks, each reading its part of the bytes (read_csv_part) and gathering the
// others' facts through a barrier. Every part must end with the encoding and
// the column choice one pass over the whole file gives, byte for byte; the
// fill means are checked against a sum written out here.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mdn/columns.hpp"
#include "mdn/csv.hpp"
#include "mdn/error.hpp"
#include "mdn/feature_encoding.hpp"

namespace mdn {
namespace {

// An all-gather among `n` threads: each hands in its bytes and gets
// everyone's, in part order.
class ThreadGather {
 public:
  explicit ThreadGather(int n) : n_(n), slots_(std::size_t(n)) {}
  std::vector<std::string> all_gather(int part, const std::string& bytes) {
    std::unique_lock<std::mutex> lock(mutex_);
    const long generation = generation_;
    slots_[std::size_t(part)] = bytes;
    if (++arrived_ == n_) {  // the last one in: everyone's bytes are there
      result_ = slots_;
      arrived_ = 0;
      ++generation_;
      done_.notify_all();
      return result_;
    }
    done_.wait(lock, [&] { return generation_ != generation; });
    return result_;  // kept until every thread of this round has left (the next round needs them all)
  }

 private:
  int n_, arrived_ = 0;
  long generation_ = 0;
  std::vector<std::string> slots_, result_;
  std::mutex mutex_;
  std::condition_variable done_;
};

// The parts of a file, with the line numbers of the whole file.
std::vector<CsvFile> read_parts(const std::string& path, int n) {
  std::vector<CsvPart> parts;
  for (int p = 0; p < n; ++p) parts.push_back(read_csv_part(path, p, n));
  std::vector<CsvFile> out;
  long long breaks = 0;
  for (CsvPart& part : parts) {
    part.first_line += int(breaks);
    breaks += part.row_line_breaks;
    out.push_back(CsvFile::read(path, part));
  }
  return out;
}

struct PartResult {
  std::string encoding, error;
  ColumnChoice choice;
};

// fit_training_features on every part at once (features empty: chosen from
// the merged column facts, as the ranks merge them).
std::vector<PartResult> fit_in_parts(const std::string& path, int n, const std::vector<std::string>& targets,
                                     const std::vector<std::string>& features) {
  const std::vector<CsvFile> parts = read_parts(path, n);
  std::vector<ColumnFacts> facts = column_facts(parts[0]);
  long long rows = (long long)parts[0].rows();
  for (int p = 1; p < n; ++p) {
    const std::vector<ColumnFacts> later = column_facts(parts[std::size_t(p)]);
    for (std::size_t c = 0; c < facts.size(); ++c) merge_later(facts[c], later[c]);
    rows += (long long)parts[std::size_t(p)].rows();
  }
  ThreadGather gather(n);
  std::vector<PartResult> results(static_cast<std::size_t>(n));
  std::vector<std::thread> threads;
  for (int p = 0; p < n; ++p)
    threads.emplace_back([&, p] {
      const FileParts fp{p, n, [&](const std::string& bytes) { return gather.all_gather(p, bytes); }};
      PartResult& r = results[std::size_t(p)];
      try {
        r.encoding = encoding_to_json(fit_training_features(parts[std::size_t(p)], facts, rows, targets, features,
                                                            InvalidCells::Fail, r.choice, &fp));
      } catch (const Error& e) {
        r.error = e.what();
      }
    });
  for (std::thread& t : threads) t.join();
  return results;
}

PartResult fit_whole(const std::string& path, const std::vector<std::string>& targets,
                     const std::vector<std::string>& features) {
  const CsvFile csv = CsvFile::read(path);
  PartResult r;
  try {
    r.encoding = encoding_to_json(fit_training_features(csv, column_facts(csv), (long long)csv.rows(), targets,
                                                        features, InvalidCells::Fail, r.choice));
  } catch (const Error& e) {
    r.error = e.what();
  }
  return r;
}

std::string described(const ColumnChoice& c) {
  std::string s;
  for (const std::string& f : c.features) s += "feature " + f + ";";
  for (const std::string& n : c.notes) s += "note " + n + ";";
  for (const LeftOutColumn& l : c.left_out) s += "left out " + l.name + " " + reason_name(l.reason) + " " + l.detail + ";";
  return s;
}

class EncodingInParts : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() / ("mdn_enc_parts_" + std::to_string(::getpid()) + ".csv")).string();
  }
  void TearDown() override { std::filesystem::remove(path_); }
  void write(const std::string& text) { std::ofstream(path_) << text; }
  std::string path_;
};

// 700 rows: a category 'a' only in the last 50 rows (the last part's) that
// sorts first, a category seen once early, dates with missing cells and times
// of day on some rows, numbers with missing cells whose sum depends on its
// order, an ID column (too many distinct values) and a constant text column.
std::string mixed_file(std::vector<double>& z) {
  std::string text = "id,kind,when,z,same,y\n";
  for (int i = 0; i < 700; ++i) {
    const char* kind = i >= 650 ? "a" : i == 3 ? "q" : i % 2 ? "m" : "n";
    char when[32];
    std::snprintf(when, sizeof when, i % 5 == 0 ? "%04d-%02d-%02d 0%d:30" : "%04d-%02d-%02d", 2000 + i % 4,
                  1 + i % 12, 1 + i % 27, i % 10);
    const double zv = 1000.0 + 0.37 * i + 1e-3 * std::sin(i) + (i % 13 == 0 ? 5e4 : 0.0);
    const bool z_missing = i % 7 == 3;
    if (!z_missing) z.push_back(std::stod(std::to_string(zv)));
    text += "r" + std::to_string(i) + "," + kind + "," + (i % 31 == 4 ? "" : when) + "," +
            (z_missing ? "" : std::to_string(zv)) + ",same," + std::to_string(0.01 * i + (i % 3)) + "\n";
  }
  return text;
}

TEST_F(EncodingInParts, EveryPartFitsTheWholeFilesEncodingAndChoice) {
  std::vector<double> z;
  write(mixed_file(z));
  const PartResult whole = fit_whole(path_, {"y"}, {});
  ASSERT_EQ(whole.error, "");
  // The fill of z: the sum in file order over its numbers, written out here;
  // a sum of the halves' sums has other bits (so only a sum in file order
  // passes below).
  double in_order = 0.0, first = 0.0, second = 0.0;
  for (double v : z) in_order += v;
  for (std::size_t i = 0; i < z.size(); ++i) (i < z.size() / 2 ? first : second) += z[i];
  ASSERT_NE(in_order, first + second);
  const FeatureEncoding enc = encoding_from_json(whole.encoding);
  ASSERT_EQ(enc.inputs.size(), 3u) << whole.encoding;  // kind, when, z; the ID and the constant left out
  EXPECT_EQ(enc.inputs[0].categories, (std::vector<std::string>{"a", "m", "n", "q"}));
  EXPECT_EQ(enc.inputs[1].date_parts,
            (std::vector<std::string>{"year", "doy_sin", "doy_cos", "hour_sin", "hour_cos"}));
  ASSERT_TRUE(enc.inputs[1].had_missing);
  ASSERT_EQ(enc.inputs[2].fill.size(), 1u);
  EXPECT_EQ(enc.inputs[2].fill[0], in_order / double(z.size()));
  for (int n : {2, 3, 5}) {
    const std::vector<PartResult> parts = fit_in_parts(path_, n, {"y"}, {});
    for (const PartResult& r : parts) {
      ASSERT_EQ(r.error, "") << n << " parts";
      EXPECT_EQ(r.encoding, whole.encoding) << n << " parts";
      EXPECT_EQ(described(r.choice), described(whole.choice)) << n << " parts";
    }
  }
  // Named features: the same encoding.
  const PartResult named = fit_whole(path_, {"y"}, {"z", "when", "kind"});
  ASSERT_EQ(named.error, "");
  for (const PartResult& r : fit_in_parts(path_, 3, {"y"}, {"z", "when", "kind"})) EXPECT_EQ(r.encoding, named.encoding);
}

// The date parts that vary only across parts: each part's dates are of one
// year, one day and one time; the whole file's vary in all three.
TEST_F(EncodingInParts, DatePartsVaryOverTheWholeFile) {
  std::string text = "when,y\n";
  for (int i = 0; i < 300; ++i)
    text += std::string(i < 100 ? "2001-03-04 10:00" : i < 200 ? "2002-05-06 11:00" : "2003-07-08 12:00") + "," +
            std::to_string(i % 7) + "\n";
  write(text);
  const PartResult whole = fit_whole(path_, {"y"}, {"when"});
  ASSERT_EQ(whole.error, "");
  EXPECT_NE(whole.encoding.find("\"year\",\"doy_sin\",\"doy_cos\",\"hour_sin\",\"hour_cos\""), std::string::npos);
  for (const PartResult& r : fit_in_parts(path_, 3, {"y"}, {"when"})) EXPECT_EQ(r.encoding, whole.encoding);
}

// An error of the whole file (a bad cell in a date column, in the last
// part): every part throws the one process's message, with the file's line.
TEST_F(EncodingInParts, ABadDateInOnePartFailsEveryPartWithTheWholeFilesMessage) {
  std::string text = "when,y\n";
  for (int i = 0; i < 300; ++i) text += (i == 280 ? std::string("soon") : "2001-03-0" + std::to_string(1 + i % 9)) +
                                        "," + std::to_string(i % 7) + "\n";
  write(text);
  const PartResult whole = fit_whole(path_, {"y"}, {});
  ASSERT_NE(whole.error.find("line 282, column 'when': 'soon' is not a date"), std::string::npos) << whole.error;
  for (const PartResult& r : fit_in_parts(path_, 3, {"y"}, {})) EXPECT_EQ(r.error, whole.error);
}

}  // namespace
}  // namespace mdn
