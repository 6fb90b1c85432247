// The feature encoding in the model file (mdn/feature_encoding.hpp): its
// JSON (written, read back with every field checked) and its description.
#include <algorithm>
#include <cmath>

#include "io/feature_encoding_parts.hpp"
#include "io/strict_json.hpp"
#include "mdn/error.hpp"
#include "mdn/feature_encoding.hpp"

namespace mdn {

using io::Json;

std::string encoding_to_json(const FeatureEncoding& encoding) {
  Json cols = Json::array();
  for (const InputColumn& in : encoding.inputs) {
    Json c = Json::object();
    c["name"] = in.name;
    c["type"] = input_kind_name(in.kind);
    if (in.kind == InputKind::Category) c["categories"] = Json(in.categories);
    if (in.kind == InputKind::Date) c["parts"] = Json(in.date_parts);
    c["had_missing"] = in.had_missing;
    if (!in.fill.empty()) c["fill"] = Json(in.fill);
    cols.push_back(c);
  }
  Json j = Json::object();
  j["version"] = kFeatureEncodingVersion;
  j["columns"] = cols;
  return io::dump_json(j);
}

namespace {

std::vector<std::string> strings_of(const Json& c, const char* key) {
  const Json* v = io::find_member(c, key);
  if (!v || !v->is_array()) throw Error(std::string("a column has no \"") + key + "\" list");
  std::vector<std::string> out;
  for (const Json& s : *v) {
    if (!s.is_string()) throw Error(std::string("\"") + key + "\" holds a non-string");
    out.push_back(s.get<std::string>());
  }
  return out;
}

InputColumn input_from_json(const Json& c) {
  if (!c.is_object()) throw Error("a column is not a JSON object");
  InputColumn in;
  const Json* name = io::find_member(c, "name");
  const Json* type = io::find_member(c, "type");
  if (!name || !name->is_string() || !type || !type->is_string()) throw Error("a column has no name or type");
  in.name = name->get<std::string>();
  const std::string t = type->get<std::string>();
  if (t == "category") {
    in.kind = InputKind::Category;
    in.categories = strings_of(c, "categories");
    if (!std::is_sorted(in.categories.begin(), in.categories.end()) ||
        std::adjacent_find(in.categories.begin(), in.categories.end()) != in.categories.end())
      throw Error("the categories of '" + in.name + "' are not sorted and distinct");
  } else if (t == "date") {
    in.kind = InputKind::Date;
    in.date_parts = strings_of(c, "parts");
    for (const std::string& p : in.date_parts)
      if (detail::date_part_index(p) >= 5) throw Error("unknown date part '" + p + "'");
  } else if (t != "number") {
    throw Error("unknown column type '" + t + "' (written by a newer mdn?)");
  }
  const Json* had = io::find_member(c, "had_missing");
  in.had_missing = had && had->is_boolean() && had->get<bool>();
  if (const Json* fill = io::find_member(c, "fill")) {
    if (!fill->is_array()) throw Error("\"fill\" is not an array");
    for (const Json& v : *fill) {
      if (!v.is_number() || !std::isfinite(v.get<double>())) throw Error("\"fill\" holds a non-number");
      in.fill.push_back(v.get<double>());
    }
  }
  const bool needs_fill = in.indicator();
  if (needs_fill ? in.fill.size() != in.values() : !in.fill.empty())
    throw Error("the fill values of '" + in.name + "' do not match its features");
  return in;
}

}  // namespace

FeatureEncoding encoding_from_json(const std::string& text) {
  const Json j = io::parse_json(text);
  if (!j.is_object()) throw Error("not a JSON object");
  const Json* version = io::find_member(j, "version");
  int v = 0;
  if (!version || !io::get_int(*version, v)) throw Error("no version");
  if (v > kFeatureEncodingVersion)
    throw Error("version " + std::to_string(v) + ", written by a newer mdn (this build reads up to " +
                std::to_string(kFeatureEncodingVersion) + ")");
  const Json* cols = io::find_member(j, "columns");
  if (!cols || !cols->is_array() || cols->empty()) throw Error("no \"columns\" list");
  FeatureEncoding enc;
  for (const Json& c : *cols) enc.inputs.push_back(input_from_json(c));
  return enc;
}

std::string describe_input(const InputColumn& in) {
  std::string s = in.name + ": " + input_kind_name(in.kind);
  if (in.kind == InputKind::Category)
    s += " (" + std::to_string(in.categories.size()) + ": " + detail::distinct_list(in.categories, 20) + ")";
  if (in.kind == InputKind::Date) s += " (" + detail::distinct_list(in.date_parts, 5) + ")";
  if (in.had_missing)
    s += in.kind == InputKind::Category ? "; missing: all-zero code" : "; missing: training mean + '" + in.name +
                                                                          ":missing'";
  return s;
}

std::string inputs_json(const FeatureEncoding& encoding) {
  return io::parse_json(encoding_to_json(encoding))["columns"].dump(2);
}

}  // namespace mdn
