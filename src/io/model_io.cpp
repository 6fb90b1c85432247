// Model files: safetensors with the seed PyTorch module's tensor names, and the
// spec, statistics, column names and history as JSON strings in the metadata.
// The format is specified in docs/MODEL_FORMAT.md; keep the two in step.
#include "mdn/model_io.hpp"

#include <cmath>
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "io/model_file.hpp"
#include "io/safetensors.hpp"
#include "io/strict_json.hpp"
#include "mdn/atomic_file.hpp"
#include "mdn/error.hpp"
#include "mdn/feature_encoding.hpp"

namespace mdn {
namespace {

using io::Json;

// Metadata keys (all values are strings, as safetensors requires).
constexpr const char* kFormatKey = "format";
constexpr const char* kFormatValue = "mdn";
constexpr const char* kVersionKey = "mdn.format_version";
constexpr const char* kSpecKey = "mdn.spec";
constexpr const char* kFeaturesKey = "mdn.features";
constexpr const char* kTargetsKey = "mdn.targets";
constexpr const char* kStandardizerKey = "mdn.standardizer";
constexpr const char* kHistoryKey = "mdn.history";
constexpr const char* kCalibrationKey = "mdn.calibration";  // only in calibrated models
constexpr const char* kConformalKey = "mdn.conformal";      // only in models with conformal scores
constexpr const char* kRecalibrationKey = "mdn.recalibration";  // only in recalibrated models
constexpr const char* kPitHistogramMethod = "pit_histogram";     // the one method (mdn/pit_map.hpp)
constexpr const char* kTransformKey = "mdn.target_transform";  // only with a target transform (version 4)
constexpr const char* kGridKey = "mdn.grid";                // only for gridded targets: steps per target
constexpr const char* kRangesKey = "mdn.feature_ranges";    // the training rows' min and max per feature
constexpr const char* kTuningKey = "mdn.tuning";            // only in tuned models: the search's choice
constexpr const char* kMembersKey = "mdn.members";          // only in ensembles: the member count, decimal
constexpr const char* kCheckpointKey = "mdn.checkpoint";    // only in training checkpoints (checkpoint.cpp)
constexpr const char* kInputsKey = "mdn.inputs";            // only with a feature encoding (feature_encoding.hpp)

// One tensor of the file: a contiguous slice [offset, offset + rows*cols) of
// the flat parameter buffer. cols == 0 marks a bias (1-D, shape [rows]).
struct TensorSlot {
  std::string name;
  std::uint64_t rows = 0;
  std::uint64_t cols = 0;
  std::size_t offset = 0;

