#include "mdn/checkpoint.hpp"

#include <cmath>
#include <map>
#include <string>

#include "io/model_file.hpp"
#include "io/strict_json.hpp"
#include "mdn/error.hpp"

namespace mdn {
namespace {

using io::Json;

constexpr const char* kCheckpointKey = "mdn.checkpoint";
constexpr int kCheckpointVersion = 1;
const std::vector<std::string> kExtraNames = {"mdn.checkpoint.best_params", "mdn.checkpoint.adam_m",
                                              "mdn.checkpoint.adam_v"};

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

  Model model = c.model;
  model.params = c.state.params;
  io::save_model_file(model, path,
                      {{kExtraNames[0], c.state.best_params},
                       {kExtraNames[1], c.state.optimizer.m},
                       {kExtraNames[2], c.state.optimizer.v}},
                      {{kCheckpointKey, io::dump_json(state)}});
}

Checkpoint load_checkpoint(const std::string& path) {
  std::vector<std::vector<float>> extra;
  std::map<std::string, std::string> metadata;
  Checkpoint c;
  try {
    c.model = io::load_model_file(path, kExtraNames, &extra, &metadata);
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

  const std::size_t total = c.model.params.size();
  for (std::size_t i = 0; i < extra.size(); ++i)
    if (extra[i].size() != total)
      r.fail("tensor '" + kExtraNames[i] + "' has " + std::to_string(extra[i].size()) + " values, the model " +
             std::to_string(total));
  c.state.epoch = r.integer(state, "epoch");
  c.state.lr = float(r.number(state, "lr"));
  c.state.rollbacks = r.integer(state, "rollbacks");
  const Json& best = r.field(state, "best_val");
  c.state.best_val = best.is_null() ? INFINITY : r.number(state, "best_val");
  c.state.since_best = r.integer(state, "since_best");
  c.state.optimizer.step = r.integer(state, "adam_step");
  c.state.params = c.model.params;
  c.state.best_params = std::move(extra[0]);
  c.state.optimizer.m = std::move(extra[1]);
  c.state.optimizer.v = std::move(extra[2]);
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
  return c;
}

}  // namespace mdn
