// The feature encoding (mdn/feature_encoding.hpp): dates parsed, text
// columns as categories, missing values filled with the training mean plus an
// indicator; unseen categories coded as zeros and counted; the encoding stored
// in the model file and read back the same; files without it unchanged.
#include "mdn/feature_encoding.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "io/model_file.hpp"
#include "mdn/error.hpp"
#include "mdn/model_io.hpp"

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

class Encoding : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "mdn_encoding_XXXXXX").string();
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

// x (numbers, some missing), species (3 categories), when (dates over two
// years, times of day), id (all distinct text), y.
std::string mixed_file(int rows) {
  const char* species[] = {"Adelie", "Gentoo", "Chinstrap"};
  std::string text = "x,species,when,id,y\n";
  for (int i = 0; i < rows; ++i) {
    char when[40];
    std::snprintf(when, sizeof when, "%d-%02d-%02d %02d:30:00.000 +0200", 2005 + i % 2, 1 + i % 12, 1 + i % 28,
                  i % 24);
    text += (i % 5 == 3 ? std::string("NA") : std::to_string(i % 7)) + "," + species[i % 3] + "," + when + ",p" +
            std::to_string(i) + "," + std::to_string(i % 4) + "\n";
  }
  return text;
}

TEST(DateTimes, TheDocumentedFormatsParseAndOthersDoNot) {
  DateTime d;
  ASSERT_TRUE(parse_date_time("2006-04-01 00:00:00.000 +0200", d));
  EXPECT_EQ(d.year, 2006);
  EXPECT_EQ(d.month, 4);
  EXPECT_EQ(d.day, 1);
  EXPECT_TRUE(d.has_time);
  EXPECT_EQ(d.seconds, 0.0);
  ASSERT_TRUE(parse_date_time("2006-04-01T10:30", d));
  EXPECT_EQ(d.seconds, 10 * 3600.0 + 30 * 60.0);
  ASSERT_TRUE(parse_date_time("2006-04-01", d));
  EXPECT_FALSE(d.has_time);
  for (const char* ok : {"2006/4/1", "01.04.2006", "2006-04-01T10:00:00Z", "2006-04-01T10:00:00+02:00",
                         "2006-04-01 10:00:05.25", "2004-02-29"})
    EXPECT_TRUE(parse_date_time(ok, d)) << ok;
  for (const char* bad : {"2006", "2006-13-01", "2006-02-29", "2006-04-31", "7O", "2006-04-01 25:00", "04/01/2006",
                          "2006-04-01x", "2006-4-1", "", "rain"})
    EXPECT_FALSE(parse_date_time(bad, d)) << bad;
}

TEST_F(Encoding, FitsCategoriesDatesAndFilledNumbers) {
  const CsvFile csv = CsvFile::read(write("m.csv", mixed_file(60)));
  const FeatureEncoding enc = fit_encoding(csv, {"x", "species", "when"}, InvalidCells::Fail, true);
  ASSERT_EQ(enc.inputs.size(), 3u);
  EXPECT_EQ(enc.inputs[0].kind, InputKind::Number);
  EXPECT_TRUE(enc.inputs[0].had_missing);
  EXPECT_EQ(enc.inputs[1].kind, InputKind::Category);
  EXPECT_EQ(enc.inputs[1].categories, (std::vector<std::string>{"Adelie", "Chinstrap", "Gentoo"}));
  EXPECT_EQ(enc.inputs[2].kind, InputKind::Date);
  EXPECT_EQ(enc.feature_names(),
            (std::vector<std::string>{"x", "x:missing", "species=Adelie", "species=Chinstrap", "species=Gentoo",
                                      "when:year", "when:doy_sin", "when:doy_cos", "when:hour_sin", "when:hour_cos"}));
  EXPECT_FALSE(enc.trivial());
  // The fill value is the mean of the numbers that are there.
  double sum = 0.0;
  int n = 0;
  for (int i = 0; i < 60; ++i)
    if (i % 5 != 3) sum += i % 7, ++n;
  ASSERT_EQ(enc.inputs[0].fill.size(), 1u);
  EXPECT_DOUBLE_EQ(enc.inputs[0].fill[0], sum / n);
  // With DropRow the rows go instead: nothing to fill.
  EXPECT_FALSE(fit_encoding(csv, {"x"}, InvalidCells::DropRow, true).inputs[0].had_missing);
  // An ID column named as a feature is an error naming it.
  const std::string msg = message_of([&] { fit_encoding(csv, {"id"}, InvalidCells::Fail, true); });
  EXPECT_TRUE(has(msg, "column 'id' cannot be a feature") && has(msg, "more than 50 distinct values")) << msg;
}

