#include "mdn/checkpoint.hpp"

#include <cmath>
#include <map>
#include <string>

#include "io/model_file.hpp"
#include "io/strict_json.hpp"
#include "mdn/error.hpp"
#include "mdn/transform_fit.hpp"

namespace mdn {
namespace {

using io::Json;

constexpr const char* kCheckpointKey = "mdn.checkpoint";
constexpr int kCheckpointVersion = 1;
const std::vector<std::string> kExtraNames = {"mdn.checkpoint.best_params", "mdn.checkpoint.adam_m",
                                              "mdn.checkpoint.adam_v"};
// Written when the weights are averaged (absent before weight averaging existed).
const std::vector<std::string> kOptionalNames = {"mdn.checkpoint.averaged_params"};

// 64-bit seeds travel as decimal strings: a JSON number holds only 53 bits.
Json options_json(const TrainOptions& o) {
  Json j = Json::object();
  j["epochs"] = o.epochs;
  j["batch_size"] = o.batch_size;
  j["lr"] = io::json_float(o.lr);
  j["val_fraction"] = io::json_float(o.val_fraction);
  j["patience"] = o.patience;
  j["clip_norm"] = io::json_float(o.clip_norm);
  j["seed"] = std::to_string(o.seed);
  j["max_rollbacks"] = o.max_rollbacks;
  j["checkpoint_every"] = o.checkpoint_every;
  // The schedule's settings; a checkpoint without them was trained at a
  // constant rate (read back as LrSchedule::Constant).
  j["steps"] = std::int64_t(o.steps);
  j["schedule"] = o.schedule == LrSchedule::Cosine ? "cosine" : "constant";
  j["warmup_fraction"] = io::json_float(o.warmup_fraction);
  j["min_lr_fraction"] = io::json_float(o.min_lr_fraction);
  j["weight_decay"] = io::json_float(o.weight_decay);
  j["input_noise"] = io::json_float(o.input_noise);
  j["target_noise"] = io::json_float(o.target_noise);
  j["weight_average"] = io::json_float(o.weight_average);
  j["calibrate"] = o.calibrate == TrainOptions::CalibrateMode::Auto ? Json("auto")
                   : Json(o.calibrate == TrainOptions::CalibrateMode::On);
  j["ensemble"] = o.ensemble;
  j["bootstrap"] = o.bootstrap;
  Json steps = Json::array();
  for (float h : o.grid_steps) steps.push_back(io::json_float(h));
  j["grid_steps"] = std::move(steps);
  // Written only when asked for, so a run without stays what it was.
  if (!o.target_transform.empty()) {
    Json modes = Json::array();
    for (const auto m : o.target_transform) modes.push_back(target_transform_mode_name(m));
    j["target_transform"] = std::move(modes);
  }
  return j;
}

class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {}
  [[noreturn]] void fail(const std::string& what) const { throw Error(path_ + ": corrupt checkpoint: " + what); }

  const Json& field(const Json& obj, const char* key) const {
    const Json* v = io::find_member(obj, key);
    if (!v) fail(std::string("\"") + key + "\" is missing");
    return *v;
  }
  int integer(const Json& obj, const char* key) const {
    int v = 0;
    if (!io::get_int(field(obj, key), v)) fail(std::string("\"") + key + "\" is not an integer");
    return v;
  }
  double number(const Json& obj, const char* key) const {
    const Json& v = field(obj, key);
    if (!v.is_number()) fail(std::string("\"") + key + "\" is not a number");
    return v.get<double>();
  }
  std::uint64_t seed(const Json& obj) const {
    const Json& v = field(obj, "seed");
    const std::string digits = v.is_string() ? v.get<std::string>() : "";
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
      fail("\"seed\" is not a decimal string");
    try {
      return std::stoull(digits);
    } catch (const std::exception&) {
      fail("\"seed\" is out of range");
    }
  }

 private:
  std::string path_;
};

}  // namespace