  std::vector<std::uint64_t> shape() const {
    return cols ? std::vector<std::uint64_t>{rows, cols} : std::vector<std::uint64_t>{rows};
  }
  std::uint64_t count() const { return cols ? rows * cols : rows; }
};

// Expected shapes from the spec alone, without offsets: safe to call on an
// untrusted spec before ParameterLayout multiplies anything.
std::vector<TensorSlot> expected_shapes(const ModelSpec& spec) {
  std::vector<TensorSlot> slots;
  std::uint64_t in = std::uint64_t(spec.input_dim);
  for (std::size_t l = 0; l < spec.hidden.size(); ++l) {
    const std::uint64_t out = std::uint64_t(spec.hidden[l]);
    // nn.Sequential(Linear, Tanh, Linear, Tanh, ...): the Linear layers are
    // the even-numbered children.
    const std::string prefix = "backbone." + std::to_string(2 * l);
    slots.push_back({prefix + ".weight", out, in, 0});
    slots.push_back({prefix + ".bias", out, 0, 0});
    in = out;
  }
  const std::uint64_t k = std::uint64_t(spec.components);
  const std::uint64_t kt = k * std::uint64_t(spec.target_dim);
  // Head rows are [a (K) | s (K*T) | m (K*T)]: three nn.Linear heads in the seed.
  slots.push_back({"z_alpha.weight", k, in, 0});
  slots.push_back({"z_sigma.weight", kt, in, 0});
  slots.push_back({"z_mu.weight", kt, in, 0});
  // Full covariance: the off-diagonals c (K*T(T-1)/2) follow m in the head.
  const bool full = spec.covariance == Covariance::Full;
  const std::uint64_t kp = k * std::uint64_t(spec.target_dim) * std::uint64_t(spec.target_dim - 1) / 2;
  if (full) slots.push_back({"z_offdiag.weight", kp, in, 0});
  slots.push_back({"z_alpha.bias", k, 0, 0});
  slots.push_back({"z_sigma.bias", kt, 0, 0});
  slots.push_back({"z_mu.bias", kt, 0, 0});
  if (full) slots.push_back({"z_offdiag.bias", kp, 0, 0});
  return slots;
}

// The same tensors with their offsets in the flat buffer. In this order they
// tile the buffer exactly (head W rows a|s|m, then head b a|s|m), so the file's
// data section is byte-for-byte the flat parameter buffer.
std::vector<TensorSlot> tensor_slots(const ModelSpec& spec) {
  const ParameterLayout layout(spec);
  std::vector<TensorSlot> slots = expected_shapes(spec);
  std::size_t i = 0;
  for (std::size_t l = 0; l + 1 < layout.layers.size(); ++l) {
    slots[i++].offset = layout.layers[l].weight_offset;
    slots[i++].offset = layout.layers[l].bias_offset;
  }
  const LayerSlice& head = layout.head();
  const std::size_t k = std::size_t(spec.components);
  const std::size_t kt = k * std::size_t(spec.target_dim);
  const std::size_t h = std::size_t(head.in);
  slots[i++].offset = head.weight_offset;
  slots[i++].offset = head.weight_offset + k * h;
  slots[i++].offset = head.weight_offset + (k + kt) * h;
  const bool full = spec.covariance == Covariance::Full;
  if (full) slots[i++].offset = head.weight_offset + (k + 2 * kt) * h;
  slots[i++].offset = head.bias_offset;
  slots[i++].offset = head.bias_offset + k;
  slots[i++].offset = head.bias_offset + k + kt;
  if (full) slots[i++].offset = head.bias_offset + k + 2 * kt;
  return slots;
}

// A deep ensemble (Model::members > 1) stores member i's tensors under the
// prefix "members.<i>." and its slice of the flat buffer at i * total; one
// network keeps the seed module's names, so PyTorch loads it directly.
std::vector<TensorSlot> member_slots(std::vector<TensorSlot> one, int members, std::size_t total) {
  if (members == 1) return one;
  std::vector<TensorSlot> all;
  for (int i = 0; i < members; ++i)
    for (TensorSlot slot : one) {
      slot.name = "members." + std::to_string(i) + "." + slot.name;
      slot.offset += std::size_t(i) * total;
      all.push_back(slot);
    }
  return all;
}
std::vector<TensorSlot> expected_shapes(const ModelSpec& spec, int members) {
  return member_slots(expected_shapes(spec), members, 0);
}
std::vector<TensorSlot> tensor_slots(const ModelSpec& spec, int members) {
  return member_slots(tensor_slots(spec), members, ParameterLayout(spec).total);
}

std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// The largest standardizer value a file may hold: the data's own limit
// (mdn/csv.hpp), so no statistic of valid data is larger.
constexpr double kLargestStatistic = 3.4028234663852886e38;

// ---- save ------------------------------------------------------------------

Json float_array(const std::vector<float>& v) {
  Json a = Json::array();
  for (const float x : v) a.push_back(io::json_float(x));
  return a;
}

// Doubles as JSON numbers: nlohmann writes the shortest decimal that reads
// back as the same double (at most 17 significant digits).
Json double_array(const std::vector<double>& v) {
  Json a = Json::array();
  for (const double x : v) a.push_back(x);
  return a;
}

// History values may be NaN/Inf (a diverged epoch); JSON has no such numbers,
// so they are written as null and read back as NaN.
Json history_array(const std::vector<float>& v) {
  Json a = Json::array();
  for (const float x : v) a.push_back(std::isfinite(x) ? io::json_float(x) : Json());
  return a;
}

void check_names(const std::string& path, const char* what, const std::vector<std::string>& names, std::size_t expected,
                 const char* dim) {
  if (names.size() != expected)
    throw Error(path + ": cannot save the model: " + std::to_string(names.size()) + " " + what + " names for " + dim +
                " = " + std::to_string(expected));
  for (const auto& name : names)
    if (!io::is_valid_utf8(name))
      throw Error(path + ": cannot save the model: " + what + " name '" + name +
                  "' is not valid UTF-8 (the file format stores names as UTF-8 text)");
}

void check_stats(const std::string& path, const char* name, const std::vector<double>& v, std::size_t expected,
                 bool is_scale) {
  if (v.size() != expected)
    throw Error(path + ": cannot save the model: standardizer " + name + " has " + std::to_string(v.size()) +
                " values, expected " + std::to_string(expected));
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!(std::fabs(v[i]) <= kLargestStatistic) || (is_scale && !(v[i] > 0.0)))
      throw Error(path + ": cannot save the model: standardizer " + name + "[" + std::to_string(i) +
                  "] = " + std::to_string(v[i]) +
                  (is_scale ? " (must be finite, at most 3.4e38, and > 0)" : " (must be finite and at most 3.4e38)"));
}

// Everything save_model promises to check before it touches the file system.
void validate_for_save(const Model& model, const std::string& path) {
  try {
    model.spec.validate();
  } catch (const Error& e) {
    throw Error(path + ": cannot save the model: invalid spec: " + e.what());
  }
  const ModelSpec& spec = model.spec;
  const ParameterLayout layout(spec);
  if (model.members < 1 || model.members > kMaxMembers)
    throw Error(path + ": cannot save the model: " + std::to_string(model.members) + " ensemble members (1 to " +
                std::to_string(kMaxMembers) + " allowed)");
  if (model.params.size() != layout.total * std::size_t(model.members))
    throw Error(path + ": cannot save the model: " + std::to_string(model.params.size()) +
                " parameters, but the spec needs " + std::to_string(layout.total * std::size_t(model.members)));
  for (std::size_t i = 0; i < model.params.size(); ++i)
    if (!std::isfinite(model.params[i]))
      throw Error(path + ": cannot save the model: parameter " + std::to_string(i) + " is " +
                  std::to_string(model.params[i]) + " (a model with non-finite weights is refused)");
  const std::size_t d = std::size_t(spec.input_dim), t = std::size_t(spec.target_dim);
  check_names(path, "feature", model.feature_names, d, "D");
  check_names(path, "target", model.target_names, t, "T");
  check_stats(path, "x_mean", model.stats.x_mean, d, false);
  check_stats(path, "x_scale", model.stats.x_scale, d, true);
  check_stats(path, "t_mean", model.stats.t_mean, t, false);
  check_stats(path, "t_scale", model.stats.t_scale, t, true);
  if (!model.target_transforms.empty() && model.target_transforms.size() != t)
    throw Error(path + ": cannot save the model: " + std::to_string(model.target_transforms.size()) +
                " target transforms for " + std::to_string(t) + " targets");
  for (const TargetTransform& g : model.target_transforms)
    if (g.kind == TargetTransformKind::YeoJohnson && !(g.lambda >= kYeoJohnsonMinLambda && g.lambda <= kYeoJohnsonMaxLambda))
      throw Error(path + ": cannot save the model: a Yeo-Johnson lambda is outside [0, 2]");
}

std::map<std::string, std::string> build_metadata(const Model& model) {
  const ModelSpec& spec = model.spec;
  Json spec_json = Json::object();
  spec_json["input_dim"] = spec.input_dim;
  spec_json["target_dim"] = spec.target_dim;
  spec_json["components"] = spec.components;
  spec_json["hidden"] = spec.hidden;
  spec_json["activation"] = spec.activation;
  spec_json["log_sigma_min"] = io::json_float(spec.log_sigma_min);
  spec_json["log_sigma_max"] = io::json_float(spec.log_sigma_max);
  // Written only for full covariance: a diagonal file stays what it was.
  const bool full = spec.covariance == Covariance::Full;
  if (full) spec_json["covariance"] = "full";

  Json stats = Json::object();
  stats["x_mean"] = double_array(model.stats.x_mean);
  stats["x_scale"] = double_array(model.stats.x_scale);
  stats["t_mean"] = double_array(model.stats.t_mean);
  stats["t_scale"] = double_array(model.stats.t_scale);

  Json history = Json::object();
  history["train_nll"] = history_array(model.history.train_nll);
  history["val_nll"] = history_array(model.history.val_nll);
  history["best_epoch"] = model.history.best_epoch;
  if (!model.history.warnings.empty()) history["warnings"] = Json(model.history.warnings);

  std::map<std::string, std::string> out = {
      {kFormatKey, kFormatValue},
      {kVersionKey, std::to_string(model.has_target_transform() ? kTransformModelFormatVersion
                                   : full                       ? kFullModelFormatVersion
                                                                : kDiagonalModelFormatVersion)},
      {kSpecKey, io::dump_json(spec_json)},
      {kFeaturesKey, io::dump_json(Json(model.feature_names))},
      {kTargetsKey, io::dump_json(Json(model.target_names))},
      {kStandardizerKey, io::dump_json(stats)},
      {kHistoryKey, io::dump_json(history)},
  };
  if (model.calibration.applied()) {
    // Informative: the shifts are already in the head biases.
    Json c = Json::object();
    c["log_sigma_shift"] = float_array(model.calibration.log_sigma_shift);
    c["val_nll_before"] = model.calibration.val_nll_before;
    c["val_nll_after"] = model.calibration.val_nll_after;
    c["rows"] = std::int64_t(model.calibration.rows);
    out[kCalibrationKey] = io::dump_json(c);
  }
  if (model.recalibration.applied()) {
    Json c = Json::object();
    c["method"] = kPitHistogramMethod;
    Json maps = Json::array();
    for (const PitMap& m : model.recalibration.maps) maps.push_back(Json(m.knots));
    c["knots"] = maps;
    c["source"] = model.recalibration.source;
    c["rows"] = std::int64_t(model.recalibration.rows);
    c["nll_before"] = model.recalibration.nll_before;
    c["nll_after"] = model.recalibration.nll_after;
    out[kRecalibrationKey] = io::dump_json(c);
  }
  if (model.conformal.available()) {
    // Floats: a score is a probability distance; 9 digits decide no interval.
    Json c = Json::object();
    Json lists = Json::array();
    for (const std::vector<double>& s : model.conformal.scores)
      lists.push_back(float_array(std::vector<float>(s.begin(), s.end())));
    c["scores"] = lists;
    c["source"] = model.conformal.source;
    out[kConformalKey] = io::dump_json(c);
  }
  if (model.has_target_transform()) {
    // Per target {"kind": "none" | "log" | "yeo-johnson"}, with "lambda" for
    // Yeo-Johnson; and the history's Jacobian offsets (Model).
    Json list = Json::array();
    for (const TargetTransform& g : model.target_transforms) {
      Json t = Json::object();
      t["kind"] = transform_name(g.kind);
      if (g.kind == TargetTransformKind::YeoJohnson) t["lambda"] = g.lambda;
      list.push_back(t);
    }
    Json c = Json::object();
    c["targets"] = list;
    c["train_jacobian"] = model.transform_train_jacobian;
    c["val_jacobian"] = model.transform_val_jacobian;
    out[kTransformKey] = io::dump_json(c);
  }
  if (model.members > 1) out[kMembersKey] = std::to_string(model.members);
  if (!model.grid_step.empty()) out[kGridKey] = io::dump_json(float_array(model.grid_step));
  if (!model.x_min.empty()) {
    Json r = Json::object();
    r["min"] = double_array(model.x_min);
    r["max"] = double_array(model.x_max);
    out[kRangesKey] = io::dump_json(r);
  }
  // ---- feature encoding (mdn/feature_encoding.hpp) ----
  if (model.encoding) out[kInputsKey] = encoding_to_json(*model.encoding);
  if (!model.tuning.empty()) out[kTuningKey] = model.tuning;
  return out;
}

// ---- load ------------------------------------------------------------------

// Every load error goes through here, so each message starts with the path.
class Loader {
 public:
  explicit Loader(const std::string& path, std::vector<std::string> extra_names = {},
                  std::vector<std::string> optional_names = {})
      : path_(path), reader_(path), extra_names_(std::move(extra_names)), optional_names_(std::move(optional_names)) {}