TEST_F(Encoding, RowsAreEncodedTheSameWayEverywhere) {
  const CsvFile train = CsvFile::read(write("m.csv", mixed_file(60)));
  const FeatureEncoding enc = fit_encoding(train, {"x", "species", "when"}, InvalidCells::Fail, true);
  const CsvFile rows = CsvFile::read(write("p.csv",
                                           "when,species,x\n"
                                           "2006-04-01 12:00,Gentoo,2.5\n"
                                           "2005-01-01,Emperor,NA\n"
                                           "2006-07-02T06:00:00Z,,1\n"));
  EncodingCounts counts;
  const Dataset ds = encode_rows(rows, enc, {}, InvalidCells::Fail, false, &counts);
  ASSERT_EQ(ds.x.rows, 3);
  ASSERT_EQ(ds.x.cols, 10);
  const mdn::MatrixD xd = ds.x.exact();
  const double* r0 = xd.row(0);
  EXPECT_EQ(r0[0], 2.5);
  EXPECT_EQ(r0[1], 0.0);
  EXPECT_EQ(r0[2], 0.0);
  EXPECT_EQ(r0[3], 0.0);
  EXPECT_EQ(r0[4], 1.0);
  // 1 April 2006, noon: day 91 of 365, half a day in.
  const double into = (90 + 0.5) / 365.0;
  EXPECT_NEAR(r0[5], 2006 + into, 1e-12);
  EXPECT_NEAR(r0[6], std::sin(2 * M_PI * into), 1e-12);
  EXPECT_NEAR(r0[7], std::cos(2 * M_PI * into), 1e-12);
  EXPECT_NEAR(r0[8], 0.0, 1e-12);  // noon: sin(pi)
  EXPECT_NEAR(r0[9], -1.0, 1e-12);
  // An unseen category: all zeros, counted; a missing x: the mean and the indicator.
  const double* r1 = xd.row(1);
  EXPECT_EQ(r1[0], enc.inputs[0].fill[0]);
  EXPECT_EQ(r1[1], 1.0);
  EXPECT_EQ(r1[2] + r1[3] + r1[4], 0.0);
  EXPECT_EQ(counts.unseen, (std::vector<long long>{0, 1, 0}));
  EXPECT_EQ(counts.first_unseen[1], "Emperor");
  EXPECT_EQ(counts.missing, (std::vector<long long>{1, 1, 0}));
  const std::vector<std::string> warnings = encoding_warnings(enc, counts);
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_TRUE(has(warnings[1], "1 of 3 rows have a category of 'species' not seen in training (the first: 'Emperor')"))
      << warnings[1];
  // A date that does not parse, and a missing date (training had none): errors naming line and column.
  const CsvFile bad = CsvFile::read(write("b.csv", "when,species,x\n2006-04-01,Adelie,1\n2006-02-30,Adelie,1\n"));
  std::string msg = message_of([&] { encode_rows(bad, enc, {}, InvalidCells::Fail, false); });
  EXPECT_TRUE(has(msg, "line 3, column 'when': '2006-02-30' is not a date") && has(msg, "InvalidCells::DropRow")) << msg;
  const CsvFile gap = CsvFile::read(write("g.csv", "when,species,x\nNA,Adelie,1\n2006-01-01,Adelie,1\n"));
  msg = message_of([&] { encode_rows(gap, enc, {}, InvalidCells::Fail, false); });
  EXPECT_TRUE(has(msg, "line 2, column 'when': 'NA' marks a missing value, and column 'when' had none in training"))
      << msg;
  const Dataset kept = encode_rows(gap, enc, {}, InvalidCells::DropRow, false);
  EXPECT_EQ(kept.x.rows, 1);
  EXPECT_EQ(kept.dropped_rows, 1u);
  EXPECT_EQ(kept.lines, (std::vector<int>{3}));
}

Model tiny_model(const std::vector<std::string>& features) {
  Model m;
  m.spec.input_dim = int(features.size());
  m.spec.target_dim = 1;
  m.spec.components = 2;
  m.spec.hidden = {3};
  m.params.assign(ParameterLayout(m.spec).total, 0.25f);
  m.feature_names = features;
  m.target_names = {"y"};
  m.stats.x_mean.assign(features.size(), 0.0);
  m.stats.x_scale.assign(features.size(), 1.0);
  m.stats.t_mean = {0.0};
  m.stats.t_scale = {1.0};
  return m;
}

