// mdn info MODEL.safetensors [--json]
// What a model file holds, read from it (nothing is inferred): the feature
// and target columns with the standardisation statistics stored for them,
// the mixture and the network, ensemble members, calibration, grid steps,
// the training history; --json prints the same as one JSON object.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "mdn/conformal.hpp"
#include "mdn/communicator.hpp"
#include "mdn/feature_encoding.hpp"
#include "mdn/model_info.hpp"
#include "mdn/spec.hpp"

namespace mdn::cli {
namespace {

std::string g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void print_columns(const char* what, const std::vector<std::string>& names, const std::vector<double>& mean,
                   const std::vector<double>& scale, const std::vector<float>* grid) {
  std::size_t width = 4;
  for (const std::string& n : names) width = std::max(width, n.size());
  std::printf("%s (%zu), with the training split's mean and standard deviation:\n", what, names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::printf("  %-*s  mean %-12s  std %s", int(width), names[i].c_str(), g(mean[i]).c_str(), g(scale[i]).c_str());
    if (grid != nullptr && i < grid->size() && (*grid)[i] > 0.0f) std::printf("  grid step %s", g((*grid)[i]).c_str());
    std::printf("\n");
  }
}

void print_history(const Model& m) {
  const TrainingHistory& h = m.history;
  if (h.train_nll.empty()) {
    std::printf("training: no history stored\n");
    return;
  }
  const double jac = m.train_log_jacobian(), val_jac = m.val_log_jacobian();  // differ with a target transform
  std::printf("training: %zu epochs, best epoch %d", h.train_nll.size(), h.best_epoch);
  if (h.best_epoch >= 1 && std::size_t(h.best_epoch) <= h.train_nll.size()) {
    const std::size_t b = std::size_t(h.best_epoch) - 1;
    std::printf(": train NLL %s", g(double(h.train_nll[b]) + jac).c_str());
    if (b < h.val_nll.size()) std::printf(", validation NLL %s", g(double(h.val_nll[b]) + val_jac).c_str());
    std::printf(" (per row, original units%s)",
                m.grid_step.empty() ? "" : "; a gridded target by its cell's mean density P(cell)/h");
  }
  std::printf("%s\n", h.val_nll.empty() ? "; no validation split" : "");
}

void print_text(const ModelInfo& info, const std::string& path) {
  const Model& m = info.model;
  std::printf("%s: mdn model, format version %d\n", path.c_str(), info.format_version);
  print_columns("features", m.feature_names, m.stats.x_mean, m.stats.x_scale, nullptr);
  for (std::size_t i = 0; i < m.x_min.size(); ++i)
    std::printf("  %s: training range [%s, %s]\n", m.feature_names[i].c_str(), g(m.x_min[i]).c_str(),
                g(m.x_max[i]).c_str());
  if (m.encoding) {
    std::printf("input columns (%zu), encoded as the features above:\n", m.encoding->inputs.size());
    for (const InputColumn& in : m.encoding->inputs) std::printf("  %s\n", describe_input(in).c_str());
  }
  print_columns("targets", m.target_names, m.stats.t_mean, m.stats.t_scale, &m.grid_step);
  if (m.has_target_transform()) {
    std::string list;
    for (std::size_t d = 0; d < m.target_transforms.size(); ++d) {
      const TargetTransform& t = m.target_transforms[d];
      list += (list.empty() ? "" : ", ") + m.target_names[d] + ": " + transform_name(t.kind);
      if (t.kind == TargetTransformKind::YeoJohnson) list += " (lambda " + g(t.lambda) + ")";
    }
    std::printf("target transform: %s; every output is in the original units\n", list.c_str());
  }
  std::string layers = std::to_string(m.spec.input_dim) + " inputs";
  for (int w : m.spec.hidden) layers += " -> " + std::to_string(w) + " " + m.spec.activation;
  layers += " -> head " + std::to_string(m.spec.head_width());
  std::printf(
      "mixture: K = %d %s Gaussian components%s; sigma in [%s, %s] target standard deviations\n",
      m.spec.components, m.spec.covariance == Covariance::Full ? "full-covariance" : "diagonal",
      m.members > 1 ? (" per member (" + std::to_string(m.members * m.spec.components) + " in all)").c_str() : "",
      g(std::exp(double(m.spec.log_sigma_min))).c_str(), g(std::exp(double(m.spec.log_sigma_max))).c_str());
  std::printf("network: %s, %zu parameters%s\n", layers.c_str(), ParameterLayout(m.spec).total,
              m.members > 1 ? " per member" : "");
  std::printf("ensemble: %s\n", m.members > 1
                                    ? (std::to_string(m.members) + " members (an equal-weight mixture)").c_str()
                                    : "no (one network)");
  if (m.calibration.applied()) {
    std::string scales;
    for (float s : m.calibration.log_sigma_shift) scales += (scales.empty() ? "" : ", ") + g(std::exp(double(s)));
    const double jac = m.val_log_jacobian();
    std::printf("calibration: sigma scale %s, fitted on %lld validation rows (NLL %s -> %s)\n", scales.c_str(),
                m.calibration.rows, g(m.calibration.val_nll_before + jac).c_str(),
                g(m.calibration.val_nll_after + jac).c_str());
  } else if (!m.recalibration.applied()) {
    std::printf("calibration: none\n");
  }
  if (m.recalibration.applied()) {
    std::string bins;
    for (const PitMap& map : m.recalibration.maps) bins += (bins.empty() ? "" : ", ") + std::to_string(map.bins());
    std::printf("recalibration: PIT map (%s bins), fitted on %s (NLL %s -> %s)\n", bins.c_str(),
                m.recalibration.source.c_str(), g(m.recalibration.nll_before).c_str(),
                g(m.recalibration.nll_after).c_str());
  }
  if (m.conformal.available())
    std::printf("conformal intervals: scores of %zu calibration rows (%s); 90 %% PIT radius %s\n",
                m.conformal.scores[0].size(), m.conformal.source.c_str(),
                g(conformal_radius(m.conformal.scores[0], 0.9)).c_str());
  else
    std::printf("conformal intervals: none (mdn calibrate adds them)\n");
  if (!m.tuning.empty()) std::printf("tuned (model search): %s\n", m.tuning.c_str());
  print_history(m);
  for (const auto& [key, value] : info.other_metadata) std::printf("metadata %s: %s\n", key.c_str(), value.c_str());
}

class InfoCommand : public Command {
 public:
  CLI::App* declare(CLI::App& mdn) override {
    CLI::App* app = mdn.add_subcommand(
        "info",
        "what a model file holds\n\n"
        "Prints the model's feature and target columns (with the mean and standard deviation of each on the\n"
        "training split), K, the network, ensemble members, calibration and the training history, as stored\n"
        "in the file (docs/MODEL_FORMAT.md). The training options and data set are not stored.");
    app->add_option("model", path_, "a model written by mdn train")->type_name("MODEL.safetensors")->required();
    app->add_flag("--json", json_, "print one JSON object instead of text");
    return app;
  }

  int run() override {
    const ModelInfo info = read_model_info(path_);
    if (!world().root()) return 0;
    if (json_) {
      std::fputs(model_info_json(info, path_).c_str(), stdout);
    } else {
      print_text(info, path_);
    }
    return 0;
  }

 private:
  std::string path_;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> make_info_command() { return std::make_unique<InfoCommand>(); }

}  // namespace mdn::cli