  Model load() {
    check_format();
    Model model;
    model.spec = read_spec();
    read_names(model);
    read_stats(model);
    read_history(model);
    read_calibration(model);
    read_recalibration(model);
    read_target_transform(model);
    read_conformal(model);
    model.members = read_members();
    if (meta(kGridKey)) {
      const Json g = parse_meta(kGridKey);
      Json wrapper = Json::object();
      wrapper["steps"] = g;
      model.grid_step = float_list(wrapper, "the grid (metadata \"mdn.grid\")", "steps", false);
      if (int(model.grid_step.size()) != model.spec.target_dim)
        fail("corrupt mdn model file: metadata \"mdn.grid\" needs one step per target");
    }
    read_ranges(model);
    read_inputs(model);
    if (meta(kTuningKey)) {
      const Json tuning = parse_meta(kTuningKey);
      if (!tuning.is_object()) fail("corrupt mdn model file: metadata \"mdn.tuning\" is not a JSON object");
      model.tuning = io::dump_json(tuning);
    }
    members_ = model.members;
    check_tensors(model.spec);
    read_params(model);
    return model;
  }

  const std::map<std::string, std::string>& metadata() const { return reader_.metadata(); }
  // The extra tensors, in the order of extra_names (after load()).
  std::vector<std::vector<float>> take_extra() { return std::move(extra_values_); }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw Error(path_ + ": " + what); }

