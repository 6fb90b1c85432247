#include "eval_conformal.hpp"

#include <cstdio>

#include "mdn/conformal.hpp"
#include "text_output.hpp"

namespace mdn::cli {

ConformalTally::ConformalTally(const Model& model, const EvalOptions& options)
    : model_(model), levels_(options.interval_levels) {
  const std::size_t n = std::size_t(model.spec.target_dim) * levels_.size();
  inside_.assign(n, 0.0);
  width_.assign(n, 0.0);
}

void ConformalTally::add(const MixtureBatch& mix, const MatrixD& t, const std::vector<double>& weights) {
  if (!model_.conformal.available()) return;
  const std::size_t L = levels_.size();
  for (std::size_t i = 0; i < L; ++i) {
    std::vector<double> lo, hi;
    conformal_intervals(mix, model_.conformal, levels_[i], lo, hi);
    for (int d = 0; d < mix.T; ++d)
      for (int r = 0; r < mix.rows; ++r) {
        const double w = weights.empty() ? 1.0 : weights[std::size_t(r)];
        const std::size_t at = std::size_t(r) * std::size_t(mix.T) + std::size_t(d);
        inside_[std::size_t(d) * L + i] += lo[at] <= t(r, d) && t(r, d) <= hi[at] ? w : 0.0;
        if (w > 0.0) width_[std::size_t(d) * L + i] += w * (hi[at] - lo[at]);
      }
  }
  for (int r = 0; r < mix.rows; ++r) total_ += weights.empty() ? 1.0 : weights[std::size_t(r)];
}

std::vector<std::vector<IntervalCoverage>> ConformalTally::result() const {
  std::vector<std::vector<IntervalCoverage>> out;
  if (!model_.conformal.available()) return out;
  const std::size_t L = levels_.size();
  out.assign(std::size_t(model_.spec.target_dim), {});
  for (std::size_t d = 0; d < out.size(); ++d)
    for (std::size_t i = 0; i < L; ++i)
      out[d].push_back({levels_[i], inside_[d * L + i] / total_, width_[d * L + i] / total_});
  return out;
}

void print_conformal_coverage(const Model& model, const EvalMetrics& own,
                              const std::vector<std::vector<IntervalCoverage>>& conformal) {
  if (conformal.empty()) return;
  std::printf("\nconformal intervals (scores of %zu rows: %s)\n", model.conformal.scores[0].size(),
              model.conformal.source.c_str());
  for (std::size_t d = 0; d < conformal.size(); ++d)
    for (std::size_t i = 0; i < conformal[d].size(); ++i) {
      const IntervalCoverage& c = conformal[d][i];
      const IntervalCoverage& m = own.targets[d].intervals[i];
      std::printf("  %-12s %3.0f %%: coverage %.4f (model's own %.4f), mean width %.6g (model's own %.6g)\n",
                  model.target_names[d].c_str(), 100.0 * c.level, c.coverage, m.coverage, c.mean_width, m.mean_width);
    }
}

std::string conformal_coverage_json(const Model& model, const std::vector<std::vector<IntervalCoverage>>& conformal) {
  std::string s = "{\"rows\": " + std::to_string(model.conformal.scores[0].size()) +
                  ", \"source\": " + json_string(model.conformal.source) + ", \"targets\": [";
  for (std::size_t d = 0; d < conformal.size(); ++d) {
    s += std::string(d ? ", " : "") + "{\"name\": " + json_string(model.target_names[d]) + ", \"intervals\": [";
    for (std::size_t i = 0; i < conformal[d].size(); ++i) {
      const IntervalCoverage& c = conformal[d][i];
      s += std::string(i ? ", " : "") + "{\"level\": " + json_number(c.level) +
           ", \"coverage\": " + json_number(c.coverage) + ", \"mean_width\": " + json_number(c.mean_width) + "}";
    }
    s += "]}";
  }
  return s + "]}";
}

}  // namespace mdn::cli
