// Conditionals of the predictive distribution (issue 30, docs/PREDICT.md
// "Conditioning on observed targets"): given observed values of some
// targets, the distribution of the others, p(t_U | x, t_O = y_O). For a
// mixture of Gaussians that is again a mixture of Gaussians:
//   weights   alpha'_k = alpha_k N_k(y_O) / sum_j alpha_j N_j(y_O)
//   component N(mean_U|O, S_U|O), the partitioned-covariance formulas of
//             detail/full_cov_gaussian.hpp (dense_gaussian_condition)
// A diagonal component's unobserved targets do not depend on the observed
// ones, so only its weight changes; the mixture as a whole still moves (the
// components that explain y_O take over).
#pragma once
#include <string>
#include <vector>

#include "mdn/matrix.hpp"
#include "mdn/mixture.hpp"

namespace mdn {

// Which targets are observed (indices into 0..T-1, strictly increasing, at
// least one, not all) and their values: rows x observed.size(), one row per
// mixture row, or a single row for every mixture row.
struct TargetObservations {
  std::vector<int> observed;
  MatrixD values;
};

// The batch of the unobserved targets' conditional mixtures (T' = T -
// observed, components and rows as in mix; full covariance keeps its
// factors while T' >= 2). Throws UsageError when observed is empty, lists
// every target or a target twice, or values has the wrong shape or a value
// that is not finite; Error when mix carries PIT maps, or when some row's
// observed values have zero density under every component (naming the row).
MixtureBatch condition_mixtures(const MixtureBatch& mix, const TargetObservations& given);

// The names of the targets left after conditioning on `observed`.
std::vector<std::string> unobserved_names(const std::vector<std::string>& target_names,
                                          const std::vector<int>& observed);

}  // namespace mdn
