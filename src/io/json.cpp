#include "io/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace mdn::io {
namespace {

// 2^53: every integer of magnitude up to this is exact in a double.
constexpr double kExactIntegerLimit = 9007199254740992.0;

std::string describe_byte(unsigned char c) {
  if (c >= 0x20 && c < 0x7f) return std::string("'") + char(c) + "'";
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", unsigned(c));
  return std::string("byte ") + buf;
}

// Length of the UTF-8 sequence starting at s[i] when it is well formed, else 0.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // continuation byte, overlong lead (C0, C1) or F5..FF
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  return n;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Json parse_document() {
    Json value = parse_value(0);
    skip_whitespace();
    if (pos_ != text_.size()) fail("unexpected " + describe_byte(peek()) + " after the end of the JSON value");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { fail_at(what, pos_); }
  [[noreturn]] void fail_at(const std::string& what, std::size_t at) const {
    throw JsonError("JSON: " + what + " at byte " + std::to_string(at), at);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  unsigned char peek() const { return static_cast<unsigned char>(text_[pos_]); }

  void skip_whitespace() {
    while (!at_end()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  void expect_literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) fail("invalid literal (expected '" + std::string(word) + "')");
    pos_ += word.size();
  }

  Json parse_value(int depth) {
    skip_whitespace();
    if (at_end()) fail("unexpected end of input (expected a value)");
    const unsigned char c = peek();
    switch (c) {
      case '{':
        return parse_object(depth + 1);
      case '[':
        return parse_array(depth + 1);
      case '"':
        return Json(parse_string());
      case 't':
        expect_literal("true");
        return Json(true);
      case 'f':
        expect_literal("false");
        return Json(false);
      case 'n':
        expect_literal("null");
        return Json();
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
        fail("unexpected " + describe_byte(c) + " (expected a value)");
    }
  }

  void check_depth(int depth) const {
    if (depth > Json::kMaxDepth) fail("nesting deeper than " + std::to_string(Json::kMaxDepth) + " levels");
  }

  Json parse_object(int depth) {
    check_depth(depth);
    ++pos_;  // '{'
    Json::Object members;
    skip_whitespace();
    if (!at_end() && peek() == '}') {
      ++pos_;
      return Json(std::move(members));
    }
    for (;;) {
      skip_whitespace();
      if (at_end()) fail("unexpected end of input inside an object (expected a key)");
      if (peek() != '"') fail("unexpected " + describe_byte(peek()) + " (expected a string key)");
      const std::size_t key_at = pos_;
      std::string key = parse_string();
      for (const auto& member : members)
        if (member.first == key) fail_at("duplicate key \"" + key + "\"", key_at);
      skip_whitespace();
      if (at_end()) fail("unexpected end of input inside an object (expected ':')");
      if (peek() != ':') fail("unexpected " + describe_byte(peek()) + " (expected ':')");
      ++pos_;
      Json value = parse_value(depth);
      members.emplace_back(std::move(key), std::move(value));
      skip_whitespace();
      if (at_end()) fail("unexpected end of input inside an object (expected ',' or '}')");
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return Json(std::move(members));
      }
      fail("unexpected " + describe_byte(peek()) + " (expected ',' or '}')");
    }
  }

  Json parse_array(int depth) {
    check_depth(depth);
    ++pos_;  // '['
    Json::Array items;
    skip_whitespace();
    if (!at_end() && peek() == ']') {
      ++pos_;
      return Json(std::move(items));
    }
    for (;;) {
      items.push_back(parse_value(depth));
      skip_whitespace();
      if (at_end()) fail("unexpected end of input inside an array (expected ',' or ']')");
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return Json(std::move(items));
      }
      fail("unexpected " + describe_byte(peek()) + " (expected ',' or ']')");
    }
  }

  std::uint32_t parse_hex4() {
    if (pos_ + 4 > text_.size()) fail("unexpected end of input in a \\u escape");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= std::uint32_t(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= std::uint32_t(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= std::uint32_t(c - 'A' + 10);
      } else {
        fail("invalid hex digit " + describe_byte(static_cast<unsigned char>(c)) + " in a \\u escape");
      }
      ++pos_;
    }
    return v;
  }

