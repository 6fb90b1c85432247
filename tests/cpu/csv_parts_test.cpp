// Reading a CSV file in parts (read_csv_part, one part per rank): for every
// number of parts the parts hold every row exactly once, in file order, with
// the file's line numbers, whatever the line endings, BOM or blank tail; a
// quoted line break is refused rather than split. And head_outputs with a
// row offset gives the bits of the whole-file run (the sharded predict's
// invariant).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "mdn/csv.hpp"
#include "mdn/error.hpp"
#include "mdn/inference.hpp"
#include "mdn/model.hpp"

namespace {

using namespace mdn;

std::string write_temp(const std::string& text) {
  char name[] = "/tmp/mdn-parts-XXXXXX";
  const int fd = ::mkstemp(name);
  FILE* f = ::fdopen(fd, "wb");
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  return name;
}

// The rows of all parts, in part order, as "line:field0|field1" strings.
std::vector<std::string> rows_in_parts(const std::string& path, int parts) {
  std::vector<std::string> rows;
  long long breaks_before = 0;
  for (int p = 0; p < parts; ++p) {
    CsvPart part = read_csv_part(path, p, parts);
    part.first_line += int(breaks_before);  // what the ranks' exclusive prefix sum gives
    breaks_before += part.row_line_breaks;
    const CsvFile csv = CsvFile::read(path, part);
    for (std::size_t r = 0; r < csv.rows(); ++r)
      rows.push_back(std::to_string(csv.line_of_row(r)) + ":" + std::string(csv.field(r, 0)) + "|" +
                     std::string(csv.field(r, 1)));
  }
  return rows;
}

std::vector<std::string> rows_whole(const std::string& path) {
  const CsvFile csv = CsvFile::read(path);
  std::vector<std::string> rows;
  for (std::size_t r = 0; r < csv.rows(); ++r)
    rows.push_back(std::to_string(csv.line_of_row(r)) + ":" + std::string(csv.field(r, 0)) + "|" +
                   std::string(csv.field(r, 1)));
  return rows;
}

TEST(CsvParts, EveryRowOnceInOrderWithItsLineForAnyNumberOfParts) {
  std::string lf = "a,\"b\"\n";
  for (int i = 0; i < 97; ++i) lf += std::to_string(i) + "," + std::string(std::size_t(i % 7), 'x') + "\n";
  std::string crlf =
      "\xEF\xBB\xBF"
      "a,b\r\n";
  for (int i = 0; i < 53; ++i) crlf += "\"" + std::to_string(i) + "\",\"q\"\"" + std::to_string(i * i) + "\"\r\n";
  crlf += "\r\n\r\n";  // a blank tail is ignored, as in a whole read
  const std::string no_final_break = "a,b\n1,2\n3,4";
  for (const std::string& text : {lf, crlf, no_final_break}) {
    const std::string path = write_temp(text);
    const std::vector<std::string> whole = rows_whole(path);
    ASSERT_FALSE(whole.empty());
    for (int parts : {1, 2, 3, 4, 7, 16, 200}) EXPECT_EQ(rows_in_parts(path, parts), whole) << parts << " parts";
    std::remove(path.c_str());
  }
}

TEST(CsvParts, APartMayHoldNoRowsAndTheHeaderMayBeLong) {
  const std::string header = std::string(100000, 'h') + ",b\n";  // longer than the first read of the header
  const std::string path = write_temp(header + "1,2\n");
  EXPECT_EQ(rows_in_parts(path, 5), rows_whole(path));
  std::remove(path.c_str());
}

TEST(CsvParts, AQuotedLineBreakIsRefusedNamingTheLine) {
  const std::string path = write_temp("a,b\n1,2\n3,\"two\nlines\"\n5,6\n");
  EXPECT_EQ(rows_whole(path).size(), 3u);  // legal in a whole read
  try {
    rows_in_parts(path, 1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("one record per line"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(CsvParts, ABlankLineInsideThePartsIsStillAnError) {
  const std::string path = write_temp("a,b\n1,2\n\n3,4\n5,6\n");
  for (int parts : {1, 2, 3}) EXPECT_THROW(rows_in_parts(path, parts), Error) << parts;
  std::remove(path.c_str());
}

// A backend whose head output for a row is the row's position in the
// forward block (column 0) and its first feature (column 1): it shows where
// head_outputs put each row, which a real backend's bits may not (their rows
// can come out the same at any position).
class BlockPositionBackend final : public Backend {
 public:
  explicit BlockPositionBackend(const ModelSpec& spec) : spec_(spec) {}
  std::string name() const override { return "block positions"; }
  const ModelSpec& spec() const override { return spec_; }
  void set_parameters(const std::vector<float>&) override {}
  std::vector<float> parameters() const override { return {}; }
  void set_optimizer_state(const OptimizerState&) override {}
  OptimizerState optimizer_state() const override { return {}; }
  Matrix forward(const Matrix& x) override {
    Matrix z(x.rows, spec_.head_width());
    for (int r = 0; r < x.rows; ++r) {
      z(r, 0) = float(r);
      z(r, 1) = x(r, 0);
    }
    return z;
  }
  double loss_and_gradient(const Matrix&, const Matrix&, std::vector<float>&) override { return 0.0; }
  double mean_nll(const Matrix&, const Matrix&) override { return 0.0; }
  double adam_step(const std::vector<float>&, const AdamConfig&) override { return 0.0; }
  void set_training_data(const Matrix&, const Matrix&) override {}
  EpochStats train_epoch(const EpochConfig&) override { return {}; }

 private:
  ModelSpec spec_;
};

TEST(HeadOutputsRowOffset, EachRowMeetsTheForwardBlockAtItsGlobalPosition) {
  Model model;
  model.spec.input_dim = 1;
  model.spec.hidden = {4};
  model.spec.components = 2;
  model.spec.target_dim = 1;
  model.stats.x_mean = {0.0f};
  model.stats.x_scale = {1.0f};
  model.stats.t_mean = {0.0f};
  model.stats.t_scale = {1.0f};
  BlockPositionBackend backend(model.spec);
  for (const long long first : {0LL, 1LL, 3000LL, 4095LL, 4096LL, 10000LL}) {
    MatrixD part(5000, 1);
    for (int r = 0; r < part.rows; ++r) part(r, 0) = r;
    const Matrix z = head_outputs(backend, model, part, 7, 4500, first);
    for (int r = 0; r < z.rows; ++r) {
      ASSERT_EQ(z(r, 0), float((first + 7 + r) % kForwardBlock)) << "first " << first << ", row " << r;
      ASSERT_EQ(z(r, 1), float(7 + r)) << "first " << first << ", row " << r;  // its own input
    }
  }
}

TEST(HeadOutputsRowOffset, APartGivesTheBitsOfTheWholeRun) {
  Model model;
  model.spec.input_dim = 3;
  model.spec.hidden = {16, 16};
  model.spec.components = 3;
  model.spec.target_dim = 1;
  const ParameterLayout layout(model.spec);
  model.params.resize(layout.total);
  for (std::size_t i = 0; i < model.params.size(); ++i) model.params[i] = float(std::sin(0.37 * double(i))) * 0.5f;
  model.stats.x_mean = {0.1f, -0.2f, 0.3f};
  model.stats.x_scale = {1.5f, 0.5f, 2.0f};
  model.stats.t_mean = {0.0f};
  model.stats.t_scale = {1.0f};
  const int rows = 2 * kForwardBlock + 1234;
  MatrixD x(rows, 3);
  for (int i = 0; i < rows * 3; ++i) x.data[std::size_t(i)] = std::cos(0.011 * i);
  auto backend = make_backend(DeviceKind::Cpu, model);
  const Matrix whole = head_outputs(*backend, model, x, 0, rows);
  // Parts that start and end inside forward blocks, as ranks' parts do.
  for (const auto& [first, count] : std::vector<std::pair<int, int>>{{0, 3000}, {3000, 4000}, {7000, rows - 7000}}) {
    MatrixD part(count, 3);
    std::copy(x.row(first), x.row(first + count), part.data.begin());
    const Matrix z = head_outputs(*backend, model, part, 0, count, first);
    for (int r = 0; r < count; ++r)
      for (int c = 0; c < z.cols; ++c) ASSERT_EQ(z(r, c), whole(first + r, c)) << "row " << first + r;
  }
}

}  // namespace

// How many processes a launcher says it started: what decides whether a run
// initialises MPI (and whether a build without MPI must refuse to run).
#include "distributed/launcher_env.hpp"

namespace {

TEST(LauncherEnvironment, ReadsOpenMpiPmiAndSlurmSizes) {
  const char* names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "SLURM_STEP_NUM_TASKS", "PMIX_RANK"};
  for (const char* n : names) ::unsetenv(n);
  EXPECT_EQ(mdn::detail::launcher_world_size(), 1);
  for (const char* n : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "SLURM_STEP_NUM_TASKS"}) {
    ::setenv(n, "3", 1);
    EXPECT_EQ(mdn::detail::launcher_world_size(), 3) << n;
    ::unsetenv(n);
  }
  ::setenv("PMIX_RANK", "0", 1);  // PMIx without a size: taken as several
  EXPECT_GT(mdn::detail::launcher_world_size(), 1);
  ::unsetenv("PMIX_RANK");
}

}  // namespace
