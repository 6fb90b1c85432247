// A monotone map G of the probability integral transform: the recalibration
// of a 1-D predictive distribution (docs/PREDICT.md, "Recalibration").
//
// The model says F(y | x); the recalibrated distribution says G(F(y | x)).
// G is piecewise linear on M equal bins of [0, 1] (knots j / M), so its
// density g is a step function: bin j has height M * (G(j/M) - G((j-1)/M)).
// Every output follows from three exact identities:
//   CDF       G(F(y))
//   density   g(F(y)) f(y)               (NLL gains -log g(F(y)))
//   quantile  F^-1(G^-1(p))              (the mixture quantile at a mapped level)
// Equivalently the recalibrated distribution is a mixture over the bins:
// with probability G(j/M) - G((j-1)/M) a draw of the model restricted to its
// j-th band of quantiles [F^-1((j-1)/M), F^-1(j/M)].
//
// M = 1 (knots {0, 1}) is the identity. Knots are strictly increasing, so G
// is invertible and g > 0 everywhere.
#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

namespace mdn {

struct PitMap {
  std::vector<double> knots;  // M + 1 values G(j / M): 0 first, 1 last, strictly increasing

  int bins() const { return int(knots.size()) - 1; }
  // What every reader (model file, pickle, arrays) checks: at least two
  // knots, 0 first, 1 last, strictly increasing.
  bool valid() const {
    bool ok = knots.size() >= 2 && knots.front() == 0.0 && knots.back() == 1.0;
    for (std::size_t i = 1; ok && i < knots.size(); ++i) ok = knots[i] > knots[i - 1];
    return ok;
  }
  bool identity() const { return knots.size() <= 2; }

  // The bin of u in [0, 1] (u = 1 falls in the last bin).
  int bin(double u) const {
    const int M = bins();
    return std::clamp(int(u * M), 0, M - 1);
  }
  // g on bin j: its height.
  double height(int j) const { return bins() * (knots[std::size_t(j) + 1] - knots[std::size_t(j)]); }

  // G(u), u in [0, 1] (clamped).
  double forward(double u) const {
    if (identity()) return u;
    u = std::clamp(u, 0.0, 1.0);
    const int M = bins(), j = bin(u);
    const double lo = double(j) / M;
    return knots[std::size_t(j)] + (u - lo) * height(j);
  }
  // g(u): the density of the map at u.
  double density(double u) const { return identity() ? 1.0 : height(bin(std::clamp(u, 0.0, 1.0))); }
  // G^-1(p), p in [0, 1] (clamped).
  double inverse(double p) const {
    if (identity()) return p;
    p = std::clamp(p, 0.0, 1.0);
    const int M = bins();
    // The bin j with knots[j] <= p < knots[j + 1].
    int j = int(std::upper_bound(knots.begin(), knots.end(), p) - knots.begin()) - 1;
    j = std::clamp(j, 0, M - 1);
    return (double(j) + (p - knots[std::size_t(j)]) / (knots[std::size_t(j) + 1] - knots[std::size_t(j)])) / M;
  }
};

}  // namespace mdn