  const std::string* meta(const char* key) const {
    const auto it = reader_.metadata().find(key);
    return it == reader_.metadata().end() ? nullptr : &it->second;
  }

  const std::string& require_meta(const char* key) const {
    const std::string* value = meta(key);
    if (!value) fail(std::string("corrupt mdn model file: metadata \"") + key + "\" is missing");
    return *value;
  }

  Json parse_meta(const char* key) const {
    try {
      return io::parse_json(require_meta(key));
    } catch (const Error& e) {
      fail(std::string("corrupt mdn model file: metadata \"") + key + "\" is not valid JSON (" + e.what() + ")");
    }
  }

  void check_format() {
    const std::string* format = meta(kFormatKey);
    if (!format)
      fail(
          "not an mdn model file: a safetensors file without \"format\": \"mdn\" in its metadata "
          "(written by another program?)");
    if (*format != kFormatValue)
      fail("not an mdn model file: its metadata says \"format\": \"" + *format +
           "\", not \"mdn\" (written by another program?)");
    const std::string* version = meta(kVersionKey);
    if (!version) fail(std::string("corrupt mdn model file: metadata \"") + kVersionKey + "\" is missing");
    // Digits only, at most 9 of them, so the value fits an int without overflow.
    const bool numeric =
        !version->empty() && version->size() <= 9 && version->find_first_not_of("0123456789") == std::string::npos;
    if (!numeric) fail(std::string("corrupt mdn model file: format version \"") + *version + "\" is not a number");
    const int v = std::stoi(*version);
    format_version_ = v;
    if (v > kModelFormatVersion)
      fail("written by a newer mdn (format version " + std::to_string(v) + "; this build reads up to " +
           std::to_string(kModelFormatVersion) + ")");
    if (v < 1) fail("corrupt mdn model file: format version " + std::to_string(v) + " does not exist");
  }

  // Object members; keys outside `allowed` are refused (an unknown key in the
  // spec or the statistics could change what the weights mean).
  void check_keys(const Json& obj, const char* what, std::initializer_list<const char*> allowed) const {
    for (const auto& member : obj.items()) {
      bool known = false;
      for (const char* a : allowed) known = known || member.key() == a;
      if (!known) fail(std::string("corrupt mdn model file: unknown key \"") + member.key() + "\" in " + what);
    }
  }

  const Json& field(const Json& obj, const char* what, const char* key) const {
    const Json* value = io::find_member(obj, key);
    if (!value) fail(std::string("corrupt mdn model file: ") + what + " has no \"" + key + "\"");
    return *value;
  }

  int int_field(const Json& obj, const char* what, const char* key) const {
    int v = 0;
    if (!io::get_int(field(obj, what, key), v))
      fail(std::string("corrupt mdn model file: ") + what + " \"" + key + "\" is not an integer");
    return v;
  }

  // A number that is a finite float (null allowed, as NaN, where `null_is_nan`).
  float to_float(const Json& value, const std::string& where, bool null_is_nan) const {
    if (null_is_nan && value.is_null()) return NAN;
    if (!value.is_number())
      fail("corrupt mdn model file: " + where + " is " + io::json_type_name(value) + ", not a number");
    const double d = value.get<double>();
    // Below 2^128 - 2^103 a double rounds to a finite float (FLT_MAX itself is
    // written as 3.4028235e+38, slightly above FLT_MAX as a double).
    constexpr double kFloatOverflow = 0x1.ffffffp127;
    if (!(std::fabs(d) < kFloatOverflow)) fail("corrupt mdn model file: " + where + " is out of float range");
    return float(d);
  }

  // A finite number, as the double it is.
  double to_double(const Json& value, const std::string& where) const {
    if (!value.is_number())
      fail("corrupt mdn model file: " + where + " is " + io::json_type_name(value) + ", not a number");
    const double d = value.get<double>();
    if (!(std::fabs(d) <= kLargestStatistic))
      fail("corrupt mdn model file: " + where + " is out of range (beyond +-3.4e38)");
    return d;
  }