  std::string parse_string() {
    const std::size_t start = pos_;
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      if (at_end()) fail_at("unterminated string", start);
      const unsigned char c = peek();
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("control character " + describe_byte(c) + " inside a string (it must be escaped)");
      if (c == '\\') {
        const std::size_t escape_at = pos_;
        ++pos_;
        if (at_end()) fail_at("unterminated string", start);
        const char e = text_[pos_++];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            std::uint32_t cp = parse_hex4();
            if (cp >= 0xDC00 && cp <= 0xDFFF) fail_at("lone low surrogate in a \\u escape", escape_at);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              // A high surrogate must be followed by an escaped low one.
              if (text_.substr(pos_, 2) != "\\u") fail_at("high surrogate not followed by a low surrogate", escape_at);
              pos_ += 2;
              const std::uint32_t low = parse_hex4();
              if (low < 0xDC00 || low > 0xDFFF) fail_at("high surrogate not followed by a low surrogate", escape_at);
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            append_utf8(out, cp);
            break;
          }
          default:
            fail_at("invalid escape '\\" + std::string(1, e) + "'", escape_at);
        }
        continue;
      }
      const std::size_t n = utf8_sequence_length(text_, pos_);
      if (n == 0) fail("invalid UTF-8 " + describe_byte(c) + " inside a string");
      out.append(text_.substr(pos_, n));
      pos_ += n;
    }
  }

  Json parse_number() {
    const std::size_t start = pos_;
    const auto digit = [&] { return !at_end() && peek() >= '0' && peek() <= '9'; };
    if (peek() == '-') ++pos_;
    if (!digit()) fail("invalid number (expected a digit)");
    if (peek() == '0') {
      ++pos_;
      if (digit()) fail_at("invalid number (leading zero)", start);
    } else {
      while (digit()) ++pos_;
    }
    if (!at_end() && peek() == '.') {
      ++pos_;
      if (!digit()) fail("invalid number (expected a digit after '.')");
      while (digit()) ++pos_;
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      ++pos_;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
      if (!digit()) fail("invalid number (expected a digit in the exponent)");
      while (digit()) ++pos_;
    }
    // from_chars is locale-independent (strtod would read "1.5" wrongly under
    // a locale with a decimal comma).
    double value = 0.0;
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    const auto result = std::from_chars(first, last, value);
    if (result.ec == std::errc::result_out_of_range) fail_at("number out of range for a double", start);
    if (result.ec != std::errc() || result.ptr != last) fail_at("invalid number", start);
    return Json(value);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

void dump_string(std::string& out, const std::string& s) {
  if (!is_valid_utf8(s)) throw JsonError("JSON: cannot write a string that is not valid UTF-8");
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", unsigned(c));
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void dump_number(std::string& out, double v, bool single_precision) {
  if (!std::isfinite(v)) throw JsonError("JSON: cannot write NaN or infinity (JSON has no such numbers)");
  char buf[64];
  std::to_chars_result r;
  if (v == 0.0) {
    out += std::signbit(v) ? "-0" : "0";  // keep the sign so -0.0 round-trips bitwise
    return;
  }
  if (single_precision) {
    // Shortest decimal that reads back to the same float (at most 9 digits).
    r = std::to_chars(buf, buf + sizeof buf, static_cast<float>(v));
  } else if (std::fabs(v) < kExactIntegerLimit && std::trunc(v) == v) {
    // Plain digits: readers that want an unsigned integer (safetensors
    // shapes and offsets) refuse "1e+15".
    r = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(v));
  } else {
    r = std::to_chars(buf, buf + sizeof buf, v);
  }
  out.append(buf, r.ptr);
}

}  // namespace

const char* json_type_name(Json::Type type) {
  switch (type) {
    case Json::Type::Null: return "null";
    case Json::Type::Bool: return "a boolean";
    case Json::Type::Number: return "a number";
    case Json::Type::String: return "a string";
    case Json::Type::Array: return "an array";
    case Json::Type::Object: return "an object";
  }
  return "?";
}

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

