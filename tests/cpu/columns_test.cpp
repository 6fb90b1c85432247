// The training columns (mdn/columns.hpp): the facts of one pass, merged
// across parts exactly as over the whole file; the choice of features with a
// reason for every column left out; the typo-cell and constant-target errors;
// named features overriding every rule.
#include "mdn/columns.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "mdn/error.hpp"

namespace mdn {
namespace {

namespace fs = std::filesystem;

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "nothing thrown";
  return {};
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class Columns : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "mdn_columns_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  fs::path dir_;
};

// rownames (1..n), an index 0..n-1, a feature, a constant, text, all-missing, a target.
std::string mixed_file(int rows) {
  std::string text = "rownames,idx,x,station,weather,empty,y\n";
  for (int i = 0; i < rows; ++i)
    text += std::to_string(i + 1) + "," + std::to_string(i) + "," + std::to_string((i * 7) % 5) + ".5,3," +
            (i % 2 ? "rain" : "sun") + ",NA," + std::to_string(i % 3) + "\n";
  return text;
}

const LeftOutColumn* find(const ColumnChoice& c, const std::string& name) {
  for (const LeftOutColumn& l : c.left_out)
    if (l.name == name) return &l;
  return nullptr;
}

TEST_F(Columns, EveryColumnIsUsedOrLeftOutWithItsReason) {
  const CsvFile csv = CsvFile::read(write("m.csv", mixed_file(10)));
  const ColumnChoice c =
      choose_columns("m.csv", csv.header(), column_facts(csv), {"y"}, (long long)csv.rows(), InvalidCells::Fail);
  EXPECT_TRUE(c.chosen);
  EXPECT_EQ(c.features, (std::vector<std::string>{"x"}));
  ASSERT_EQ(c.left_out.size(), 6u);
  const std::pair<const char*, LeftOutReason> expected[] = {
      {"rownames", LeftOutReason::RowLabel},  {"idx", LeftOutReason::RowCounter}, {"station", LeftOutReason::Constant},
      {"weather", LeftOutReason::NotNumeric}, {"empty", LeftOutReason::NoValues}, {"y", LeftOutReason::Target}};
  for (const auto& [name, reason] : expected) {
    const LeftOutColumn* l = find(c, name);
    ASSERT_NE(l, nullptr) << name;
    EXPECT_EQ(l->reason, reason) << name;
  }
  EXPECT_EQ(find(c, "idx")->detail, "0..9 in order");
  EXPECT_EQ(find(c, "station")->detail, "every value is 3");
  EXPECT_EQ(find(c, "weather")->detail, "'sun' on line 2");
  EXPECT_TRUE(warn_about(LeftOutReason::RowCounter) && warn_about(LeftOutReason::Constant));
  EXPECT_FALSE(warn_about(LeftOutReason::NotNumeric) || warn_about(LeftOutReason::Target));
}

TEST_F(Columns, CountersMustCountEveryRowInOrderFromZeroOrOne) {
  const CsvFile csv = CsvFile::read(write("c.csv",
                                          "a,b,c,d,e,y\n"
                                          "1,2,0,5,1,1\n"
                                          "2,3,1,6,3,2\n"
                                          "3,4,2,7,2,3\n"
                                          "4,5,,8,4,1\n"));
  const ColumnChoice c =
      choose_columns("c.csv", csv.header(), column_facts(csv), {"y"}, (long long)csv.rows(), InvalidCells::DropRow);
  // a: 1..4, a counter; b starts at 2, c has a missing cell, d starts at 5, e is out of order.
  EXPECT_EQ(c.features, (std::vector<std::string>{"b", "c", "d", "e"}));
  EXPECT_EQ(find(c, "a")->reason, LeftOutReason::RowCounter);
}

TEST_F(Columns, ATypoInAColumnOfNumbersIsAnErrorNamingLineAndValue) {
  std::string text = "waiting,note,y\n";
  for (int i = 0; i < 30; ++i)
    text += std::to_string(50 + i % 9) + ",a" + std::to_string(i) + "," + std::to_string(i % 4) + "\n";
  text.replace(text.find("\n53,") + 1, 2, "7O");  // line 5
  const CsvFile csv = CsvFile::read(write("t.csv", text));
  const auto facts = column_facts(csv);
  const std::string msg = message_of(
      [&] { choose_columns("t.csv", csv.header(), facts, {"y"}, (long long)csv.rows(), InvalidCells::Fail); });
  EXPECT_TRUE(has(msg, "t.csv: line 5, column 'waiting': '7O' is not a number, in a column of numbers (29 of 30") &&
              has(msg, "CsvOptions::na_values") && has(msg, "InvalidCells::DropRow") &&
              has(msg, "an explicit list of features"))
      << msg;
  // With DropRow the column is a feature (its bad rows are dropped later);
  // text with a few numbers is still text.
  const ColumnChoice c =
      choose_columns("t.csv", csv.header(), facts, {"y"}, (long long)csv.rows(), InvalidCells::DropRow);
  EXPECT_EQ(c.features, (std::vector<std::string>{"waiting"}));
  EXPECT_EQ(find(c, "note")->reason, LeftOutReason::NotNumeric);
}

TEST_F(Columns, AConstantTargetIsAnErrorAndNoFeatureLeftSaysWhy) {
  const CsvFile csv = CsvFile::read(write("k.csv", "x,y,z\n1,5,0\n2,5,0\n3,5,0\n"));
  const auto facts = column_facts(csv);
  const std::string msg = message_of([&] { check_targets_vary("k.csv", csv.header(), facts, {"x", "y"}); });
  EXPECT_TRUE(has(msg, "k.csv: the target column 'y' is constant (every value is 5)")) << msg;
  const std::string none = message_of(
      [&] { choose_columns("k.csv", csv.header(), facts, {"x"}, (long long)csv.rows(), InvalidCells::Fail); });
  EXPECT_TRUE(has(none, "no column to use as a feature") && has(none, "'z' (constant: every value is 0)")) << none;
}

TEST_F(Columns, FactsOfPartsMergeToTheWholeFilesFacts) {
  const std::string text = mixed_file(12) + "13,12,x,3,sun,NA,1\n";
  const CsvFile whole = CsvFile::read(write("w.csv", text));
  const auto all = column_facts(whole);
  for (int parts : {2, 3, 5}) {
    std::vector<ColumnFacts> merged;
    long long breaks = 0;
    for (int p = 0; p < parts; ++p) {
      CsvPart part = read_csv_part((dir_ / "w.csv").string(), p, parts);
      part.first_line += int(breaks);
      breaks += part.row_line_breaks;
      const auto facts = facts_from_bytes(facts_to_bytes(column_facts(CsvFile::read("w.csv", part))));
      if (p == 0) {
        merged = facts;
        continue;
      }
      for (std::size_t c = 0; c < merged.size(); ++c) merge_later(merged[c], facts[c]);
    }
    for (std::size_t c = 0; c < all.size(); ++c) {
      EXPECT_EQ(merged[c].numbers, all[c].numbers) << c;
      EXPECT_EQ(merged[c].missing, all[c].missing) << c;
      EXPECT_EQ(merged[c].other, all[c].other) << c;
      EXPECT_EQ(merged[c].counting, all[c].counting) << parts << " parts, column " << c;
      EXPECT_EQ(merged[c].min, all[c].min) << c;
      EXPECT_EQ(merged[c].max, all[c].max) << c;
      EXPECT_EQ(merged[c].first_other, all[c].first_other) << c;
      EXPECT_EQ(merged[c].first_other_line, all[c].first_other_line) << c;
    }
  }
  EXPECT_TRUE(all[0].counting);  // rownames 1..13
  EXPECT_EQ(all[2].first_other, "x");
}

TEST_F(Columns, NamedFeaturesOverrideEveryRuleButTheTargetStillMustVary) {
  const std::string path = write("m.csv", mixed_file(10));
  ColumnChoice c;
  const Dataset ds = load_training_dataset(path, {"y"}, {"idx", "station"}, InvalidCells::Fail, {}, c);
  EXPECT_FALSE(c.chosen);
  EXPECT_EQ(ds.feature_names, (std::vector<std::string>{"idx", "station"}));
  EXPECT_EQ(ds.x.rows, 10);
  const Dataset chosen = load_training_dataset(path, {"y"}, {}, InvalidCells::Fail, {}, c);
  EXPECT_TRUE(c.chosen);
  EXPECT_EQ(chosen.feature_names, (std::vector<std::string>{"x"}));
  EXPECT_TRUE(has(message_of([&] { load_training_dataset(path, {"station"}, {"x"}, InvalidCells::Fail, {}, c); }),
                  "target column 'station' is constant"));
}

}  // namespace
}  // namespace mdn