  std::vector<double> double_list(const Json& obj, const char* what, const char* key) const {
    const Json& arr = field(obj, what, key);
    if (!arr.is_array()) fail(std::string("corrupt mdn model file: ") + what + " \"" + key + "\" is not an array");
    std::vector<double> out;
    for (std::size_t i = 0; i < arr.size(); ++i)
      out.push_back(to_double(arr[i], std::string(what) + " " + key + "[" + std::to_string(i) + "]"));
    return out;
  }

  std::vector<float> float_list(const Json& obj, const char* what, const char* key, bool null_is_nan) const {
    const Json& arr = field(obj, what, key);
    if (!arr.is_array()) fail(std::string("corrupt mdn model file: ") + what + " \"" + key + "\" is not an array");
    std::vector<float> out;
    for (std::size_t i = 0; i < arr.size(); ++i)
      out.push_back(to_float(arr[i], std::string(what) + " " + key + "[" + std::to_string(i) + "]", null_is_nan));
    return out;
  }

  ModelSpec read_spec() const {
    const Json spec_json = parse_meta(kSpecKey);
    const char* what = "the spec (metadata \"mdn.spec\")";
    if (!spec_json.is_object()) fail(std::string("corrupt mdn model file: ") + what + " is not a JSON object");
    check_keys(spec_json, what,
               {"input_dim", "target_dim", "components", "hidden", "activation", "log_sigma_min", "log_sigma_max",
                "covariance"});
    ModelSpec spec;
    spec.input_dim = int_field(spec_json, what, "input_dim");
    spec.target_dim = int_field(spec_json, what, "target_dim");
    spec.components = int_field(spec_json, what, "components");
    const Json& hidden = field(spec_json, what, "hidden");
    if (!hidden.is_array()) fail(std::string("corrupt mdn model file: ") + what + " \"hidden\" is not an array");
    spec.hidden.clear();
    for (const Json& w : hidden) {
      int width = 0;
      if (!io::get_int(w, width))
        fail(std::string("corrupt mdn model file: ") + what + " \"hidden\" holds a non-integer");
      spec.hidden.push_back(width);
    }
    const Json& activation = field(spec_json, what, "activation");
    if (!activation.is_string())
      fail(std::string("corrupt mdn model file: ") + what + " \"activation\" is not a string");
    spec.activation = activation.get<std::string>();
    spec.log_sigma_min = to_float(field(spec_json, what, "log_sigma_min"), "spec log_sigma_min", false);
    spec.log_sigma_max = to_float(field(spec_json, what, "log_sigma_max"), "spec log_sigma_max", false);
    // "covariance" (version 3): "diagonal" or "full"; absent means diagonal.
    if (const Json* cov = io::find_member(spec_json, "covariance")) {
      if (format_version_ < 3)
        fail(std::string("corrupt mdn model file: ") + what + " has \"covariance\" but the format version is " +
             std::to_string(format_version_) + " (it needs 3)");
      if (!cov->is_string() || (cov->get<std::string>() != "full" && cov->get<std::string>() != "diagonal"))
        fail(std::string("corrupt mdn model file: ") + what + " \"covariance\" is not \"diagonal\" or \"full\"");
      spec.covariance = cov->get<std::string>() == "full" ? Covariance::Full : Covariance::Diagonal;
    }
    try {
      spec.validate();
    } catch (const Error& e) {
      fail(std::string("invalid model spec in the file: ") + e.what());
    }
    return spec;
  }

  std::vector<std::string> read_name_list(const char* key, std::size_t expected, const char* dim) const {
    const Json list = parse_meta(key);
    if (!list.is_array()) fail(std::string("corrupt mdn model file: metadata \"") + key + "\" is not a JSON array");
    std::vector<std::string> names;
    for (const Json& n : list) {
      if (!n.is_string()) fail(std::string("corrupt mdn model file: metadata \"") + key + "\" holds a non-string");
      names.push_back(n.get<std::string>());
    }
    if (names.size() != expected)
      fail(std::string("corrupt mdn model file: metadata \"") + key + "\" lists " + std::to_string(names.size()) +
           " names but the spec has " + dim + " = " + std::to_string(expected));
    return names;
  }

  void read_names(Model& model) const {
    model.feature_names = read_name_list(kFeaturesKey, std::size_t(model.spec.input_dim), "D");
    model.target_names = read_name_list(kTargetsKey, std::size_t(model.spec.target_dim), "T");
  }

  void read_stats(Model& model) const {
    const Json stats = parse_meta(kStandardizerKey);
    const char* what = "the standardizer (metadata \"mdn.standardizer\")";
    if (!stats.is_object()) fail(std::string("corrupt mdn model file: ") + what + " is not a JSON object");
    check_keys(stats, what, {"x_mean", "x_scale", "t_mean", "t_scale"});
    const std::size_t d = std::size_t(model.spec.input_dim), t = std::size_t(model.spec.target_dim);
    const auto get = [&](const char* key, std::size_t expected, const char* dim, bool is_scale) {
      // Version 1 held float statistics: they are read as the floats they
      // were, so an older model predicts exactly what it did. Version 2
      // holds doubles.
      std::vector<double> v;
      if (format_version_ < 2) {
        for (const float f : float_list(stats, what, key, false)) v.push_back(double(f));
      } else {
        v = double_list(stats, what, key);
      }
      if (v.size() != expected)
        fail(std::string("corrupt mdn model file: standardizer \"") + key + "\" has " + std::to_string(v.size()) +
             " values but the spec has " + dim + " = " + std::to_string(expected));
      if (is_scale)
        for (std::size_t i = 0; i < v.size(); ++i)
          if (!(v[i] > 0.0))
            fail(std::string("corrupt mdn model file: standardizer ") + key + "[" + std::to_string(i) +
                 "] = " + std::to_string(v[i]) + " (a scale must be > 0)");
      return v;
    };
    model.stats.x_mean = get("x_mean", d, "D", false);
    model.stats.x_scale = get("x_scale", d, "D", true);
    model.stats.t_mean = get("t_mean", t, "T", false);
    model.stats.t_scale = get("t_scale", t, "T", true);
  }

