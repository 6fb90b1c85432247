// The CPU sampler against the mixture it draws from: closed-form moments,
// Kolmogorov-Smirnov against the exact CDF, chi-square of the component
// picks, temperature and sigma scale, and counter-based reproducibility.
#include "mdn/sampling.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "cpu/mixture_builders.hpp"
#include "mdn/detail/marginal_math.hpp"
#include "mdn/detail/philox.hpp"
#include "mdn/error.hpp"

namespace mdn {
namespace {

using testing::one_row;
using testing::random_mixtures;

// KS critical value at alpha = 0.001 (asymptotic Kolmogorov distribution).
double ks_critical(std::size_t n) { return 1.9495 / std::sqrt(double(n)); }

// D_n of values against a CDF.
template <class Cdf>
double ks_statistic(std::vector<double> x, const Cdf& cdf) {
  std::sort(x.begin(), x.end());
  const double n = double(x.size());
  double D = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double F = cdf(x[i]);
    D = std::max({D, (i + 1) / n - F, F - i / n});
  }
  return D;
}

double mixture_cdf(const MixtureBatch& m, int r, int d, double y) {
  const std::size_t kt = std::size_t(m.K) * m.T;
  double total = 0.0;
  for (int k = 0; k < m.K; ++k) total += m.weight(r, k);
  return detail::marginal_cdf(m.alpha.data() + r * m.K, m.mu.data() + r * kt, m.sigma.data() + r * kt, m.K, m.T, d, y) /
         total;
}

MixtureBatch slice_rows(const MixtureBatch& m, int first, int count) {
  MixtureBatch out;
  out.rows = count;
  out.K = m.K;
  out.T = m.T;
  const std::size_t kt = std::size_t(m.K) * m.T;
  out.alpha.assign(m.alpha.begin() + first * m.K, m.alpha.begin() + (first + count) * m.K);
  out.mu.assign(m.mu.begin() + first * kt, m.mu.begin() + (first + count) * kt);
  out.sigma.assign(m.sigma.begin() + first * kt, m.sigma.begin() + (first + count) * kt);
  return out;
}

// Chi-square statistic of counts against expected probabilities (df = cells - 1).
double chi_square(const std::vector<long>& counts, const std::vector<double>& p, long n) {
  double chi2 = 0.0;
  for (std::size_t k = 0; k < counts.size(); ++k) {
    const double e = n * p[k];
    chi2 += (counts[k] - e) * (counts[k] - e) / e;
  }
  return chi2;
}

TEST(Philox, MatchesRandom123KnownAnswers) {
  struct Case {
    std::uint32_t ctr[4], key[2], out[4];
  };
  const Case cases[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
       {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const auto& c : cases) {
    const detail::Philox4x32 r =
        detail::philox4x32_10(detail::Philox4x32{{c.ctr[0], c.ctr[1], c.ctr[2], c.ctr[3]}}, c.key[0], c.key[1]);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(r.v[i], c.out[i]) << "word " << i;
  }
}

TEST(Sampling, MeanAndCovarianceMatchClosedForm) {
  // T = 2, three components.
  const MixtureBatch m = one_row({0.2f, 0.5f, 0.3f}, {-2, 1, 0.5f, -1, 3, 2}, {0.5f, 1, 1.5f, 0.3f, 0.8f, 2}, 2);
  const int N = 200000;
  const std::vector<double> x = sample_mixtures(m, N, SampleOptions{7});
  double mean[2] = {0, 0}, second[2][2] = {{0, 0}, {0, 0}};
  for (int k = 0; k < 3; ++k)
    for (int d = 0; d < 2; ++d) {
      mean[d] += m.weight(0, k) * m.mean(0, k, d);
      for (int e = 0; e < 2; ++e)
        second[d][e] += m.weight(0, k) *
                        (m.mean(0, k, d) * m.mean(0, k, e) + (d == e ? m.stddev(0, k, d) * m.stddev(0, k, d) : 0.0));
    }
  double cov[2][2];
  for (int d = 0; d < 2; ++d)
    for (int e = 0; e < 2; ++e) cov[d][e] = second[d][e] - mean[d] * mean[e];

  double sm[2] = {0, 0};
  for (int i = 0; i < N; ++i)
    for (int d = 0; d < 2; ++d) sm[d] += x[2 * i + d] / double(N);
  for (int d = 0; d < 2; ++d) EXPECT_NEAR(sm[d], mean[d], 5.0 * std::sqrt(cov[d][d] / N)) << "mean " << d;

  // Each covariance entry with its own standard error (from the samples'
  // spread of the centred products around the true mean).
  for (int d = 0; d < 2; ++d)
    for (int e = d; e < 2; ++e) {
      double s1 = 0.0, s2 = 0.0;
      for (int i = 0; i < N; ++i) {
        const double prod = (x[2 * i + d] - mean[d]) * (x[2 * i + e] - mean[e]);
        s1 += prod;
        s2 += prod * prod;
      }
      const double est = s1 / N, se = std::sqrt((s2 / N - est * est) / N);
      EXPECT_NEAR(est, cov[d][e], 5.0 * se) << "cov " << d << "," << e;
    }
}

TEST(Sampling, KolmogorovSmirnovAgainstTheExactCdf) {
  std::mt19937_64 rng(3);
  std::vector<MixtureBatch> cases = {
      one_row({0.3f, 0.5f, 0.2f}, {-5, 0, 7}, {0.5f, 1, 0.8f}),  // well separated
      one_row({0.5f, 0.5f}, {0, 0.5f}, {1, 1.5f}),               // overlapping
      one_row({0.5f, 0.5f}, {-1000, 1000}, {0.01f, 10}),         // far apart, very different widths
      one_row({0.9f, 0.1f}, {0, 0}, {1, 30}),                    // heavy tail
  };
  for (int i = 0; i < 4; ++i) cases.push_back(random_mixtures(rng, 1, 5, 1, 3.0, 0.1, 3.0));
  const int N = 100000;  // D_crit = 0.0062: sees a 3% error in one sigma
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const MixtureBatch& m = cases[c];
    const std::vector<double> x = sample_mixtures(m, N, SampleOptions{100 + c});
    const double D =
        ks_statistic(std::vector<double>(x.begin(), x.end()), [&](double y) { return mixture_cdf(m, 0, 0, y); });
    EXPECT_LT(D, ks_critical(N)) << "case " << c;
  }
}

TEST(Sampling, KolmogorovSmirnovOfEveryDimensionUpToEight) {
  // Dimensions 2..7 come from the later Philox blocks: check each marginal.
  std::mt19937_64 rng(9);
  const MixtureBatch m = random_mixtures(rng, 1, 3, 8, 2.0, 0.3, 2.0);
  const int N = 20000;
  const std::vector<double> x = sample_mixtures(m, N, SampleOptions{42});
  for (int d = 0; d < 8; ++d) {
    std::vector<double> xd(N);
    for (int i = 0; i < N; ++i) xd[i] = x[i * 8 + d];
    EXPECT_LT(ks_statistic(xd, [&](double y) { return mixture_cdf(m, 0, d, y); }), ks_critical(N)) << "dim " << d;
  }
}

TEST(Sampling, DimensionsAreIndependentWithinAComponent) {
  // One component: every pair of dimensions uncorrelated (Box-Muller pairs and blocks).
  const MixtureBatch m = one_row({1.0f}, std::vector<double>(8, 0.0f), std::vector<double>(8, 1.0f), 8);
  const int N = 100000;
  const std::vector<double> x = sample_mixtures(m, N, SampleOptions{5});
  for (int d = 0; d < 8; ++d)
    for (int e = d + 1; e < 8; ++e) {
      double c = 0.0;
      for (int i = 0; i < N; ++i) c += double(x[i * 8 + d]) * x[i * 8 + e];
      EXPECT_LT(std::fabs(c / N), 5.0 / std::sqrt(double(N))) << d << "," << e;
    }
}

TEST(Sampling, PairedDrawsAreIndependent) {
  // For T = 1, draws 2c and 2c+1 share one Philox call (words 0 and 3 pick,
  // the Box-Muller pair of words 1 and 2 gives both normals): check that
  // neighbouring draws are uncorrelated, in value and in component.
  const int N = 200000;
  const MixtureBatch normal = one_row({1.0f}, {0}, {1});
  const std::vector<double> x = sample_mixtures(normal, N, SampleOptions{31});
  for (int offset : {0, 1}) {  // within a pair, across pairs
    double c = 0.0;
    int n = 0;
    for (int i = offset; i + 1 < N; i += 2, ++n) c += double(x[i]) * x[i + 1];
    EXPECT_LT(std::fabs(c / n), 5.0 / std::sqrt(double(n))) << "offset " << offset;
  }
  const MixtureBatch two = one_row({0.5f, 0.5f}, {0, 10}, {1, 1});
  std::vector<double> y(N);
  std::vector<int> picks(N);
  sample_mixtures(two, N, SampleOptions{32}, 0, y.data(), picks.data());
  std::vector<long> cells(4, 0);
  for (int i = 0; i < N; i += 2) ++cells[picks[i] * 2 + picks[i + 1]];
  EXPECT_LT(chi_square(cells, {0.25, 0.25, 0.25, 0.25}, N / 2), 16.266);  // df = 3, alpha = 0.001
}

TEST(Sampling, PitValuesAcrossManyRowsAreUniform) {
  std::mt19937_64 rng(17);
  const MixtureBatch m = random_mixtures(rng, 500, 4, 1, 5.0, 0.05, 4.0);
  const int S = 40;
  const std::vector<double> x = sample_mixtures(m, S, SampleOptions{1234});
  std::vector<double> pit;
  for (int r = 0; r < m.rows; ++r)
    for (int s = 0; s < S; ++s) pit.push_back(mixture_cdf(m, r, 0, x[r * S + s]));
  EXPECT_LT(ks_statistic(pit, [](double u) { return u; }), ks_critical(pit.size()));
}

TEST(Sampling, ComponentFrequenciesMatchTheWeights) {
  const MixtureBatch m = one_row({0.05f, 0.1f, 0.2f, 0.25f, 0.4f}, {0, 1, 2, 3, 4}, {1, 1, 1, 1, 1});
  const int N = 100000;
  // Chi-square, df = 4: critical value 18.467 at 0.001.
  for (double tau : {1.0, 0.5, 2.0}) {
    SampleOptions options{77};
    options.temperature = tau;
    std::vector<double> x(N);
    std::vector<int> picks(N);
    sample_mixtures(m, N, options, 0, x.data(), picks.data());
    std::vector<long> counts(5, 0);
    for (int k : picks) ++counts.at(k);
    std::vector<double> p(5);
    double total = 0.0;
    for (int k = 0; k < 5; ++k) total += (p[k] = std::pow(double(m.alpha[k]), 1.0 / tau));
    for (auto& v : p) v /= total;
    EXPECT_LT(chi_square(counts, p, N), 18.467) << "temperature " << tau;
  }
}

TEST(Sampling, SigmaScaleZeroReturnsTheComponentMeans) {
  const MixtureBatch m = one_row({0.3f, 0.7f}, {-1.25f, 2.5f, 4.0f, -3.0f}, {1, 2, 3, 4}, 2);
  SampleOptions options{3};
  options.sigma_scale = 0.0;
  const int N = 1000;
  std::vector<double> x(N * 2);
  std::vector<int> picks(N);
  sample_mixtures(m, N, options, 0, x.data(), picks.data());
  int ones = 0;
  for (int i = 0; i < N; ++i) {
    ones += picks[i];
    EXPECT_EQ(x[2 * i], m.mean(0, picks[i], 0));
    EXPECT_EQ(x[2 * i + 1], m.mean(0, picks[i], 1));
  }
  EXPECT_GT(ones, 600);
  EXPECT_LT(ones, 800);
}

TEST(Sampling, SigmaScaleWidensEveryComponent) {
  const MixtureBatch m = one_row({0.4f, 0.6f}, {-2, 3}, {0.5f, 1});
  MixtureBatch wide = m;
  for (auto& s : wide.sigma) s *= 2.0f;
  SampleOptions options{8};
  options.sigma_scale = 2.0;
  const int N = 20000;
  const std::vector<double> x = sample_mixtures(m, N, options);
  EXPECT_LT(ks_statistic(std::vector<double>(x.begin(), x.end()), [&](double y) { return mixture_cdf(wide, 0, 0, y); }),
            ks_critical(N));
}

TEST(Sampling, TemperatureTowardsZeroPicksTheArgmax) {
  const MixtureBatch m = one_row({0.3f, 0.36f, 0.34f}, {0, 1, 2}, {1, 1, 1});
  for (double tau : {1e-3, 1e-40}) {
    SampleOptions options{1};
    options.temperature = tau;
    const int N = 20000;
    std::vector<double> x(N);
    std::vector<int> picks(N);
    sample_mixtures(m, N, options, 0, x.data(), picks.data());
    EXPECT_EQ(std::count(picks.begin(), picks.end(), 1), N) << tau;
  }
}

TEST(Sampling, ZeroWeightComponentsAreNeverDrawn) {
  const int N = 200000;
  for (const MixtureBatch& m : {one_row({0.5f, 0.0f, 0.5f}, {0, 1, 2}, {1, 1, 1}),
                                one_row({0.9999999f, 0.0f}, {0, 1}, {1, 1}), one_row({0.0f, 1.0f}, {0, 1}, {1, 1})}) {
    std::vector<double> x(N);
    std::vector<int> picks(N);
    sample_mixtures(m, N, SampleOptions{2}, 0, x.data(), picks.data());
    for (int k = 0; k < m.K; ++k)
      if (m.alpha[k] == 0.0f) {
        EXPECT_EQ(std::count(picks.begin(), picks.end(), k), 0);
      }
  }
}

TEST(Sampling, ReproducibleAcrossChunksAndThreads) {
  std::mt19937_64 rng(4);
  const MixtureBatch m = random_mixtures(rng, 1000, 5, 3, 2.0, 0.5, 1.5);
  const int S = 13;
  const SampleOptions options{99};
  const std::vector<double> whole = sample_mixtures(m, S, options);
  for (int chunk : {1, 7, 1000}) {
    std::vector<double> pieces;
    const int rows = chunk == 1 ? 50 : m.rows;  // row by row: a prefix is enough
    for (int first = 0; first < rows; first += chunk) {
      const int count = std::min(chunk, rows - first);
      const std::vector<double> part = sample_mixtures(slice_rows(m, first, count), S, options, first);
      pieces.insert(pieces.end(), part.begin(), part.end());
    }
    EXPECT_EQ(pieces, std::vector<double>(whole.begin(), whole.begin() + pieces.size())) << "chunk " << chunk;
    EXPECT_EQ(pieces.size(), std::size_t(rows) * S * 3);
  }
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const std::vector<double> single = sample_mixtures(m, S, options);
  omp_set_num_threads(threads);
  EXPECT_EQ(single, whole);
  // Draws are keyed on the sample index too: more samples extend, not
  // reshuffle (T = 3, and T = 1 with an odd S: the last draw is half a pair).
  const std::vector<double> more = sample_mixtures(slice_rows(m, 0, 1), 2 * S, options);
  EXPECT_TRUE(std::equal(whole.begin(), whole.begin() + S * 3, more.begin()));
  const MixtureBatch m1 = random_mixtures(rng, 20, 3, 1, 2.0, 0.5, 1.5);
  const std::vector<double> odd = sample_mixtures(m1, S, options), even = sample_mixtures(m1, 2 * S, options);
  for (int r = 0; r < m1.rows; ++r)
    EXPECT_TRUE(std::equal(odd.begin() + r * S, odd.begin() + (r + 1) * S, even.begin() + r * 2 * S)) << r;
}

TEST(Sampling, SeedsGiveDifferentStreams) {
  const MixtureBatch m = one_row({1.0f}, {0}, {1});
  const std::vector<double> a = sample_mixtures(m, 100, SampleOptions{1});
  const std::vector<double> b = sample_mixtures(m, 100, SampleOptions{2});
  const std::vector<double> c = sample_mixtures(m, 100, SampleOptions{std::uint64_t(1) << 32 | 1});
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);  // the seed's high word is part of the key
  EXPECT_EQ(a, sample_mixtures(m, 100, SampleOptions{1}));
}

TEST(Sampling, RefusesBadOptions) {
  const MixtureBatch m = one_row({1.0f}, {0}, {1});
  for (double tau : {0.0, -1.0, std::nan(""), double(INFINITY)}) {
    SampleOptions o;
    o.temperature = tau;
    EXPECT_THROW(sample_mixtures(m, 1, o), UsageError) << tau;
  }
  for (double s : {-0.1, std::nan("")}) {
    SampleOptions o;
    o.sigma_scale = s;
    EXPECT_THROW(sample_mixtures(m, 1, o), UsageError) << s;
  }
  EXPECT_THROW(sample_mixtures(m, 0, SampleOptions{}), UsageError);
}

}  // namespace
}  // namespace mdn
