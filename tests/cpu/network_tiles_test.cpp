// The tiled float network (src/cpu/network.cpp): every kernel path gives the
// same bits, the in-region minibatch gather equals a gathered batch, results
// repeat to the bit for a thread count, and batches that cut tiles anywhere
// agree with the double-precision network.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "cpu/network.hpp"
#include "cpu/simd/kernels.hpp"
#include "mdn/spec.hpp"

namespace {

using mdn::cpu::simd::Isa;

struct Problem {
  mdn::ModelSpec spec;
  mdn::ParameterLayout layout;
  std::vector<float> params, x, t;
  int n;
};

Problem make_problem(int n, int D, int T, int K, std::vector<int> hidden, std::uint64_t seed) {
  mdn::ModelSpec spec;
  spec.input_dim = D;
  spec.target_dim = T;
  spec.components = K;
  spec.hidden = std::move(hidden);
  Problem p{spec, mdn::ParameterLayout(spec), {}, {}, {}, n};
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  p.params.resize(p.layout.total);
  for (auto& v : p.params) v = 0.4f * normal(rng);
  p.x.resize(std::size_t(n) * D);
  p.t.resize(std::size_t(n) * T);
  for (auto& v : p.x) v = 1.5f * normal(rng);
  for (auto& v : p.t) v = normal(rng);
  return p;
}

struct Result {
  double loss;
  std::vector<float> grad, z;
};

Result run(const Problem& p, const int* rows = nullptr) {
  mdn::cpu::NetworkWorkspace<float> ws;
  Result r;
  r.grad.resize(p.layout.total);
  r.loss = mdn::cpu::loss_and_gradient(p.spec, p.layout, p.params.data(), p.x.data(), p.t.data(), p.n, r.grad.data(),
                                       ws, rows);
  r.z.resize(std::size_t(p.n) * p.spec.head_width());
  mdn::cpu::forward(p.spec, p.layout, p.params.data(), p.x.data(), p.n, ws, r.z.data());
  return r;
}

// Restores the kernel path the suite started with.
class KernelPathGuard {
 public:
  KernelPathGuard() : saved_(mdn::cpu::simd::kernels().isa) {}
  ~KernelPathGuard() { mdn::cpu::simd::use(saved_); }

 private:
  Isa saved_;
};

TEST(NetworkTiles, EveryKernelPathGivesTheSameBits) {
  KernelPathGuard guard;
  const Problem p = make_problem(1003, 5, 2, 4, {64, 33}, 1);
  mdn::cpu::simd::use(Isa::Portable);
  const Result reference = run(p);
  for (Isa isa : {Isa::Avx2, Isa::Avx512}) {
    if (!mdn::cpu::simd::supported(isa)) continue;
    mdn::cpu::simd::use(isa);
    const Result r = run(p);
    EXPECT_EQ(r.loss, reference.loss) << mdn::cpu::simd::kernels().name;
    EXPECT_EQ(r.grad, reference.grad) << mdn::cpu::simd::kernels().name;
    EXPECT_EQ(r.z, reference.z) << mdn::cpu::simd::kernels().name;
  }
}

TEST(NetworkTiles, GatherInsideTheRegionEqualsAGatheredBatch) {
  const Problem all = make_problem(2000, 3, 1, 5, {40, 40}, 2);
  std::vector<int> rows(777);
  std::mt19937 rng(3);
  for (int& r : rows) r = int(rng() % 2000u);
  Problem gathered = all;
  gathered.n = int(rows.size());
  gathered.x.clear();
  gathered.t.clear();
  for (int r : rows) {
    gathered.x.insert(gathered.x.end(), all.x.begin() + r * 3, all.x.begin() + r * 3 + 3);
    gathered.t.push_back(all.t[std::size_t(r)]);
  }
  mdn::cpu::NetworkWorkspace<float> ws;
  std::vector<float> grad(all.layout.total);
  const double loss = mdn::cpu::loss_and_gradient(all.spec, all.layout, all.params.data(), all.x.data(), all.t.data(),
                                                  int(rows.size()), grad.data(), ws, rows.data());
  const Result want = run(gathered);
  EXPECT_EQ(loss, want.loss);
  EXPECT_EQ(grad, want.grad);
}

// One thread per 256 rows, at least one, at most OpenMP's count.
TEST(NetworkTiles, ThreadsFollowTheRows) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(4);
  EXPECT_EQ(mdn::cpu::threads_for_rows(0), 1);
  EXPECT_EQ(mdn::cpu::threads_for_rows(32), 1);
  EXPECT_EQ(mdn::cpu::threads_for_rows(511), 1);
  EXPECT_EQ(mdn::cpu::threads_for_rows(512), 2);
  EXPECT_EQ(mdn::cpu::threads_for_rows(800), 3);
  EXPECT_EQ(mdn::cpu::threads_for_rows(1 << 20), 4);
  omp_set_num_threads(1);
  EXPECT_EQ(mdn::cpu::threads_for_rows(1 << 20), 1);
  omp_set_num_threads(saved);
}

TEST(NetworkTiles, RepeatsToTheBitForAThreadCount) {
  const Problem p = make_problem(4097, 8, 1, 5, {64, 64}, 4);
  const int saved = omp_get_max_threads();
  std::vector<Result> by_threads;
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    const Result a = run(p), b = run(p);
    EXPECT_EQ(a.loss, b.loss) << threads << " threads";
    EXPECT_EQ(a.grad, b.grad) << threads << " threads";
    by_threads.push_back(a);
  }
  omp_set_num_threads(saved);
  // Across thread counts only the order of the gradient sums changes.
  for (const Result& r : by_threads) {
    EXPECT_NEAR(r.loss, by_threads[0].loss, 1e-6 * std::fabs(by_threads[0].loss));
    for (std::size_t i = 0; i < r.grad.size(); ++i)
      ASSERT_NEAR(r.grad[i], by_threads[0].grad[i], 1e-5f + 1e-4f * std::fabs(by_threads[0].grad[i])) << i;
    EXPECT_EQ(r.z, by_threads[0].z);  // forward: fixed tiles, so the same bits for any thread count
  }
}

