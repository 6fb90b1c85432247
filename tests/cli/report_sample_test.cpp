// ReportSample (tools/mdn/report_sample.hpp): the rows `mdn eval --report`
// draws, bounded whatever the file's length. Checked against the rule
// written out directly: every row up to the capacity, then the rows whose
// file index is a multiple of the smallest power of two that brings them
// within it; the same rows whatever the parts, each row's values intact.
#include <gtest/gtest.h>

#include <vector>

#include "report_sample.hpp"

namespace {

// A part of `rows` rows starting at file row `first`: x = the row's index,
// t = -index, one weight, a 2-component mixture and statistics from it.
struct Part {
  mdn::MatrixD x, t;
  std::vector<double> w;
  mdn::MixtureBatch mix;
  mdn::RowStatistics stats;
};

Part make_part(long long first, int rows) {
  Part p;
  p.x = mdn::MatrixD(rows, 1);
  p.t = mdn::MatrixD(rows, 1);
  p.mix.rows = rows;
  p.mix.K = 2;
  p.mix.T = 1;
  p.stats.mean = p.stats.stddev = p.stats.median = p.stats.pit = mdn::MatrixD(rows, 1);
  p.stats.lower.assign(1, mdn::MatrixD(rows, 1));
  p.stats.upper.assign(1, mdn::MatrixD(rows, 1));
  for (int r = 0; r < rows; ++r) {
    const double i = double(first + r);
    p.x(r, 0) = i;
    p.t(r, 0) = -i;
    p.w.push_back(i + 0.5);
    p.mix.alpha.insert(p.mix.alpha.end(), {0.25, 0.75});
    p.mix.mu.insert(p.mix.mu.end(), {i, i + 1});
    p.mix.sigma.insert(p.mix.sigma.end(), {1.0, 2.0});
    p.stats.mean(r, 0) = i + 0.75;
    p.stats.pit(r, 0) = 0.5;
    p.stats.lower[0](r, 0) = i - 1;
    p.stats.upper[0](r, 0) = i + 1;
  }
  return p;
}

mdn::cli::ReportSample sample_in_parts(long long rows, int part_rows, int capacity) {
  mdn::cli::ReportSample s(capacity);
  for (long long first = 0; first < rows; first += part_rows) {
    const Part p = make_part(first, int(std::min<long long>(part_rows, rows - first)));
    s.add(p.x, p.t, p.w, p.mix, p.stats, first);
  }
  return s;
}

// The rows the rule keeps.
std::vector<double> expected_rows(long long rows, int capacity) {
  long long stride = 1;
  while ((rows + stride - 1) / stride > capacity) stride *= 2;
  std::vector<double> out;
  for (long long i = 0; i < rows; i += stride) out.push_back(double(i));
  return out;
}

TEST(ReportSample, KeepsEveryRowUpToItsCapacity) {
  const mdn::cli::ReportSample s = sample_in_parts(1000, 77, 1000);
  EXPECT_EQ(s.data().x.exact().data, expected_rows(1000, 1000));
  EXPECT_EQ(s.stride(), 1);
}

TEST(ReportSample, ThinsToEvenlySpacedRowsWhateverTheParts) {
  for (const long long rows : {1001LL, 4096LL, 100000LL, 123457LL})
    for (const int part : {1, 333, 4096, 200000}) {
      if (part == 1 && rows > 5000) continue;  // slow and adds nothing
      const mdn::cli::ReportSample s = sample_in_parts(rows, part, 1000);
      const std::vector<double> want = expected_rows(rows, 1000);
      ASSERT_EQ(s.data().x.exact().data, want) << rows << " rows in parts of " << part;
      ASSERT_LE(s.data().x.rows, 1000);
      ASSERT_GT(s.data().x.rows, 500) << "at least half the capacity is used";
      // Every array kept its row's values.
      const mdn::MixtureBatch& m = s.mixtures();
      ASSERT_EQ(m.rows, int(want.size()));
      for (std::size_t k = 0; k < want.size(); ++k) {
        const double i = want[k];
        ASSERT_EQ(s.data().t.data[k], -i);
        ASSERT_EQ(s.data().weights[k], i + 0.5);
        ASSERT_EQ(m.alpha[2 * k + 1], 0.75);
        ASSERT_EQ(m.mu[2 * k + 1], i + 1);
        ASSERT_EQ(m.sigma[2 * k + 1], 2.0);
        ASSERT_EQ(s.statistics().mean.data[k], i + 0.75);
        ASSERT_EQ(s.statistics().lower[0].data[k], i - 1);
        ASSERT_EQ(s.statistics().upper[0].data[k], i + 1);
      }
      ASSERT_EQ(s.statistics().mean.rows, int(want.size()));
      ASSERT_EQ(s.statistics().upper[0].rows, int(want.size()));
    }
}

}  // namespace