  // Optional: a file without history (e.g. written by hand from PyTorch)
  // loads with an empty one. Unknown keys are ignored: history is informative
  // and never changes what the model computes.
  void read_history(Model& model) const {
    if (!meta(kHistoryKey)) return;
    const Json history = parse_meta(kHistoryKey);
    const char* what = "the history (metadata \"mdn.history\")";
    if (!history.is_object()) fail(std::string("corrupt mdn model file: ") + what + " is not a JSON object");
    model.history.train_nll = float_list(history, what, "train_nll", true);
    model.history.val_nll = float_list(history, what, "val_nll", true);
    model.history.best_epoch = int_field(history, what, "best_epoch");
    if (history.contains("warnings")) {  // optional: only runs that had something to say
      const Json& list = history["warnings"];
      if (!list.is_array()) fail(std::string("corrupt mdn model file: ") + what + " \"warnings\" is not an array");
      for (const Json& w : list) {
        if (!w.is_string()) fail(std::string("corrupt mdn model file: ") + what + " \"warnings\" holds a non-string");
        model.history.warnings.push_back(w.get<std::string>());
      }
    }
  }

  // Optional: present in calibrated models. The shifts are already folded into
  // the head biases; this record lets `mdn eval` show the model before them.
  void read_calibration(Model& model) const {
    if (!meta(kCalibrationKey)) return;
    const Json c = parse_meta(kCalibrationKey);
    const char* what = "the calibration (metadata \"mdn.calibration\")";
    if (!c.is_object()) fail(std::string("corrupt mdn model file: ") + what + " is not a JSON object");
    model.calibration.log_sigma_shift = float_list(c, what, "log_sigma_shift", false);
    if (int(model.calibration.log_sigma_shift.size()) != model.spec.target_dim)
      fail(std::string("corrupt mdn model file: ") + what + " needs one shift per target");
    const Json* before = io::find_member(c, "val_nll_before");
    const Json* after = io::find_member(c, "val_nll_after");
    const Json* rows = io::find_member(c, "rows");
    if (before && before->is_number()) model.calibration.val_nll_before = before->get<double>();
    if (after && after->is_number()) model.calibration.val_nll_after = after->get<double>();
    if (rows && rows->is_number()) model.calibration.rows = (long long)rows->get<double>();
  }

  // Optional: recalibrated models (Model::recalibration).
  void read_recalibration(Model& model) const {
    if (!meta(kRecalibrationKey)) return;
    const Json c = parse_meta(kRecalibrationKey);
    const std::string what = "corrupt mdn model file: the recalibration (metadata \"mdn.recalibration\")";
    if (!c.is_object()) fail(what + " is not a JSON object");
    const Json* method = io::find_member(c, "method");
    if (!method || !method->is_string() || method->get<std::string>() != kPitHistogramMethod)
      fail("mdn model file: its recalibration method is not \"pit_histogram\" (written by a newer mdn?)");
    const Json* maps = io::find_member(c, "knots");
    if (!maps || !maps->is_array() || int(maps->size()) != model.spec.target_dim)
      fail(what + " needs one list of knots per target");
    for (const Json& list : *maps) {
      PitMap m;
      if (list.is_array())
        for (const Json& v : list) m.knots.push_back(v.is_number() ? v.get<double>() : -1.0);
      if (!m.valid()) fail(what + " holds knots that do not rise strictly from 0 to 1");
      model.recalibration.maps.push_back(std::move(m));
    }
    const Json* source = io::find_member(c, "source");
    if (source && source->is_string()) model.recalibration.source = source->get<std::string>();
    const Json* rows = io::find_member(c, "rows");
    if (rows && rows->is_number()) model.recalibration.rows = (long long)rows->get<double>();
    const Json* before = io::find_member(c, "nll_before");
    const Json* after = io::find_member(c, "nll_after");
    if (before && before->is_number()) model.recalibration.nll_before = before->get<double>();
    if (after && after->is_number()) model.recalibration.nll_after = after->get<double>();
  }