// Batches around tile boundaries (1 row, a tile +- 1, several tiles) against
// the double network: the float result is within float rounding of it.
TEST(NetworkTiles, AnyBatchSizeAgreesWithTheDoubleNetwork) {
  for (int n : {1, 15, 255, 256, 257, 513, 1500}) {
    const Problem p = make_problem(n, 4, 2, 3, {64, 64}, 10 + std::uint64_t(n));
    const Result r = run(p);
    std::vector<double> pd(p.params.begin(), p.params.end()), xd(p.x.begin(), p.x.end()), td(p.t.begin(), p.t.end());
    std::vector<double> gd(p.layout.total);
    mdn::cpu::NetworkWorkspace<double> ws;
    const double loss =
        mdn::cpu::loss_and_gradient(p.spec, p.layout, pd.data(), xd.data(), td.data(), n, gd.data(), ws);
    mdn::cpu::forward(p.spec, p.layout, pd.data(), xd.data(), n, ws);
    EXPECT_NEAR(r.loss, loss, 1e-5 * (1.0 + std::fabs(loss))) << "n = " << n;
    double scale = 0.0;
    for (double g : gd) scale = std::max(scale, std::fabs(g));
    for (std::size_t i = 0; i < gd.size(); ++i)
      ASSERT_NEAR(r.grad[i], gd[i], 1e-4 * scale) << "n = " << n << ", parameter " << i;
    for (std::size_t i = 0; i < ws.z.size(); ++i)
      ASSERT_NEAR(r.z[i], ws.z[i], 1e-4 * (1.0 + std::fabs(ws.z[i]))) << "n = " << n;
  }
}

}  // namespace

namespace {

// A batch with fewer tiles than threads right after one that gave every
// thread rows, in the same workspace: a thread without rows this time must
// not add its partial gradient of the last call (the partials are written,
// not zeroed and added). Checked against the double network.
TEST(NetworkTiles, ThreadsWithoutRowsAddNothing) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(3);
  const Problem big = make_problem(3000, 4, 1, 3, {32, 32}, 21);
  Problem small = big;
  small.n = 20;  // one or two tiles of 16 rows: at least one of 3 threads has none
  mdn::cpu::NetworkWorkspace<float> ws;
  std::vector<float> grad(big.layout.total);
  mdn::cpu::loss_and_gradient(big.spec, big.layout, big.params.data(), big.x.data(), big.t.data(), big.n, grad.data(),
                              ws);
  const double loss = mdn::cpu::loss_and_gradient(small.spec, small.layout, small.params.data(), small.x.data(),
                                                  small.t.data(), small.n, grad.data(), ws);
  omp_set_num_threads(saved);
  std::vector<double> pd(small.params.begin(), small.params.end()), xd(small.x.begin(), small.x.end()),
      td(small.t.begin(), small.t.end()), gd(small.layout.total);
  mdn::cpu::NetworkWorkspace<double> wsd;
  const double want =
      mdn::cpu::loss_and_gradient(small.spec, small.layout, pd.data(), xd.data(), td.data(), small.n, gd.data(), wsd);
  EXPECT_NEAR(loss, want, 1e-5 * (1.0 + std::fabs(want)));
  double scale = 0.0;
  for (double g : gd) scale = std::max(scale, std::fabs(g));
  for (std::size_t i = 0; i < gd.size(); ++i) ASSERT_NEAR(grad[i], gd[i], 1e-4 * scale) << "parameter " << i;
}

}  // namespace

namespace {

// The training path as train_epoch drives it (rows gathered inside the
// region, a workspace reused across calls, batches that end inside a tile
// and inside a 32-row block): the same bits for a fresh workspace and a
// reused one, call after call, for each thread count.
TEST(NetworkTiles, GatheredBatchesRepeatToTheBitInAReusedWorkspace) {
  const Problem all = make_problem(3000, 8, 2, 5, {64, 48}, 31);
  std::vector<int> rows(3000);
  std::mt19937 rng(5);
  for (int& r : rows) r = int(rng() % 3000u);
  const int saved = omp_get_max_threads();
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    mdn::cpu::NetworkWorkspace<float> reused;
    for (int n : {1000, 77, 1000, 513}) {
      std::vector<float> fresh_grad(all.layout.total), reused_grad(all.layout.total);
      mdn::cpu::NetworkWorkspace<float> fresh;
      const double fresh_loss = mdn::cpu::loss_and_gradient(all.spec, all.layout, all.params.data(), all.x.data(),
                                                            all.t.data(), n, fresh_grad.data(), fresh, rows.data());
      const double reused_loss = mdn::cpu::loss_and_gradient(all.spec, all.layout, all.params.data(), all.x.data(),
                                                             all.t.data(), n, reused_grad.data(), reused, rows.data());
      EXPECT_EQ(fresh_loss, reused_loss) << threads << " threads, n = " << n;
      EXPECT_EQ(fresh_grad, reused_grad) << threads << " threads, n = " << n;
    }
  }
  omp_set_num_threads(saved);
}

}  // namespace