Json Json::from_float(float v) {
  Json j(static_cast<double>(v));
  j.single_precision_ = true;
  return j;
}

Json Json::parse(std::string_view text) { return Parser(text).parse_document(); }

std::string Json::dump() const {
  std::string out;
  dump_to(out);
  return out;
}

void Json::dump_to(std::string& out) const {
  switch (type_) {
    case Type::Null: out += "null"; break;
    case Type::Bool: out += bool_ ? "true" : "false"; break;
    case Type::Number: dump_number(out, number_, single_precision_); break;
    case Type::String: dump_string(out, string_); break;
    case Type::Array:
      out += '[';
      for (std::size_t i = 0; i < array_.size(); ++i) {
        if (i) out += ',';
        array_[i].dump_to(out);
      }
      out += ']';
      break;
    case Type::Object:
      out += '{';
      for (std::size_t i = 0; i < object_.size(); ++i) {
        if (i) out += ',';
        dump_string(out, object_[i].first);
        out += ':';
        object_[i].second.dump_to(out);
      }
      out += '}';
      break;
  }
}

namespace {
[[noreturn]] void wrong_type(Json::Type want, Json::Type have) {
  throw JsonError(std::string("JSON: expected ") + json_type_name(want) + ", found " + json_type_name(have));
}
}  // namespace

bool Json::as_bool() const {
  if (type_ != Type::Bool) wrong_type(Type::Bool, type_);
  return bool_;
}
double Json::as_number() const {
  if (type_ != Type::Number) wrong_type(Type::Number, type_);
  return number_;
}
const std::string& Json::as_string() const {
  if (type_ != Type::String) wrong_type(Type::String, type_);
  return string_;
}
const Json::Array& Json::as_array() const {
  if (type_ != Type::Array) wrong_type(Type::Array, type_);
  return array_;
}
Json::Array& Json::as_array() {
  if (type_ != Type::Array) wrong_type(Type::Array, type_);
  return array_;
}
const Json::Object& Json::as_object() const {
  if (type_ != Type::Object) wrong_type(Type::Object, type_);
  return object_;
}
Json::Object& Json::as_object() {
  if (type_ != Type::Object) wrong_type(Type::Object, type_);
  return object_;
}

const Json* Json::find(std::string_view key) const {
  if (type_ != Type::Object) return nullptr;
  for (const auto& member : object_)
    if (member.first == key) return &member.second;
  return nullptr;
}

Json& Json::set(std::string key, Json value) {
  if (type_ != Type::Object) wrong_type(Type::Object, type_);
  for (auto& member : object_)
    if (member.first == key) return member.second = std::move(value);
  object_.emplace_back(std::move(key), std::move(value));
  return object_.back().second;
}

void Json::push_back(Json value) {
  if (type_ != Type::Array) wrong_type(Type::Array, type_);
  array_.push_back(std::move(value));
}

bool Json::get_uint64(std::uint64_t& out) const {
  if (type_ != Type::Number) return false;
  if (!(number_ >= 0.0 && number_ <= kExactIntegerLimit) || std::trunc(number_) != number_) return false;
  out = static_cast<std::uint64_t>(number_);
  return true;
}

bool Json::get_int(int& out) const {
  if (type_ != Type::Number) return false;
  if (!(number_ >= double(std::numeric_limits<int>::min()) && number_ <= double(std::numeric_limits<int>::max())) ||
      std::trunc(number_) != number_)
    return false;
  out = static_cast<int>(number_);
  return true;
}

bool operator==(const Json& a, const Json& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case Json::Type::Null: return true;
    case Json::Type::Bool: return a.bool_ == b.bool_;
    case Json::Type::Number: return a.number_ == b.number_;
    case Json::Type::String: return a.string_ == b.string_;
    case Json::Type::Array: return a.array_ == b.array_;
    case Json::Type::Object: return a.object_ == b.object_;
  }
  return false;
}

}  // namespace mdn::io
