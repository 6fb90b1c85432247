// Training data held once (docs/DATA.md, "Memory"): compact features
// (DataMatrix), the streamed read of plain numeric files, the in-place
// standardisation, and a run that is given its data set, each against the
// straightforward path it replaces.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/temp_dir.hpp"
#include "io/numeric_training_read.hpp"
#include "mdn/backend.hpp"
#include "mdn/csv.hpp"
#include "mdn/feature_encoding.hpp"
#include "mdn/standardizer.hpp"
#include "mdn/trainer.hpp"
#include "train/training_data.hpp"

namespace {

using namespace mdn;

MatrixD random_rows(int rows, int cols, double offset, double spread, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  MatrixD m(rows, cols);
  for (double& v : m.data) v = offset + spread * u(rng);
  return m;
}

TEST(CompactData, ValuesKeepTheirDistanceFromTheFirstRowToFloatPrecision) {
  // A Unix-timestamp-like column (1.7e9 + up to a day in seconds) and a
  // column around 0: each value within 2^-24 of its distance from the
  // reference (the first row), which for the timestamps is well under a
  // second, where float32 values themselves would be 128 s apart.
  MatrixD m = random_rows(500, 2, 0.0, 1.0, 3);
  for (int r = 0; r < m.rows; ++r) m(r, 0) = 1.7e9 + std::floor(86400.0 * (0.5 + 0.5 * m(r, 1)));
  const DataMatrix c = DataMatrix::compact(m);
  ASSERT_TRUE(c.is_compact());
  ASSERT_EQ(c.rows, m.rows);
  ASSERT_EQ(c.cols, 2);
  for (int r = 0; r < m.rows; ++r)
    for (int k = 0; k < 2; ++k) {
      const double distance = std::fabs(m(r, k) - m(0, k));
      EXPECT_LE(std::fabs(c(r, k) - m(r, k)), std::ldexp(distance, -24)) << r << "," << k;
    }
  EXPECT_EQ(c(0, 0), m(0, 0));  // the reference itself is exact
  // Whole seconds below 2^24 from the reference are exact in float32.
  for (int r = 0; r < m.rows; ++r) EXPECT_EQ(c(r, 0), m(r, 0)) << r;
  // The exact form holds the doubles as they are.
  const DataMatrix e(m);
  EXPECT_FALSE(e.is_compact());
  EXPECT_EQ(e.exact().data, m.data);
  EXPECT_THROW((void)c.exact(), Error);
}

TEST(CompactData, AppendedPartsShareTheFirstPartsReference) {
  const MatrixD m = random_rows(300, 3, 1e6, 50.0, 4);
  DataMatrix parts = DataMatrix::compact(MatrixD(0, 3));
  parts.reserve(m.rows);
  for (int begin = 0; begin < m.rows; begin += 70) {
    MatrixD part(std::min(70, m.rows - begin), 3);
    for (int r = 0; r < part.rows; ++r)
      for (int k = 0; k < 3; ++k) part(r, k) = m(begin + r, k);
    parts.append(part);
  }
  const DataMatrix whole = DataMatrix::compact(m);
  ASSERT_EQ(parts.rows, m.rows);
  EXPECT_EQ(parts.to_double().data, whole.to_double().data);
  // take_rows keeps the form and the values; set writes against the reference.
  const DataMatrix some = whole.take_rows({5, 2, 299});
  EXPECT_TRUE(some.is_compact());
  EXPECT_EQ(some(0, 1), whole(5, 1));
  EXPECT_EQ(some(2, 2), whole(299, 2));
  DataMatrix edited = whole;
  edited.set(7, 0, 1e6 + 0.25);
  EXPECT_NEAR(edited(7, 0), 1e6 + 0.25, std::ldexp(std::fabs(1e6 + 0.25 - whole(0, 0)), -24));
  EXPECT_NE(edited(7, 0), whole(7, 0));
  // A first row that is not finite leaves the reference at 0.
  MatrixD nan_first(2, 1);
  nan_first(0, 0) = std::nan("");
  nan_first(1, 0) = 3.5;
  EXPECT_EQ(DataMatrix::compact(nan_first)(1, 0), 3.5);
}

TEST(CompactData, StatisticsFromRowsEqualThoseOfTheRowsCopiedOut) {
  const MatrixD x = random_rows(400, 3, 2e4, 7.0, 5);
  const MatrixD t = random_rows(400, 1, 0.0, 1.0, 6);
  std::vector<int> rows;
  for (int r = 0; r < 400; r += 3) rows.push_back((r * 37) % 400);
  const MatrixD x_rows = detail::take_rows(x, rows);
  const MatrixD t_rows = detail::take_rows(t, rows);
  const auto same = [](double v) { return v; };
  const Standardizer copied = Standardizer::fit(x_rows, t_rows);
  const Standardizer direct = Standardizer::fit(DataMatrix(x), rows, t_rows, {}, same, (long long)rows.size());
  EXPECT_EQ(direct.x_mean, copied.x_mean);
  EXPECT_EQ(direct.x_scale, copied.x_scale);
  EXPECT_EQ(direct.t_mean, copied.t_mean);
  EXPECT_EQ(direct.standardize_x(DataMatrix(x), rows).data, copied.standardize_x(x_rows).data);
}

TEST(CompactData, InPlaceStandardisationEqualsTheCopyBitForBit) {
  const MatrixD x = random_rows(1000, 4, 5e3, 30.0, 7);
  const DataMatrix compact = DataMatrix::compact(x);
  const Standardizer stats = Standardizer::fit(x, MatrixD(1000, 1));
  // A split's training rows: a shuffled subset (the others are dropped).
  std::vector<int> rows;
  std::mt19937_64 rng(8);
  for (int r = 0; r < 1000; ++r)
    if (rng() % 5 != 0) rows.push_back(r);
  std::shuffle(rows.begin(), rows.end(), rng);
  const Matrix copied = stats.standardize_x(compact, rows);
  DataMatrix given = compact;
  const Matrix in_place = detail::standardise_in_place(given, rows, stats);
  EXPECT_EQ(in_place.rows, int(rows.size()));
  EXPECT_EQ(in_place.cols, 4);
  EXPECT_EQ(in_place.data, copied.data);
  EXPECT_EQ(given.rows, 0);  // given up
  // Every row, in reverse: one long permutation cycle structure.
  std::vector<int> reversed(1000);
  for (int r = 0; r < 1000; ++r) reversed[std::size_t(r)] = 999 - r;
  DataMatrix again = compact;
  EXPECT_EQ(detail::standardise_in_place(again, reversed, stats).data, stats.standardize_x(compact, reversed).data);
}

class StreamedRead : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& bytes) {
    dir_.write(name, bytes);
    return dir_.file(name);
  }
  // rownames (1..n, left out), a constant (left out), two features far from
  // 0 and near it, a target: some 40 KB, many parts of 4 KB.
  std::string numeric_file(int rows) {
    std::string text = "rownames,station,stamp,x,y\n";
    std::mt19937_64 rng(9);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    char line[160];
    for (int i = 0; i < rows; ++i) {
      std::snprintf(line, sizeof line, "%d,7,%.10g,%.7g,%.7g\n", i + 1, 1.7e9 + std::floor(1e5 * u(rng)), u(rng),
                    u(rng));
      text += line;
    }
    return write("numeric.csv", text);
  }
  test::TempDir dir_;
};