  // Optional: models trained through a target transform (version 4).
  void read_target_transform(Model& model) const {
    if (!meta(kTransformKey)) return;
    const std::string what = "corrupt mdn model file: the target transform (metadata \"mdn.target_transform\")";
    if (format_version_ < kTransformModelFormatVersion)
      fail(what + " is in a file of format version " + std::to_string(format_version_) + " (it needs 4)");
    const Json c = parse_meta(kTransformKey);
    const Json* found = c.is_object() ? io::find_member(c, "targets") : nullptr;
    if (!found || !found->is_array() || int(found->size()) != model.spec.target_dim)
      fail(what + " needs \"targets\": one entry per target");
    for (const char* key : {"train_jacobian", "val_jacobian"}) {
      const Json* v = io::find_member(c, key);
      if (v && v->is_number())
        (std::string(key) == "train_jacobian" ? model.transform_train_jacobian : model.transform_val_jacobian) =
            v->get<double>();
    }
    for (const Json& t : *found) {
      const Json* kind = t.is_object() ? io::find_member(t, "kind") : nullptr;
      const std::string name = kind && kind->is_string() ? kind->get<std::string>() : "";
      TargetTransform g;
      if (name == "log") g.kind = TargetTransformKind::Log;
      else if (name == "yeo-johnson") g.kind = TargetTransformKind::YeoJohnson;
      else if (name != "none") fail("mdn model file: target transform \"" + name + "\" is unknown (written by a newer mdn?)");
      if (g.kind == TargetTransformKind::YeoJohnson) {
        const Json* lambda = io::find_member(t, "lambda");
        if (!lambda || !lambda->is_number()) fail(what + ": a yeo-johnson entry needs a number \"lambda\"");
        g.lambda = lambda->get<double>();
        if (!(g.lambda >= kYeoJohnsonMinLambda && g.lambda <= kYeoJohnsonMaxLambda))
          fail(what + ": lambda " + std::to_string(g.lambda) + " is outside [0, 2]");
      }
      model.target_transforms.push_back(g);
    }
  }

  // Optional: models whose training or `mdn calibrate` had calibration rows.
  void read_conformal(Model& model) const {
    if (!meta(kConformalKey)) return;
    const Json c = parse_meta(kConformalKey);
    const char* what = "the conformal scores (metadata \"mdn.conformal\")";
    if (!c.is_object()) fail(std::string("corrupt mdn model file: ") + what + " is not a JSON object");
    const Json* lists = io::find_member(c, "scores");
    if (!lists || !lists->is_array() || int(lists->size()) != model.spec.target_dim)
      fail(std::string("corrupt mdn model file: ") + what + " needs one list of scores per target");
    for (const Json& list : *lists) {
      if (!list.is_array()) fail(std::string("corrupt mdn model file: ") + what + " holds a list that is not an array");
      std::vector<double> s;
      for (const Json& v : list) {
        if (!v.is_number() || !(v.get<double>() >= 0.0 && v.get<double>() <= 0.5))
          fail(std::string("corrupt mdn model file: ") + what + " holds a score outside [0, 0.5]");
        s.push_back(v.get<double>());
      }
      if (s.empty() || !std::is_sorted(s.begin(), s.end()))
        fail(std::string("corrupt mdn model file: ") + what + " holds a list that is empty or not ascending");
      model.conformal.scores.push_back(std::move(s));
    }
    const Json* source = io::find_member(c, "source");
    if (source && source->is_string()) model.conformal.source = source->get<std::string>();
  }

  // Optional: files written before the ranges were kept have none.
  void read_ranges(Model& model) const {
    if (!meta(kRangesKey)) return;
    const Json r = parse_meta(kRangesKey);
    const char* what = "the feature ranges (metadata \"mdn.feature_ranges\")";
    if (!r.is_object()) fail(std::string("corrupt mdn model file: ") + what + " is not a JSON object");
    model.x_min = double_list(r, what, "min");
    model.x_max = double_list(r, what, "max");
    const std::size_t d = std::size_t(model.spec.input_dim);
    if (model.x_min.size() != d || model.x_max.size() != d)
      fail(std::string("corrupt mdn model file: ") + what + " needs a min and a max per feature");
    for (std::size_t i = 0; i < d; ++i)
      if (!(model.x_min[i] <= model.x_max[i]))
        fail(std::string("corrupt mdn model file: ") + what + " has a min above its max");
  }

  // ---- feature encoding (mdn/feature_encoding.hpp) ----
  // Optional: only models with categorical, date or imputed features; its
  // features must be the model's.
  void read_inputs(Model& model) const {
    const std::string* text = meta(kInputsKey);
    if (!text) return;
    FeatureEncoding encoding;
    try {
      encoding = encoding_from_json(*text);
    } catch (const Error& e) {
      fail(std::string("corrupt mdn model file: the feature encoding (metadata \"") + kInputsKey + "\"): " + e.what());
    }
    if (encoding.feature_names() != model.feature_names)
      fail(std::string("corrupt mdn model file: the feature encoding (metadata \"") + kInputsKey +
           "\") does not give the model's features");
    model.encoding = std::make_shared<const FeatureEncoding>(std::move(encoding));
  }

  int read_members() const {
    const std::string* text = meta(kMembersKey);
    if (!text) return 1;
    if (text->empty() || text->size() > 3 || text->find_first_not_of("0123456789") != std::string::npos)
      fail(std::string("corrupt mdn model file: metadata \"") + kMembersKey + "\" is not a member count");
    const int members = std::stoi(*text);
    if (members < 1 || members > kMaxMembers)
      fail(std::string("corrupt mdn model file: metadata \"") + kMembersKey + "\" says " + *text + " members (1 to " +
           std::to_string(kMaxMembers) + " allowed)");
    return members;
  }

