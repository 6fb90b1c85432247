// Built-in synthetic data sets. Each is deterministic for (name, rows, seed) on
// every platform: std::mt19937_64's output is fixed by the standard, and the
// uniform and normal transforms below are our own (std::*_distribution output
// differs between standard libraries).
#include "mdn/synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "mdn/error.hpp"

namespace mdn {
namespace {

constexpr double kPi = 3.14159265358979323846;

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : gen_(seed) {}

  // U[0, 1) with 53 random bits.
  double uniform() { return double(gen_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // 0 .. n-1, each with probability 1/n (up to 2^-53).
  int index(int n) { return std::min(n - 1, int(uniform() * n)); }

  // Standard normal by Box-Muller; one draw per call keeps the stream simple
  // (the second variate is dropped). 1 - u is in (0, 1], so the log is finite.
  double normal() {
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
  }

 private:
  std::mt19937_64 gen_;
};

// Bishop (1994), section 5: the inverse of x = s + 0.3 sin(2 pi s) + noise.
// Predicting y = s from x has three branches for x near 0.5.
void fill_bishop(Matrix& m, Rng& rng) {
  for (int r = 0; r < m.rows; ++r) {
    const double s = rng.uniform();
    const double x = s + 0.3 * std::sin(2.0 * kPi * s) + rng.uniform(-0.1, 0.1);
    m(r, 0) = float(x);
    m(r, 1) = float(s);
  }
}

// One-valued but heteroscedastic: the noise std grows from 0.05 to 0.5 with x.
void fill_hetero(Matrix& m, Rng& rng) {
  for (int r = 0; r < m.rows; ++r) {
    const double x = rng.uniform();
    const double sd = 0.05 + 0.45 * x;
    m(r, 0) = float(x);
    m(r, 1) = float(2.0 * x + 0.3 * std::sin(4.0 * kPi * x) + sd * rng.normal());
  }
}

// Three points on the unit circle, 120 degrees apart, rotating with x: a 2-D
// target whose conditional density has three well separated modes.
void fill_ring2d(Matrix& m, Rng& rng) {
  for (int r = 0; r < m.rows; ++r) {
    const double x = rng.uniform();
    const int branch = rng.index(3);
    const double theta = 2.0 * kPi * (x / 2.0 + branch / 3.0);
    m(r, 0) = float(x);
    m(r, 1) = float(std::cos(theta) + 0.05 * rng.normal());
    m(r, 2) = float(std::sin(theta) + 0.05 * rng.normal());
  }
}

// A spiral with correlated noise (issue 30): the mean runs along
// r = 0.2 + x at angle 4 pi x, and the noise is a Gaussian stretched along
// the direction at angle 4 pi x + pi/2 (sd 0.15) and thin across it (sd
// 0.02), so y1 and y2 are strongly correlated with a sign and strength that
// turn with x. One full-covariance component fits it exactly; a diagonal
// mixture can only imitate each tilted ellipse with several components.
constexpr double kSpiralAlong = 0.15, kSpiralAcross = 0.02;

void spiral_frame(double x, double& m1, double& m2, double& c, double& s) {
  const double theta = 4.0 * kPi * x, radius = 0.2 + x;
  m1 = radius * std::cos(theta);
  m2 = radius * std::sin(theta);
  c = std::cos(theta + 0.5 * kPi);  // the long axis of the noise
  s = std::sin(theta + 0.5 * kPi);
}

void fill_spiral2d(Matrix& m, Rng& rng) {
  for (int r = 0; r < m.rows; ++r) {
    const double x = rng.uniform();
    double m1, m2, c, s;
    spiral_frame(x, m1, m2, c, s);
    const double along = kSpiralAlong * rng.normal(), across = kSpiralAcross * rng.normal();
    m(r, 0) = float(x);
    m(r, 1) = float(m1 + along * c - across * s);
    m(r, 2) = float(m2 + along * s + across * c);
  }
}

double normal_log_pdf(double v, double mean, double sd) {
  const double u = (v - mean) / sd;
  return -0.5 * u * u - std::log(sd) - 0.5 * std::log(2.0 * kPi);
}

double log_sum_exp(const double* v, int n) {
  double m = -INFINITY;
  for (int i = 0; i < n; ++i) m = std::max(m, v[i]);
  if (!std::isfinite(m)) return m;
  double s = 0.0;
  for (int i = 0; i < n; ++i) s += std::exp(v[i] - m);
  return m + std::log(s);
}

double bishop_g(double s) { return s + 0.3 * std::sin(2.0 * kPi * s); }

// p(y | x) = 1[|x - g(y)| <= 0.1] / |{s in [0,1] : |x - g(s)| <= 0.1}|, since
// y ~ U(0,1) and x | y ~ U(g(y) - 0.1, g(y) + 0.1). The measure of the set is
// found on a fine grid with every boundary refined by bisection.
double bishop_log_density(double x, double y) {
  if (!(y >= 0.0 && y <= 1.0) || std::fabs(x - bishop_g(y)) > 0.1) return -INFINITY;
  const auto inside = [x](double s) { return 0.1 - std::fabs(x - bishop_g(s)); };  // >= 0 inside
  constexpr int kGrid = 4096;
  double measure = 0.0;
  double prev_s = 0.0, prev_v = inside(0.0), start = prev_v >= 0.0 ? 0.0 : -1.0;
  const auto boundary = [&](double a, double b) {  // inside(a), inside(b) differ in sign
    const bool a_in = inside(a) >= 0.0;
    for (int it = 0; it < 60; ++it) {
      const double m = 0.5 * (a + b);
      ((inside(m) >= 0.0) == a_in ? a : b) = m;
    }
    return 0.5 * (a + b);
  };
  for (int i = 1; i <= kGrid; ++i) {
    const double s = double(i) / kGrid;
    const double v = inside(s);
    if ((prev_v >= 0.0) != (v >= 0.0)) {
      const double edge = boundary(prev_s, s);
      if (v >= 0.0)
        start = edge;
      else
        measure += edge - start;
    }
    prev_s = s;
    prev_v = v;
  }
  if (prev_v >= 0.0) measure += 1.0 - start;
  return measure > 0.0 ? -std::log(measure) : -INFINITY;
}

double hetero_log_density(double x, double y) {
  return normal_log_pdf(y, 2.0 * x + 0.3 * std::sin(4.0 * kPi * x), 0.05 + 0.45 * x);
}

double ring2d_log_density(double x, double y1, double y2) {
  double l[3];
  for (int b = 0; b < 3; ++b) {
    const double theta = 2.0 * kPi * (x / 2.0 + b / 3.0);
    l[b] = std::log(1.0 / 3.0) + normal_log_pdf(y1, std::cos(theta), 0.05) + normal_log_pdf(y2, std::sin(theta), 0.05);
  }
  return log_sum_exp(l, 3);
}

// The residual in the noise's own axes: two independent normals.
double spiral2d_log_density(double x, double y1, double y2) {
  double m1, m2, c, s;
  spiral_frame(x, m1, m2, c, s);
  const double d1 = y1 - m1, d2 = y2 - m2;
  return normal_log_pdf(d1 * c + d2 * s, 0.0, kSpiralAlong) + normal_log_pdf(-d1 * s + d2 * c, 0.0, kSpiralAcross);
}

struct SetInfo {
  const char* name;
  const char* description;
  std::vector<std::string> columns;
  std::vector<std::string> targets;
  void (*fill)(Matrix&, Rng&);
};

const std::vector<SetInfo>& registry() {
  static const std::vector<SetInfo> sets = {
      {"bishop",
       "Bishop's inverse problem: x = y + 0.3 sin(2 pi y) + U(-0.1, 0.1), y ~ U(0,1); target 'y' has up to three "
       "values for one x",
       {"x", "y"},
       {"y"},
       fill_bishop},
      {"hetero",
       "heteroscedastic regression: y = 2x + 0.3 sin(4 pi x) + N(0, (0.05 + 0.45x)^2), x ~ U(0,1); target 'y'",
       {"x", "y"},
       {"y"},
       fill_hetero},
      {"ring2d",
       "2-D three-mode target: (y1, y2) on the unit circle at angle 2 pi (x/2 + b/3), b in {0,1,2}, noise sd 0.05; "
       "targets 'y1','y2'",
       {"x", "y1", "y2"},
       {"y1", "y2"},
       fill_ring2d},
      {"spiral2d",
       "2-D target with correlated noise: (y1, y2) = (0.2 + x)(cos, sin)(4 pi x) + noise of sd 0.15 along the angle "
       "4 pi x + pi/2 and 0.02 across it; targets 'y1','y2'",
       {"x", "y1", "y2"},
       {"y1", "y2"},
       fill_spiral2d},
  };
  return sets;
}

const SetInfo& find_set(const std::string& name) {
  for (const SetInfo& s : registry())
    if (name == s.name) return s;
  std::string known;
  for (const SetInfo& s : registry()) known += (known.empty() ? "" : ", ") + std::string(s.name);
  throw UsageError("unknown synthetic data set '" + name + "' (known: " + known + ")");
}

}  // namespace

std::vector<std::string> synthetic_set_names() {
  std::vector<std::string> names;
  for (const SetInfo& s : registry()) names.emplace_back(s.name);
  return names;
}

std::string synthetic_set_description(const std::string& name) { return find_set(name).description; }

SyntheticSet make_synthetic(const std::string& name, int rows, std::uint64_t seed) {
  const SetInfo& info = find_set(name);
  if (rows < 1)
    throw UsageError("synthetic data set '" + name + "': rows must be at least 1 (got " + std::to_string(rows) + ")");
  SyntheticSet set;
  set.name = info.name;
  set.description = info.description;
  set.columns = info.columns;
  set.targets = info.targets;
  set.values = Matrix(rows, int(info.columns.size()));
  Rng rng(seed);
  info.fill(set.values, rng);
  return set;
}

double synthetic_log_density(const std::string& name, const double* x, const double* t) {
  const SetInfo& info = find_set(name);
  const std::string n = info.name;
  if (n == "bishop") return bishop_log_density(x[0], t[0]);
  if (n == "hetero") return hetero_log_density(x[0], t[0]);
  if (n == "ring2d") return ring2d_log_density(x[0], t[0], t[1]);
  return spiral2d_log_density(x[0], t[0], t[1]);
}

}  // namespace mdn