TEST_F(StreamedRead, PartsGiveTheWholeFilesRowsAndColumnChoice) {
  const std::string path = numeric_file(1200);
  ColumnChoice streamed_choice, whole_choice;
  Dataset streamed;
  ASSERT_TRUE(io::read_numeric_training_rows(path, {"y"}, {}, InvalidCells::Fail, {}, streamed_choice, 1, streamed,
                                             4096));
  const Dataset whole = load_training_dataset(path, {"y"}, {}, InvalidCells::Fail, {}, whole_choice, 1);
  EXPECT_EQ(streamed_choice.features, (std::vector<std::string>{"stamp", "x"}));
  EXPECT_EQ(streamed_choice.features, whole_choice.features);
  ASSERT_EQ(streamed_choice.left_out.size(), whole_choice.left_out.size());
  for (std::size_t i = 0; i < whole_choice.left_out.size(); ++i) {
    EXPECT_EQ(streamed_choice.left_out[i].name, whole_choice.left_out[i].name);
    EXPECT_EQ(streamed_choice.left_out[i].detail, whole_choice.left_out[i].detail);
  }
  ASSERT_TRUE(streamed.x.is_compact());
  EXPECT_EQ(streamed.x.rows, 1200);
  EXPECT_EQ(streamed.x.to_double().data, DataMatrix::compact(whole.x.exact()).to_double().data);
  EXPECT_EQ(streamed.t.data, whole.t.data);
  EXPECT_EQ(streamed.lines, whole.lines);
  EXPECT_EQ(streamed.feature_names, whole.feature_names);
  // Named features: the same rows, those columns.
  Dataset named;
  ColumnChoice named_choice;
  ASSERT_TRUE(io::read_numeric_training_rows(path, {"y"}, {"x"}, InvalidCells::Fail, {}, named_choice, 1, named,
                                             4096));
  ASSERT_EQ(named.x.cols, 1);
  MatrixD x_column(1200, 1);
  for (int r = 0; r < 1200; ++r) x_column(r, 0) = whole.x(r, 1);
  EXPECT_EQ(named.x.to_double().data, DataMatrix::compact(x_column).to_double().data);
}