  void check_tensors(const ModelSpec& spec) const {
    const std::vector<TensorSlot> slots = expected_shapes(spec, members_);
    for (const TensorSlot& slot : slots) {
      const io::TensorInfo* info = reader_.find(slot.name);
      if (!info) fail("corrupt mdn model file: tensor '" + slot.name + "' is missing (the spec needs it)");
      if (info->dtype != "F32")
        fail("corrupt mdn model file: tensor '" + slot.name + "' has dtype " + info->dtype + ", expected F32");
      if (info->shape != slot.shape())
        fail("corrupt mdn model file: tensor '" + slot.name + "' has shape " + shape_text(info->shape) +
             " but the spec needs " + shape_text(slot.shape()));
    }
    for (const io::TensorInfo& info : reader_.tensors()) {
      bool expected = false;
      for (const TensorSlot& slot : slots) expected = expected || slot.name == info.name;
      for (const std::string& name : extra_names_) expected = expected || name == info.name;
      for (const std::string& name : optional_names_) expected = expected || name == info.name;
      if (expected) continue;
      if (meta(kCheckpointKey))
        fail("this is a training checkpoint, not a model file (resume training from it to get a model)");
      fail("corrupt mdn model file: unexpected tensor '" + info.name + "' (not part of this spec)");
    }
    for (const std::string& name : extra_names_) {
      const io::TensorInfo* info = reader_.find(name);
      if (!info) fail("tensor '" + name + "' is missing (is this a training checkpoint?)");
      check_extra(name, *info);
    }
    for (const std::string& name : optional_names_)
      if (const io::TensorInfo* info = reader_.find(name)) check_extra(name, *info);
  }

  void check_extra(const std::string& name, const io::TensorInfo& info) const {
    if (info.dtype != "F32" || info.shape.size() != 1)
      fail("tensor '" + name + "' must be a 1-D F32 tensor, has dtype " + info.dtype + " and shape " +
           shape_text(info.shape));
  }

  void read_params(Model& model) {
    // The shapes matched and the reader checked that the tensors tile the
    // buffer, so ParameterLayout(spec).total * 4 == buffer length: no size
    // computed below can overflow or exceed what the file holds.
    const ParameterLayout layout(model.spec);
    const std::string buffer = reader_.read_buffer();
    for (const std::vector<std::string>* names : {&extra_names_, &optional_names_})
      for (const std::string& name : *names) {
        const io::TensorInfo* info = reader_.find(name);
        extra_values_.push_back(info ? io::f32_from_le_bytes(std::string_view(buffer).substr(
                                           std::size_t(info->begin), std::size_t(info->end - info->begin)))
                                     : std::vector<float>{});
      }
    model.params.assign(layout.total * std::size_t(model.members), 0.0f);
    for (const TensorSlot& slot : tensor_slots(model.spec, model.members)) {
      const io::TensorInfo& info = *reader_.find(slot.name);
      const std::vector<float> values = io::f32_from_le_bytes(
          std::string_view(buffer).substr(std::size_t(info.begin), std::size_t(info.end - info.begin)));
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (!std::isfinite(values[i]))
          fail("corrupt mdn model file: tensor '" + slot.name + "' holds a non-finite value (" +
               std::to_string(values[i]) + ") at element " + std::to_string(i));
        model.params[slot.offset + i] = values[i];
      }
    }
  }

  std::string path_;
  io::SafetensorsReader reader_;
  std::vector<std::string> extra_names_;
  std::vector<std::string> optional_names_;
  std::vector<std::vector<float>> extra_values_;
  int format_version_ = 0;  // the file's, after check_format()
  int members_ = 1;
};

}  // namespace

void io::save_model_file(const Model& model, const std::string& path, const std::vector<ExtraTensor>& extra_tensors,
                         const std::map<std::string, std::string>& extra_metadata) {
  validate_for_save(model, path);
  std::vector<std::string> storage;
  std::vector<io::TensorBytes> tensors;
  const std::vector<TensorSlot> slots = tensor_slots(model.spec, model.members);
  storage.reserve(slots.size() + extra_tensors.size());  // TensorBytes view into these: no reallocation
  for (const TensorSlot& slot : slots) {
    storage.push_back(io::f32_to_le_bytes(model.params.data() + slot.offset, std::size_t(slot.count())));
    tensors.push_back({slot.name, "F32", slot.shape(), storage.back()});
  }
  for (const ExtraTensor& extra : extra_tensors) {
    storage.push_back(io::f32_to_le_bytes(extra.values.data(), extra.values.size()));
    tensors.push_back({extra.name, "F32", {std::uint64_t(extra.values.size())}, storage.back()});
  }
  std::map<std::string, std::string> metadata;
  try {
    metadata = build_metadata(model);
    for (const auto& [key, value] : extra_metadata) metadata[key] = value;
  } catch (const Error& e) {
    throw Error(path + ": cannot save the model: " + e.what());
  }
  // Only now touch the file system: every check above leaves `path` as it was.
  AtomicFile file(path);
  try {
    io::write_safetensors(file.stream(), tensors, metadata);
  } catch (const Error& e) {
    throw Error(path + ": cannot save the model: " + e.what());  // ~AtomicFile removes the temporary
  }
  file.commit();
}

void save_model(const Model& model, const std::string& path) {
  io::save_model_file(model, path, {}, {});
}

Model load_model(const std::string& path) { return Loader(path).load(); }

Model io::load_model_file(const std::string& path, const std::vector<std::string>& extra_names,
                          std::vector<std::vector<float>>* extra_values, std::map<std::string, std::string>* metadata,
                          const std::vector<std::string>& optional_names) {
  Loader loader(path, extra_names, optional_names);
  Model model = loader.load();
  if (extra_values) *extra_values = loader.take_extra();
  if (metadata) *metadata = loader.metadata();
  return model;
}

}  // namespace mdn