void save_checkpoint(const Checkpoint& c, const std::string& path) {
  Json state = Json::object();
  state["version"] = kCheckpointVersion;
  state["epoch"] = c.state.epoch;
  state["lr"] = io::json_float(c.state.lr);
  state["rollbacks"] = c.state.rollbacks;
  state["best_val"] = std::isfinite(c.state.best_val) ? Json(c.state.best_val) : Json(nullptr);
  state["since_best"] = c.state.since_best;
  state["adam_step"] = std::int64_t(c.state.optimizer.step);
  state["options"] = options_json(c.options);

  // An ensemble in progress: the finished members' kept weights, then the
  // current member's weights, as an ensemble of member + 1 networks.
  Model model = c.model;
  model.params = c.state.finished_members;
  model.params.insert(model.params.end(), c.state.params.begin(), c.state.params.end());
  model.members = c.state.member + 1;
  model.calibration = Calibration{};
  std::vector<io::ExtraTensor> extra = {{kExtraNames[0], c.state.best_params},
                                        {kExtraNames[1], c.state.optimizer.m},
                                        {kExtraNames[2], c.state.optimizer.v}};
  if (!c.state.averaged_params.empty()) extra.push_back({kOptionalNames[0], c.state.averaged_params});
  io::save_model_file(model, path, extra, {{kCheckpointKey, io::dump_json(state)}});
}