TEST_F(StreamedRead, AWeightColumnPutsTheReferenceOnTheFirstRowOfPositiveWeight) {
  // Rows of weight 0 leave before training; the reference must be a row that
  // stays, the one the remaining rows alone would take.
  const std::string path =
      write("weighted.csv", "x,y,w\n1000.1,1,0\n1000.2,2,0\n1003.7,3,2\n1001.3,4,1\n1002.9,5,0\n1004.4,6,1\n");
  ColumnChoice choice;
  Dataset streamed;
  ASSERT_TRUE(io::read_numeric_training_rows(path, {"y", "w"}, {"x"}, InvalidCells::Fail, {}, choice, 1, streamed));
  const Dataset whole = load_training_dataset(path, {"y", "w"}, {"x"}, InvalidCells::Fail, {}, choice, 1);
  std::vector<double> weights;
  for (int r = 0; r < whole.t.rows; ++r) weights.push_back(whole.t(r, 1));
  EXPECT_EQ(first_row_reference(whole.x.exact(), weights), (std::vector<double>{1003.7}));
  EXPECT_EQ(streamed.x(2, 0), 1003.7);  // the reference itself is exact
  EXPECT_EQ(streamed.x.to_double().data,
            DataMatrix::compact(whole.x.exact(), first_row_reference(whole.x.exact(), weights)).to_double().data);
}

TEST_F(StreamedRead, TextMissingCellsOrAPipeLeaveItToTheWholeFileRead) {
  const std::string text = write("text.csv", "x,kind,y\n1,a,2\n2,b,3\n3,a,5\n4,b,4\n");
  const std::string missing = write("missing.csv", "x,y\n1,2\nNA,3\n3,5\n4,4\n");
  for (const std::string& path : {text, missing}) {
    ColumnChoice choice;
    Dataset out;
    out.target_names = {"untouched"};
    EXPECT_FALSE(io::read_numeric_training_rows(path, {"y"}, {}, InvalidCells::Fail, {}, choice, 1, out)) << path;
    EXPECT_EQ(out.target_names, (std::vector<std::string>{"untouched"}));
    // The whole-file read encodes them (a category; a filled-in value), exact.
    std::shared_ptr<const FeatureEncoding> encoding;
    const Dataset ds = load_encoded_training_dataset(path, {"y"}, {}, InvalidCells::Fail, {}, choice, 1, encoding);
    EXPECT_FALSE(ds.x.is_compact()) << path;
    EXPECT_EQ(ds.x.rows, 4) << path;
  }
  // Named numeric features of a file with a text column elsewhere: streamed.
  ColumnChoice choice;
  Dataset out;
  EXPECT_TRUE(io::read_numeric_training_rows(text, {"y"}, {"x"}, InvalidCells::Fail, {}, choice, 1, out));
  EXPECT_TRUE(out.x.is_compact());
  // A pipe cannot be read twice.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[1]);
  const std::string pipe_path = "/dev/fd/" + std::to_string(fds[0]);
  EXPECT_FALSE(io::read_numeric_training_rows(pipe_path, {"y"}, {}, InvalidCells::Fail, {}, choice, 1, out));
  ::close(fds[0]);
}

