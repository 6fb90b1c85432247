// JSON for the model file's safetensors header and metadata: nlohmann-json,
// plus what an untrusted file needs on top of it and the number conventions
// our files use. Every nlohmann exception of parsing and writing is turned
// into mdn::Error here (parse_json, dump_json), so no caller sees one; the
// callers prefix the file's path, as every load error does.
//
// - parse_json is RFC 8259 strict (nlohmann's own rules: UTF-8, no comments,
//   nothing after the value) and refuses in addition a key repeated in one
//   object (the safetensors spec does not say which duplicate wins, so we
//   refuse to guess), nesting deeper than kMaxJsonDepth and a byte-order mark.
// - Json is ordered_json: objects keep insertion order, so what we write is
//   stable and readable.
// - Numbers: integers stay integers; json_float writes a float as the
//   shortest decimal that reads back to the same float, so statistics
//   round-trip bitwise. get_uint64 / get_int accept an integer written as an
//   integral float too ("4.0", up to 2^53), as files written through a
//   double may hold it.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mdn::io {

using Json = nlohmann::ordered_json;

// Deeper nesting is refused: no file of ours needs more, and a hostile
// "[[[[..." should cost nothing.
inline constexpr int kMaxJsonDepth = 256;

// Parses exactly one value (whitespace around it allowed). Throws mdn::Error
// "JSON: <problem>" (with nlohmann's line and column where it has them).
Json parse_json(std::string_view text);

// Compact text (no spaces). Throws mdn::Error for a string that is not valid
// UTF-8.
std::string dump_json(const Json& value);

// True when `s` can go into a JSON string as it is: well-formed UTF-8.
bool is_valid_utf8(const std::string& s);

// A float as the double nearest to its shortest decimal ("0.1", not
// "0.10000000149011612"), which reads back to the same float. Throws
// mdn::Error for NaN and infinities, which JSON cannot hold.
Json json_float(float v);

// Name of a value's type for error messages ("a string", "an object", ...).
const char* json_type_name(const Json& value);

// The member `key` of an object; nullptr when absent or `obj` is no object.
const Json* find_member(const Json& obj, const std::string& key);

// True when `value` is a non-negative integer: written as one, or as an
// integral float ("4.0") up to 2^53, where a double is exact. Stores it in `out`.
bool get_uint64(const Json& value, std::uint64_t& out);
// The same for an integer within int's range.
bool get_int(const Json& value, int& out);

}  // namespace mdn::io
