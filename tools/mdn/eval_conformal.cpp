#include "eval_conformal.hpp"

#include <cstdio>

#include "mdn/conformal.hpp"
#include "text_output.hpp"

namespace mdn::cli {

std::vector<std::vector<IntervalCoverage>> conformal_coverage(const Model& model, const MixtureBatch& mix,
                                                              const MatrixD& t, const EvalOptions& options) {
  std::vector<std::vector<IntervalCoverage>> out;
  if (!model.conformal.available()) return out;
  out.assign(std::size_t(mix.T), {});
  for (double level : options.interval_levels) {
    std::vector<double> lo, hi;
    conformal_intervals(mix, model.conformal, level, lo, hi);
    for (int d = 0; d < mix.T; ++d) {
      double inside = 0.0, width = 0.0, total = 0.0;
      for (int r = 0; r < mix.rows; ++r) {
        const double w = options.weights.empty() ? 1.0 : options.weights[std::size_t(r)];
        const std::size_t at = std::size_t(r) * std::size_t(mix.T) + std::size_t(d);
        total += w;
        inside += lo[at] <= t(r, d) && t(r, d) <= hi[at] ? w : 0.0;
        if (w > 0.0) width += w * (hi[at] - lo[at]);
      }
      out[std::size_t(d)].push_back({level, inside / total, width / total});
    }
  }
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