TEST_F(StreamedRead, ErrorsAreTheWholeFileReadsErrors) {
  const std::string constant = write("constant.csv", "x,y\n1,2\n2,2\n3,2\n");
  const std::string ragged = write("ragged.csv", "x,y\n1,2\n2,3,4\n3,5\n");
  for (const std::string& path : {constant, ragged}) {
    std::string streamed, whole;
    ColumnChoice choice;
    Dataset out;
    try {
      (void)io::read_numeric_training_rows(path, {"y"}, {}, InvalidCells::Fail, {}, choice, 1, out);
    } catch (const Error& e) {
      streamed = e.what();
    }
    try {
      (void)load_training_dataset(path, {"y"}, {}, InvalidCells::Fail, {}, choice, 1);
    } catch (const Error& e) {
      whole = e.what();
    }
    EXPECT_FALSE(streamed.empty()) << path;
    EXPECT_EQ(streamed, whole) << path;
  }
  ColumnChoice choice;
  Dataset out;
  EXPECT_THROW((void)io::read_numeric_training_rows(constant, {"z"}, {}, InvalidCells::Fail, {}, choice, 1, out),
               Error);
}

// A run given its data set trains the model a run that only reads it trains.
TEST(CompactData, ARunGivenItsRowsTrainsTheSameModelAndEmptiesThem) {
  const MatrixD x = random_rows(600, 2, 300.0, 5.0, 10);
  MatrixD t(600, 1);
  for (int r = 0; r < 600; ++r) t(r, 0) = std::sin(x(r, 0)) + 0.1 * x(r, 1);
  Dataset data;
  data.x = DataMatrix::compact(x);
  data.t = t;
  data.feature_names = {"a", "b"};
  data.target_names = {"y"};
  data.lines.assign(600, 2);
  ModelSpec spec;
  spec.input_dim = 2;
  spec.components = 2;
  spec.hidden = {8};
  TrainOptions o;
  o.epochs = 3;
  o.seed = 4;
  for (const bool noise : {false, true}) {  // the data fixed, or redrawn every epoch
    o.target_noise = noise ? 0.05f : 0.0f;
    auto read_only = make_cpu_backend(spec);
    const Model expected = train(*read_only, spec, data, o);
    Dataset given = data;
    auto consuming = make_cpu_backend(spec);
    const Model got = train(*consuming, spec, std::move(given), o);
    EXPECT_EQ(got.params, expected.params) << noise;
    EXPECT_EQ(got.history.val_nll, expected.history.val_nll) << noise;
    EXPECT_EQ(got.x_min, expected.x_min) << noise;
    EXPECT_EQ(got.stats.x_mean, expected.stats.x_mean) << noise;
    EXPECT_EQ(given.x.rows, 0) << noise;
    EXPECT_EQ(given.t.rows, 0) << noise;
    EXPECT_TRUE(given.lines.empty()) << noise;
  }
  // Rows of weight 0 leave first: with the reference on the first row of
  // positive weight, the model is the one of the other rows alone.
  {
    std::vector<double> w(600, 1.0);
    std::vector<int> kept;
    for (int r = 0; r < 600; ++r) {
      if (r % 3 == 0) w[std::size_t(r)] = 0.0;
      else kept.push_back(r);
    }
    Dataset zeros = data;
    zeros.x = DataMatrix::compact(x, first_row_reference(x, w));
    zeros.weights = w;
    Dataset others;
    const MatrixD x_kept = detail::take_rows(x, kept);
    others.x = DataMatrix::compact(x_kept);
    others.t = detail::take_rows(t, kept);
    others.weights.assign(kept.size(), 1.0);
    others.feature_names = data.feature_names;
    others.target_names = data.target_names;
    auto a = make_cpu_backend(spec);
    auto b = make_cpu_backend(spec);
    EXPECT_EQ(train(*a, spec, zeros, o).params, train(*b, spec, others, o).params);
  }
  // Sample weights keep the rows (the copying path): the data set stays.
  Dataset weighted = data;
  weighted.weights.assign(600, 1.0);
  auto backend = make_cpu_backend(spec);
  (void)train(*backend, spec, std::move(weighted), o);
  EXPECT_EQ(weighted.x.rows, 600);
}

}  // namespace
