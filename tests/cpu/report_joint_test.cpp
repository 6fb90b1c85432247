// The report's joint pictures (src/eval/report_joint.cpp, docs/EVAL.md): the
// joint-density picture exists for two targets only, shows the rows at the
// 10/50/90 % quantiles of the first feature, and its grid holds the joint
// density written out independently (a bivariate normal mixture by hand);
// the HDR-PIT pictures exist for several targets only.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "eval/report_parts.hpp"
#include "mdn/metrics.hpp"

namespace {

namespace fs = std::filesystem;
constexpr double kPi = 3.14159265358979323846;

class ReportJoint : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "mdn_report_joint_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // n rows with one feature (shuffled), two correlated components each.
  void make(int n, int T) {
    std::mt19937_64 rng(4);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    model_.spec.input_dim = 1;
    model_.spec.target_dim = T;
    model_.feature_names = {"x"};
    model_.target_names.clear();
    for (int d = 0; d < T; ++d) model_.target_names.push_back("y" + std::to_string(d + 1));
    data_.x = mdn::MatrixD(n, 1);
    data_.t = mdn::MatrixD(n, T);
    mix_ = mdn::MixtureBatch();
    mix_.rows = n, mix_.K = 2, mix_.T = T;
    for (int r = 0; r < n; ++r) {
      data_.x.set(r, 0, u(rng));
      for (int d = 0; d < T; ++d) data_.t(r, d) = u(rng);
      for (int k = 0; k < 2; ++k) {
        mix_.alpha.push_back(k == 0 ? 0.7 : 0.3);
        for (int d = 0; d < T; ++d) mix_.mu.push_back(data_.x(r, 0) * (k == 0 ? 1.0 : -1.0) + 0.3 * d);
        // Factor rows i: A_i0 = 0.2 (correlation), A_ii = 0.3 + 0.1 k.
        std::vector<double> a;
        for (int i = 0; i < T; ++i)
          for (int j = 0; j <= i; ++j) a.push_back(j == i ? 0.3 + 0.1 * k : j == 0 ? 0.2 * (k == 0 ? 1 : -1) : 0.0);
        for (int i = 0; i < T; ++i) {
          double s = 0.0;
          for (int j = 0; j <= i; ++j) s += a[std::size_t(i * (i + 1) / 2 + j)] * a[std::size_t(i * (i + 1) / 2 + j)];
          mix_.sigma.push_back(std::sqrt(s));
        }
        mix_.chol.insert(mix_.chol.end(), a.begin(), a.end());
      }
    }
    evaluation_.metrics = mdn::evaluate(mix_, data_.t, options_).metrics;
    in_.context.model = &model_;
    in_.data = &data_;
    in_.mix = &mix_;
    in_.evaluation = &evaluation_;
    in_.options = options_;
  }

  // Row r's joint density at (y1, y2), written out: sum_k alpha_k N(y | mu_k, A_k A_k^T).
  double density(int r, double y1, double y2) const {
    double p = 0.0;
    for (int k = 0; k < 2; ++k) {
      const double* a = mix_.factor(r, k);
      const double s00 = a[0] * a[0], s01 = a[0] * a[1], s11 = a[1] * a[1] + a[2] * a[2];
      const double det = s00 * s11 - s01 * s01, d0 = y1 - mix_.mean(r, k, 0), d1 = y2 - mix_.mean(r, k, 1);
      p += mix_.weight(r, k) * std::exp(-0.5 * (s11 * d0 * d0 - 2 * s01 * d0 * d1 + s00 * d1 * d1) / det) /
           (2 * kPi * std::sqrt(det));
    }
    return p;
  }

  std::vector<std::vector<double>> read_rows(const std::string& name) const {
    std::ifstream in(dir_ + "/" + name);
    std::vector<std::vector<double>> rows;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream s(line);
      std::vector<double> v;
      double x;
      while (s >> x) v.push_back(x);
      rows.push_back(v);
    }
    return rows;
  }

  std::string dir_;
  mdn::Model model_;
  mdn::Dataset data_;
  mdn::MixtureBatch mix_;
  mdn::Evaluation evaluation_;
  mdn::EvalOptions options_;
  mdn::ReportInput in_;
};

