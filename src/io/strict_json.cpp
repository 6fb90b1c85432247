#include "io/strict_json.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include "mdn/error.hpp"

namespace mdn::io {
namespace {

// 2^53: every integer of magnitude up to this is exact in a double.
constexpr double kExactIntegerLimit = 9007199254740992.0;

// nlohmann's message without its "[json.exception.parse_error.101] " tag and
// without the "; last read: '...'" echo of the input, which can be as long as
// the input and hold bytes that are not UTF-8 (the message goes on one line of
// stderr).
std::string describe(const Json::exception& e) {
  if (e.id == 406) return "number too large for a double";  // out_of_range; its message echoes the number
  std::string message = e.what();
  const std::size_t tag_end = message.find("] ");
  if (message.rfind("[json.exception.", 0) == 0 && tag_end != std::string::npos) message.erase(0, tag_end + 2);
  const std::size_t echo = message.find("; last read: ");
  if (echo != std::string::npos) message.resize(echo);
  return message;
}

// What nlohmann's parser lets through but parse_json refuses: a key twice in
// one object and deep nesting. It sees the parser's events in order and keeps
// the keys seen so far in each open object (an array's entry stays empty).
class StrictnessCheck {
 public:
  void operator()(Json::parse_event_t event, const Json& parsed) {
    using Event = Json::parse_event_t;
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        if (open_keys_.size() == std::size_t(kMaxJsonDepth))
          throw Error("JSON: nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels");
        open_keys_.emplace_back();
        break;
      case Event::object_end:
      case Event::array_end:
        open_keys_.pop_back();
        break;
      case Event::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        if (!open_keys_.back().insert(key).second) throw Error("JSON: duplicate key \"" + key + "\" in an object");
        break;
      }
      case Event::value:
        break;
    }
  }

 private:
  std::vector<std::set<std::string>> open_keys_;
};

}  // namespace

Json parse_json(std::string_view text) {
  // nlohmann skips a UTF-8 byte-order mark; RFC 8259 forbids writing one and
  // the reference safetensors reader refuses it.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") throw Error("JSON: a byte-order mark before the value");
  // nlohmann reads a NUL byte as the end of the input, so "{}\0junk" would
  // pass; JSON text never holds one (in a string it must be escaped).
  const std::size_t nul = text.find('\0');
  if (nul != std::string_view::npos) throw Error("JSON: a NUL byte at byte " + std::to_string(nul));
  StrictnessCheck check;
  const auto callback = [&check](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    check(event, parsed);
    return true;  // keep every value
  };
  try {
    return Json::parse(text.data(), text.data() + text.size(), callback, /*allow_exceptions=*/true);
  } catch (const Json::exception& e) {
    throw Error("JSON: " + describe(e));
  }
}

std::string dump_json(const Json& value) {
  try {
    return value.dump();
  } catch (const Json::exception& e) {  // type_error 316: a string that is not UTF-8
    throw Error("JSON: cannot write " + describe(e));
  }
}

bool is_valid_utf8(const std::string& s) {
  try {
    Json(s).dump();  // nlohmann's writer checks UTF-8 (no overlong forms, surrogates, > U+10FFFF)
    return true;
  } catch (const Json::type_error&) {
    return false;
  }
}

Json json_float(float v) {
  if (!std::isfinite(v)) throw Error("JSON: cannot write NaN or infinity (JSON has no such numbers)");
  // Shortest decimal for the float (at most 9 digits), read as a double:
  // nlohmann writes that double with the same few digits, and reading them
  // back as a double and rounding to float gives `v` again.
  char text[32];
  const char* end = std::to_chars(text, text + sizeof text, v).ptr;
  double nearest = 0.0;
  std::from_chars(text, end, nearest);
  return nearest;
}

const char* json_type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "a number";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    default:
      return "binary data";  // never parsed from text
  }
}

const Json* find_member(const Json& obj, const std::string& key) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

bool get_uint64(const Json& value, std::uint64_t& out) {
  if (value.is_number_unsigned()) {
    out = value.get<std::uint64_t>();
    return true;
  }
  if (value.is_number_integer()) {  // signed: negative, or "-0"
    const auto v = value.get<std::int64_t>();
    if (v < 0) return false;
    out = std::uint64_t(v);
    return true;
  }
  if (!value.is_number_float()) return false;
  const double d = value.get<double>();
  if (!(d >= 0.0 && d <= kExactIntegerLimit) || std::trunc(d) != d) return false;
  out = std::uint64_t(d);
  return true;
}

bool get_int(const Json& value, int& out) {
  constexpr auto kMin = std::numeric_limits<int>::min();
  constexpr auto kMax = std::numeric_limits<int>::max();
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (v > std::uint64_t(kMax)) return false;
    out = int(v);
    return true;
  }
  if (value.is_number_integer()) {
    const auto v = value.get<std::int64_t>();
    if (v < kMin || v > kMax) return false;
    out = int(v);
    return true;
  }
  if (!value.is_number_float()) return false;
  const double d = value.get<double>();
  if (!(d >= double(kMin) && d <= double(kMax)) || std::trunc(d) != d) return false;
  out = int(d);
  return true;
}

}  // namespace mdn::io
