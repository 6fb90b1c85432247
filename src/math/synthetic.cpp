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

}  // namespace mdn