TEST_F(ReportJoint, DensityGridIsTheJointDensityOfTheQuantileRows) {
  make(101, 2);
  const std::vector<mdn::report::Picture> pictures = mdn::report::joint_density_picture(dir_, in_);
  ASSERT_EQ(pictures.size(), 1u);
  EXPECT_EQ(pictures[0].file, "joint_density.png");
  // The rows at the 10/50/90 % quantiles of x: ranks 10, 50 and 90 of 101.
  const std::vector<double> xs = data_.x.to_double().data;
  std::vector<double> sorted(xs.begin(), xs.end());
  std::sort(sorted.begin(), sorted.end());
  const auto points = read_rows("joint_density_points.dat");
  ASSERT_EQ(points.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const int r = int(points[std::size_t(i)][1]);
    EXPECT_EQ(data_.x(r, 0), sorted[std::size_t(10 + 40 * i)]) << i;
    EXPECT_NEAR(points[std::size_t(i)][3], data_.t(r, 0), 1e-6);
    EXPECT_NEAR(points[std::size_t(i)][4], data_.t(r, 1), 1e-6);
  }
  // Every grid value is the density at its point (to the file's 7 digits),
  // and the cells above the 90 % level hold about 90 % of the grid's mass.
  const auto grid = read_rows("joint_density.dat");
  ASSERT_EQ(grid.size(), 3u * 120u * 120u);
  int wrong = 0;
  for (int i = 0; i < 3; ++i) {
    const int r = int(points[std::size_t(i)][1]);
    double total = 0.0, above90 = 0.0, above50 = 0.0;
    for (int c = 0; c < 14400; ++c) {
      const std::vector<double>& g = grid[std::size_t(i * 14400 + c)];
      // The file's 7 digits of the point move the density by up to some
      // |grad log p| * 1e-6 relative; a wrong density is off by far more.
      const double want = density(r, g[0], g[1]);
      if (!(std::fabs(g[2] - want) <= 1e-4 * want + 1e-300) && ++wrong <= 3)
        ADD_FAILURE() << "panel " << i << " at " << g[0] << ", " << g[1] << ": " << g[2] << " vs " << want;
      total += g[2];
      above90 += g[2] >= points[std::size_t(i)][6] ? g[2] : 0.0;
      above50 += g[2] >= points[std::size_t(i)][5] ? g[2] : 0.0;
    }
    EXPECT_NEAR(above90 / total, 0.9, 0.01);
    EXPECT_NEAR(above50 / total, 0.5, 0.01);
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_NE(pictures[0].gnuplot.find("joint_contours_2.dat"), std::string::npos);
}

TEST_F(ReportJoint, DensityPictureOnlyForTwoTargets) {
  for (const int T : {1, 3}) {
    make(20, T);
    EXPECT_TRUE(mdn::report::joint_density_picture(dir_, in_).empty()) << T;
    EXPECT_FALSE(fs::exists(dir_ + "/joint_density.dat")) << T;
  }
}

TEST_F(ReportJoint, HdrPitPicturesForSeveralTargetsOnly) {
  make(50, 1);
  EXPECT_TRUE(mdn::report::joint_pit_pictures(dir_, in_).empty());
  for (const int T : {2, 3}) {
    make(50, T);
    const std::vector<mdn::report::Picture> p = mdn::report::joint_pit_pictures(dir_, in_);
    ASSERT_EQ(p.size(), 2u) << T;
    EXPECT_EQ(p[0].file, "joint_pit.png");
    EXPECT_EQ(p[1].file, "joint_reliability.png");
    // The histogram's data are the metrics' (to 7 digits).
    const auto pit = read_rows("joint_pit.dat");
    ASSERT_EQ(pit.size(), evaluation_.metrics.joint.pit_density.size());
    for (std::size_t b = 0; b < pit.size(); ++b)
      EXPECT_NEAR(pit[b][1], evaluation_.metrics.joint.pit_density[b], 1e-6 * (1 + pit[b][1]));
  }
}

TEST(JointDensityRows, QuantilesOfTheFirstFeatureEachOnce) {
  mdn::MatrixD x(3, 1);
  x(0, 0) = 5.0;
  x(1, 0) = 1.0;
  x(2, 0) = 3.0;
  // Sorted: rows 1, 2, 0; positions floor(0.2) = 0, floor(1.0) = 1, floor(1.8) = 1.
  EXPECT_EQ(mdn::report::joint_density_rows(x), (std::vector<int>{1, 2}));
  EXPECT_TRUE(mdn::report::joint_density_rows(mdn::MatrixD(0, 1)).empty());
}

}  // namespace