TEST_F(Encoding, TheModelFileKeepsItAndOlderFilesLoadWithout) {
  const CsvFile train = CsvFile::read(write("m.csv", mixed_file(60)));
  const FeatureEncoding enc = fit_encoding(train, {"x", "species", "when"}, InvalidCells::Fail, true);
  Model m = tiny_model(enc.feature_names());
  m.encoding = std::make_shared<const FeatureEncoding>(enc);
  const std::string path = (dir_ / "m.safetensors").string();
  save_model(m, path);
  const Model back = load_model(path);
  ASSERT_TRUE(back.encoding);
  EXPECT_EQ(encoding_to_json(*back.encoding), encoding_to_json(enc));
  EXPECT_EQ(back.encoding->inputs[0].fill, enc.inputs[0].fill);  // doubles, bit for bit
  EXPECT_EQ(back.encoding->inputs[1].categories, enc.inputs[1].categories);
  EXPECT_EQ(model_input_names(back), (std::vector<std::string>{"x", "species", "when"}));
  // The same rows give the same features through the loaded encoding.
  const Dataset a = encode_rows(train, enc, {"y"}, InvalidCells::Fail, false);
  const Dataset b = encode_rows(train, *back.encoding, {"y"}, InvalidCells::Fail, false);
  EXPECT_EQ(a.x.exact().data, b.x.exact().data);
  // A model without it (every file before it) loads with none, and reads its features by name.
  const std::string plain = (dir_ / "plain.safetensors").string();
  save_model(tiny_model({"x"}), plain);
  std::map<std::string, std::string> meta;
  const Model old = io::load_model_file(plain, {}, nullptr, &meta);
  EXPECT_FALSE(old.encoding);
  EXPECT_EQ(meta.count("mdn.inputs"), 0u);
  EXPECT_EQ(model_input_names(old), (std::vector<std::string>{"x"}));
  // An encoding that does not give the model's features is refused.
  Model wrong = tiny_model({"x", "x:missing", "a", "b", "c", "d", "e", "f", "g", "h"});
  wrong.encoding = m.encoding;
  const std::string wpath = (dir_ / "w.safetensors").string();
  save_model(wrong, wpath);
  const std::string msg = message_of([&] { load_model(wpath); });
  EXPECT_TRUE(has(msg, "the feature encoding (metadata \"mdn.inputs\") does not give the model's features")) << msg;
  // A newer version is refused by name.
  std::string json = encoding_to_json(enc);
  json.replace(json.find("\"version\":1"), 11, "\"version\":9");
  EXPECT_TRUE(has(message_of([&] { encoding_from_json(json); }), "written by a newer mdn"));
}

TEST_F(Encoding, TrainingChoosesCategoriesAndDatesAndLeavesOutIds) {
  const std::string path = write("m.csv", mixed_file(60));
  ColumnChoice choice;
  std::shared_ptr<const FeatureEncoding> enc;
  const Dataset ds =
      load_encoded_training_dataset(path, {"y"}, {}, InvalidCells::Fail, CsvOptions{}, choice, 1, enc);
  ASSERT_TRUE(enc);
  EXPECT_EQ(choice.features, (std::vector<std::string>{"x", "species", "when"}));
  EXPECT_EQ(ds.feature_names, enc->feature_names());
  EXPECT_EQ(ds.x.rows, 60);
  bool id_left_out = false;
  for (const LeftOutColumn& l : choice.left_out)
    if (l.name == "id") id_left_out = has(l.detail, "an ID or free text");
  EXPECT_TRUE(id_left_out);
  // Plain numbers without missing values: no encoding, as before.
  const std::string plain = write("p.csv", "a,b,y\n3,2,3\n1,1,4\n4,5,1\n2,4,2\n");
  std::shared_ptr<const FeatureEncoding> none;
  const Dataset p = load_encoded_training_dataset(plain, {"y"}, {}, InvalidCells::Fail, CsvOptions{}, choice, 1, none);
  EXPECT_FALSE(none);
  EXPECT_EQ(p.feature_names, (std::vector<std::string>{"a", "b"}));
  // A column of dates with a typo is an error naming the cell, before any work.
  std::string text = "d,y\n";
  for (int i = 1; i <= 20; ++i) text += "2006-01-" + std::string(i < 10 ? "0" : "") + std::to_string(i) + "," +
                                        std::to_string(i % 3) + "\n";
  text += "2006-01-3x,1\n";
  const std::string typo = write("t.csv", text);
  const std::string msg = message_of(
      [&] { load_encoded_training_dataset(typo, {"y"}, {}, InvalidCells::Fail, CsvOptions{}, choice, 1, none); });
  EXPECT_TRUE(has(msg, "line 22, column 'd': '2006-01-3x' is not a date, in a column of dates (20 of 21")) << msg;
}

}  // namespace
}  // namespace mdn
