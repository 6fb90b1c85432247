// A minimal JSON value: strict RFC 8259 parsing and compact serialisation.
// Enough for the safetensors header and the model file's metadata; not a
// general-purpose library (no streaming, no comments, no NaN/Infinity).
//
// Choices that matter to callers:
// - Objects keep insertion order (a vector of pairs) so that what we write is
//   stable and readable; lookups are linear, which is fine for headers of a few
//   dozen keys. Duplicate keys are a parse error (the safetensors spec does not
//   say which duplicate wins, so we refuse to guess).
// - Numbers are doubles. A value made with Json::from_float() is printed as the
//   shortest decimal that reads back to the same float, so float statistics
//   round-trip bitwise. Other integral values below 2^53 print as plain digits
//   (never "1e+15"), as integer readers of safetensors shapes require.
// - Strings must be valid UTF-8 both ways: the parser rejects invalid bytes and
//   lone surrogates, and dump() refuses a string that is not UTF-8.
// - Errors are JsonError (an mdn::Error) carrying the byte offset of the
//   problem in the input.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mdn/error.hpp"

namespace mdn::io {

class JsonError : public Error {
 public:
  // `position` is a byte offset into the parsed text (npos for errors that do
  // not come from parsing, e.g. a wrong-type access or a non-finite number).
  JsonError(const std::string& message, std::size_t position = std::string::npos)
      : Error(message), position_(position) {}
  std::size_t position() const { return position_; }

 private:
  std::size_t position_;
};

class Json {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  // Deeper nesting than this is refused (the parser recurses; a hostile
  // "[[[[..." must not overflow the stack).
  static constexpr int kMaxDepth = 256;

  Json() = default;  // null
  Json(std::nullptr_t) {}
  Json(bool b) : type_(Type::Bool), bool_(b) {}
  Json(int v) : type_(Type::Number), number_(v) {}
  Json(std::int64_t v) : type_(Type::Number), number_(double(v)) {}
  Json(std::uint64_t v) : type_(Type::Number), number_(double(v)) {}
  Json(double v) : type_(Type::Number), number_(v) {}
  Json(const char* s) : type_(Type::String), string_(s) {}
  Json(std::string s) : type_(Type::String), string_(std::move(s)) {}
  Json(std::string_view s) : type_(Type::String), string_(s) {}
  Json(Array a) : type_(Type::Array), array_(std::move(a)) {}
  Json(Object o) : type_(Type::Object), object_(std::move(o)) {}

  // A float printed with just enough digits to read back as the same float.
  static Json from_float(float v);
  static Json array() { return Json(Array{}); }
  static Json object() { return Json(Object{}); }

  // Parses exactly one value; only whitespace may follow it. Throws JsonError
  // with the byte offset of the first problem.
  static Json parse(std::string_view text);
  // Compact form (no spaces). Throws JsonError for a non-finite number or a
  // string that is not valid UTF-8.
  std::string dump() const;

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  // Typed access; each throws JsonError when the value has another type.
  bool as_bool() const;
  double as_number() const;
  const std::string& as_string() const;
  const Array& as_array() const;
  Array& as_array();
  const Object& as_object() const;
  Object& as_object();

  // Object access: nullptr when the key is absent (or this is not an object).
  const Json* find(std::string_view key) const;
  // Object: replaces the value of an existing key or appends a new one.
  Json& set(std::string key, Json value);
  // Array: appends.
  void push_back(Json value);

  // True when this is a number that is an integer in [0, 2^53], the range in
  // which a double holds every integer exactly; stores it in `out`.
  bool get_uint64(std::uint64_t& out) const;
  // True when this is an integral number within int's range.
  bool get_int(int& out) const;

  // Structural equality (numbers compare as doubles; object key order matters).
  friend bool operator==(const Json& a, const Json& b);
  friend bool operator!=(const Json& a, const Json& b) { return !(a == b); }

 private:
  void dump_to(std::string& out) const;

  Type type_ = Type::Null;
  bool bool_ = false;
  bool single_precision_ = false;  // print as float (from_float)
  double number_ = 0.0;
  std::string string_;
  Array array_;
  Object object_;
};

// Name of a JSON type for error messages ("a string", "an object", ...).
const char* json_type_name(Json::Type type);

// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates, no code
// point above U+10FFFF). Also used to vet names before they go into a file.
bool is_valid_utf8(std::string_view s);

}  // namespace mdn::io
