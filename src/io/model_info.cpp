#include "mdn/model_info.hpp"

#include "mdn/conformal.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "mdn/feature_encoding.hpp"
#include "model_file.hpp"

namespace mdn {
namespace {

using Json = nlohmann::ordered_json;

Json number(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json columns(const std::vector<std::string>& names, const std::vector<double>& mean, const std::vector<double>& scale) {
  Json out = Json::array();
  for (std::size_t i = 0; i < names.size(); ++i)
    out.push_back({{"name", names[i]}, {"mean", number(mean[i])}, {"std", number(scale[i])}});
  return out;
}

Json training(const Model& m) {
  const TrainingHistory& h = m.history;
  if (h.train_nll.empty()) return nullptr;
  // The trainer records standardised NLLs; the user compares original units.
  // With a target transform the Jacobian differs between the splits (Model).
  const double jac = m.train_log_jacobian(), val_jac = m.val_log_jacobian();
  Json t;
  t["units"] = m.grid_step.empty() ? "NLL per row, original target units"
                                   : "NLL per row, original target units; a gridded target by its cell's mean "
                                     "density P(cell)/h (the grid cells' NLL plus log h)";
  t["epochs"] = h.train_nll.size();
  t["best_epoch"] = h.best_epoch;
  t["last_train_nll"] = number(double(h.train_nll.back()) + jac);
  const bool best_known = h.best_epoch >= 1 && std::size_t(h.best_epoch) <= h.train_nll.size();
  t["best_train_nll"] = best_known ? number(double(h.train_nll[std::size_t(h.best_epoch) - 1]) + jac) : Json(nullptr);
  t["best_val_nll"] = best_known && std::size_t(h.best_epoch) <= h.val_nll.size()
                          ? number(double(h.val_nll[std::size_t(h.best_epoch) - 1]) + val_jac)
                          : Json(nullptr);
  return t;
}

}  // namespace

ModelInfo read_model_info(const std::string& path) {
  ModelInfo info;
  std::map<std::string, std::string> metadata;
  info.model = io::load_model_file(path, {}, nullptr, &metadata);
  for (const auto& [key, value] : metadata) {
    if (key == "mdn.format_version")
      info.format_version = std::atoi(value.c_str());
    else if (key != "format" && key.rfind("mdn.", 0) != 0)
      info.other_metadata[key] = value;
  }
  return info;
}

std::string model_info_json(const ModelInfo& info, const std::string& path) {
  const Model& m = info.model;
  Json j;
  j["file"] = path;
  j["format_version"] = info.format_version;
  j["features"] = columns(m.feature_names, m.stats.x_mean, m.stats.x_scale);
  for (std::size_t i = 0; i < m.x_min.size(); ++i) {  // the training rows' range (files since 2026-12)
    j["features"][i]["min"] = number(m.x_min[i]);
    j["features"][i]["max"] = number(m.x_max[i]);
  }
  // The raw columns a data file must have, and how each becomes features
  // (mdn/feature_encoding.hpp); a model without an encoding reads its
  // features by name, as numbers.
  if (m.encoding) {
    j["inputs"] = Json::parse(inputs_json(*m.encoding));
  } else {
    j["inputs"] = Json::array();
    for (const std::string& f : m.feature_names) j["inputs"].push_back({{"name", f}, {"type", "number"}});
  }
  Json targets = columns(m.target_names, m.stats.t_mean, m.stats.t_scale);
  for (std::size_t d = 0; d < m.grid_step.size() && d < targets.size(); ++d)
    targets[d]["grid_step"] = number(m.grid_step[d]);
  // The target transform (mdn/target_transform.hpp): "none" when there is none.
  for (std::size_t d = 0; d < targets.size(); ++d) {
    const TargetTransform g = d < m.target_transforms.size() ? m.target_transforms[d] : TargetTransform{};
    targets[d]["transform"] = transform_name(g.kind);
    if (g.kind == TargetTransformKind::YeoJohnson) targets[d]["transform_lambda"] = number(g.lambda);
  }
  j["targets"] = std::move(targets);
  j["components"] = m.spec.components;
  j["covariance"] = m.spec.covariance == Covariance::Full ? "full" : "diagonal";
  j["members"] = m.members;
  j["network"] = {{"inputs", m.spec.input_dim},
                  {"hidden", m.spec.hidden},
                  {"activation", m.spec.activation},
                  {"head", m.spec.head_width()},
                  {"parameters_per_network", ParameterLayout(m.spec).total},
                  {"sigma_min_in_target_stds", number(std::exp(double(m.spec.log_sigma_min)))},
                  {"sigma_max_in_target_stds", number(std::exp(double(m.spec.log_sigma_max)))}};
  if (m.calibration.applied()) {
    Json scales = Json::array();
    for (float s : m.calibration.log_sigma_shift) scales.push_back(number(std::exp(double(s))));
    const double jac = m.val_log_jacobian();
    j["calibration"] = {{"sigma_scale", scales},
                        {"rows", m.calibration.rows},
                        {"val_nll_before", number(m.calibration.val_nll_before + jac)},
                        {"val_nll_after", number(m.calibration.val_nll_after + jac)}};
  } else {
    j["calibration"] = nullptr;
  }
  if (m.recalibration.applied()) {
    Json knots = Json::array();
    for (const PitMap& map : m.recalibration.maps) knots.push_back(Json(map.knots));
    j["recalibration"] = {{"method", "pit_histogram"},
                          {"knots", knots},
                          {"rows", m.recalibration.rows},
                          {"source", m.recalibration.source},
                          {"nll_before", number(m.recalibration.nll_before)},
                          {"nll_after", number(m.recalibration.nll_after)}};
  } else {
    j["recalibration"] = nullptr;
  }
  if (m.conformal.available()) {
    Json radius = Json::array();
    for (const std::vector<double>& s : m.conformal.scores) radius.push_back(number(conformal_radius(s, 0.9)));
    j["conformal"] = {{"rows", m.conformal.scores[0].size()}, {"source", m.conformal.source}, {"radius_90", radius}};
  } else {
    j["conformal"] = nullptr;
  }
  // The model search that chose the configuration (mdn/tuner.hpp), or null.
  j["tuning"] = m.tuning.empty() ? Json(nullptr) : Json::parse(m.tuning);
  j["training"] = training(m);
  j["other_metadata"] = info.other_metadata;
  return j.dump(2) + "\n";
}

}  // namespace mdn