Checkpoint load_checkpoint(const std::string& path) {
  std::vector<std::vector<float>> extra;
  std::map<std::string, std::string> metadata;
  Checkpoint c;
  try {
    c.model = io::load_model_file(path, kExtraNames, &extra, &metadata, kOptionalNames);
  } catch (const Error& e) {
    // A plain model file lacks the checkpoint tensors: say so in plain words.
    if (std::string(e.what()).find("is missing (is this a training checkpoint?)") != std::string::npos)
      throw Error(path + ": a model file, not a training checkpoint (a checkpoint is written during training)");
    throw;
  }
  const Reader r(path);
  const auto it = metadata.find(kCheckpointKey);
  if (it == metadata.end()) r.fail("metadata \"mdn.checkpoint\" is missing");
  Json state;
  try {
    state = io::parse_json(it->second);
  } catch (const Error& e) {
    r.fail(std::string("metadata \"mdn.checkpoint\" is not valid JSON (") + e.what() + ")");
  }
  if (!state.is_object()) r.fail("metadata \"mdn.checkpoint\" is not an object");
  const int version = r.integer(state, "version");
  if (version > kCheckpointVersion)
    throw Error(path + ": written by a newer mdn (checkpoint version " + std::to_string(version) + ")");

  // extra: the tensors of kExtraNames, then those of kOptionalNames (empty
  // when absent).
  const std::size_t total = c.model.params.size() / std::size_t(c.model.members);
  for (std::size_t i = 0; i < extra.size(); ++i) {
    const bool optional = i >= kExtraNames.size();
    if (extra[i].size() != total && !(optional && extra[i].empty()))
      r.fail("tensor '" + (optional ? kOptionalNames[i - kExtraNames.size()] : kExtraNames[i]) + "' has " +
             std::to_string(extra[i].size()) + " values, the model " + std::to_string(total));
  }
  c.state.epoch = r.integer(state, "epoch");
  c.state.lr = float(r.number(state, "lr"));
  c.state.rollbacks = r.integer(state, "rollbacks");
  const Json& best = r.field(state, "best_val");
  c.state.best_val = best.is_null() ? INFINITY : r.number(state, "best_val");
  c.state.since_best = r.integer(state, "since_best");
  c.state.optimizer.step = r.integer(state, "adam_step");
  c.state.member = c.model.members - 1;
  c.state.finished_members.assign(c.model.params.begin(), c.model.params.end() - std::ptrdiff_t(total));
  c.state.params.assign(c.model.params.end() - std::ptrdiff_t(total), c.model.params.end());
  c.model.params = c.state.params;
  c.model.members = 1;
  c.state.best_params = std::move(extra[0]);
  c.state.optimizer.m = std::move(extra[1]);
  c.state.optimizer.v = std::move(extra[2]);
  c.state.averaged_params = std::move(extra[3]);
  if (c.state.epoch < 0 || !(c.state.lr > 0.0f)) r.fail("epoch or learning rate out of range");

  const Json& o = r.field(state, "options");
  if (!o.is_object()) r.fail("\"options\" is not an object");
  c.options.epochs = r.integer(o, "epochs");
  c.options.batch_size = r.integer(o, "batch_size");
  c.options.lr = float(r.number(o, "lr"));
  c.options.val_fraction = float(r.number(o, "val_fraction"));
  c.options.patience = r.integer(o, "patience");
  c.options.clip_norm = float(r.number(o, "clip_norm"));
  c.options.seed = r.seed(o);
  c.options.max_rollbacks = r.integer(o, "max_rollbacks");
  c.options.checkpoint_every = r.integer(o, "checkpoint_every");
  // Schedule fields: absent in checkpoints written before them, which were
  // trained at a constant rate.
  const auto has = [&](const char* key) { return io::find_member(o, key) != nullptr; };
  c.options.steps = has("steps") ? r.integer(o, "steps") : 0;
  c.options.schedule = LrSchedule::Constant;
  if (const Json* sched = io::find_member(o, "schedule")) {
    const std::string name = sched->is_string() ? sched->get<std::string>() : "";
    if (name != "cosine" && name != "constant") r.fail("\"schedule\" is not \"cosine\" or \"constant\"");
    c.options.schedule = name == "cosine" ? LrSchedule::Cosine : LrSchedule::Constant;
  }
  c.options.warmup_fraction = has("warmup_fraction") ? float(r.number(o, "warmup_fraction")) : 0.0f;
  c.options.min_lr_fraction = has("min_lr_fraction") ? float(r.number(o, "min_lr_fraction")) : 1.0f;
  c.options.weight_decay = has("weight_decay") ? float(r.number(o, "weight_decay")) : 0.0f;
  // Noise regularisation: absent in checkpoints written before it (trained without).
  c.options.input_noise = has("input_noise") ? float(r.number(o, "input_noise")) : 0.0f;
  c.options.target_noise = has("target_noise") ? float(r.number(o, "target_noise")) : 0.0f;
  // Weight averaging: absent in checkpoints written before it (trained without).
  c.options.weight_average = has("weight_average") ? float(r.number(o, "weight_average")) : 0.0f;
  if (const Json* cal = io::find_member(o, "calibrate")) {
    // true / false (On / Off: older checkpoints wrote a bool, false then meaning off) or "auto".
    if (cal->is_string() && cal->get<std::string>() == "auto")
      c.options.calibrate = TrainOptions::CalibrateMode::Auto;
    else if (cal->is_boolean())
      c.options.calibrate = cal->get<bool>() ? TrainOptions::CalibrateMode::On : TrainOptions::CalibrateMode::Off;
    else
      r.fail("\"calibrate\" is not true, false or \"auto\"");
  }
  c.options.ensemble = has("ensemble") ? r.integer(o, "ensemble") : 1;
  if (const Json* boot = io::find_member(o, "bootstrap")) {
    if (!boot->is_boolean()) r.fail("\"bootstrap\" is not true or false");
    c.options.bootstrap = boot->get<bool>();
  }
  if (const Json* steps = io::find_member(o, "grid_steps")) {
    if (!steps->is_array()) r.fail("\"grid_steps\" is not an array");
    for (const Json& h : *steps) {
      if (!h.is_number()) r.fail("\"grid_steps\" holds a non-number");
      c.options.grid_steps.push_back(float(h.get<double>()));
    }
  }
  if (const Json* modes = io::find_member(o, "target_transform")) {
    if (!modes->is_array()) r.fail("\"target_transform\" is not an array");
    for (const Json& m : *modes) {
      if (!m.is_string()) r.fail("\"target_transform\" holds a non-string");
      try {
        c.options.target_transform.push_back(parse_target_transform_mode(m.get<std::string>()));
      } catch (const UsageError& e) {
        r.fail(e.what());
      }
    }
  }
  if (c.options.ensemble < 1 || c.state.member >= c.options.ensemble) r.fail("\"ensemble\" does not match its members");
  return c;
}

}  // namespace mdn
