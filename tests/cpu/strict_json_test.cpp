// What is ours in the model file's JSON (src/io/strict_json.hpp): the checks
// on top of nlohmann-json's parser, its errors as one-line mdn::Errors, and
// the number conventions. nlohmann's own RFC 8259 parsing is its tests' job;
// the cases here that it alone refuses pin that we did not relax it.
#include "io/strict_json.hpp"

#include <gtest/gtest.h>

#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "mdn/error.hpp"

namespace mdn::io {
namespace {

std::uint32_t float_bits(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// parse_json's error message for `text`; a failure when it parses.
std::string refusal(const std::string& text) {
  try {
    parse_json(text);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << text;
  return "";
}

void expect_refused(const std::string& text, const std::string& says) {
  const std::string message = refusal(text);
  EXPECT_EQ(message.rfind("JSON: ", 0), 0u) << message;
  EXPECT_NE(message.find(says), std::string::npos) << text << " -> " << message;
}

// Digits of a number's text without sign, exponent, point and the zeros
// before the first and after the last significant digit.
std::size_t significant_digits(const std::string& number) {
  std::string digits;
  for (const char c : number.substr(0, number.find_first_of("eE")))
    if (c >= '0' && c <= '9') digits += c;
  const std::size_t first = digits.find_first_not_of('0');
  return first == std::string::npos ? 0 : digits.find_last_not_of('0') + 1 - first;
}

std::string nested_arrays(int depth) {
  return std::string(std::size_t(depth), '[') + std::string(std::size_t(depth), ']');
}

TEST(StrictJson, KeepsKeysInTheOrderWritten) {
  const std::string text = R"({"zeta":1,"alpha":[true,null,"x"],"mid":{"b":2,"a":1}})";
  EXPECT_EQ(dump_json(parse_json(text)), text);
  Json built = Json::object();
  built["zeta"] = 1;
  built["alpha"] = 2;
  EXPECT_EQ(dump_json(built), R"({"zeta":1,"alpha":2})");
}

TEST(StrictJson, RefusesDuplicateKeysAtEveryDepth) {
  expect_refused(R"({"a":1,"a":2})", "duplicate key \"a\"");
  expect_refused(R"({"o":{"k":1,"k":1}})", "duplicate key \"k\"");
  expect_refused(R"([1,{"k":1,"j":2,"k":3}])", "duplicate key \"k\"");
  expect_refused(R"({"a":[{"b":[{"c":0,"c":0}]}]})", "duplicate key \"c\"");
  // After a nested object closes, its parent still remembers its own keys.
  expect_refused(R"({"a":{"b":1},"a":2})", "duplicate key \"a\"");
  // Equal after unescaping is equal.
  expect_refused(R"({"a":1,"\u0061":2})", "duplicate key \"a\"");
}

TEST(StrictJson, AcceptsTheSameKeyInDifferentObjects) {
  const Json v = parse_json(R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}],"c":{"b":1}})");
  EXPECT_EQ(v.at("a").at("a").at("a"), 1);
  EXPECT_EQ(v.at("b").at(1).at("a"), 2);
  EXPECT_EQ(v.at("c").at("b"), 1);
}

TEST(StrictJson, RefusesAnythingAfterTheValue) {
  expect_refused("[1] x", "parse error");
  expect_refused("{} {}", "expected end of input");
  expect_refused("1 2", "expected end of input");
  expect_refused("{}}", "expected end of input");
  expect_refused(std::string("{}\0", 3), "a NUL byte at byte 2");
  expect_refused(std::string("{}\0junk", 7), "a NUL byte at byte 2");  // nlohmann alone stops at the NUL
  expect_refused(std::string("[\"a\0\"]", 6), "a NUL byte at byte 3");
  // Whitespace (the four RFC 8259 characters only) is fine around the value.
  EXPECT_EQ(parse_json(" \t\r\n[ \t\r\n1 \t\r\n] \t\r\n").size(), 1u);
  expect_refused("[1,\f2]", "parse error");  // form feed is not JSON whitespace
}

TEST(StrictJson, RefusesWhatRfc8259Refuses) {
  for (const char* text : {"", "{", "[1,]", "{\"a\":1,}", "{a:1}", "01", ".5", "+1", "1.", "NaN", "Infinity", "'a'",
                           "\"abc", "tru", "/* c */ 1", "\"\\x\""})
    expect_refused(text, "parse error");
  expect_refused("\"a\nb\"", "control character");
  expect_refused("1e400", "number too large for a double");
  expect_refused("\xEF\xBB\xBF{}", "byte-order mark");
}

TEST(StrictJson, RefusesInvalidUtf8AndLoneSurrogates) {
  for (const char* text : {"\"\xC3\"", "\"ok\xFF\"", "\"\xC0\x80\"", "\"\xE0\x80\xAF\"", "\"\xED\xA0\x80\"",
                           "\"\xF4\x90\x80\x80\"", "{\"k\xFE\":1}"})
    expect_refused(text, "ill-formed UTF-8");
  expect_refused(R"("\uDC00")", "surrogate");
  expect_refused(R"("\uD800")", "surrogate");
  expect_refused(R"("\uD800\u0041")", "surrogate");
  EXPECT_EQ(parse_json(R"("\uD83D\uDE00 caf\u00e9")"), "\xF0\x9F\x98\x80 caf\xC3\xA9");
}

TEST(StrictJson, LimitsNestingDepth) {
  EXPECT_NO_THROW(parse_json(nested_arrays(kMaxJsonDepth)));
  expect_refused(nested_arrays(kMaxJsonDepth + 1), "nesting deeper than 256 levels");
  expect_refused(nested_arrays(100000), "nesting deeper than 256 levels");
  // Objects count as levels too.
  std::string objects;
  for (int i = 0; i <= kMaxJsonDepth; ++i) objects += "{\"a\":";
  objects += "1" + std::string(std::size_t(kMaxJsonDepth) + 1, '}');
  expect_refused(objects, "nesting deeper than 256 levels");
}

// The message goes on one line of stderr after the file's path: nlohmann's
// tag and its echo of the input (which can be long and not UTF-8) are cut.
TEST(StrictJson, ErrorsAreShortOneLineMessages) {
  const std::string long_string = "[\"" + std::string(100000, 'x') + "\xFF\"]";
  for (const std::string& text : {long_string, std::string("{\"a\":\n\n tru}"), std::string("[1,\n2,,]")}) {
    const std::string message = refusal(text);
    EXPECT_LT(message.size(), 200u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(message.find("[json.exception"), std::string::npos) << message;
    EXPECT_EQ(message.find("last read"), std::string::npos) << message;
  }
  EXPECT_NE(refusal("{\"a\":\n\n tru}").find("line 3"), std::string::npos);
}

TEST(StrictJson, WritesUtf8AndRefusesBytesThatAreNot) {
  EXPECT_EQ(dump_json(Json("temp\xC3\xA9rature \xE2\x82\xAC")), "\"temp\xC3\xA9rature \xE2\x82\xAC\"");
  EXPECT_EQ(dump_json(Json("q\" \\ \n\x01")), R"("q\" \\ \n\u0001")");
  try {
    dump_json(Json::array({"ok", "caf\xE9"}));  // Latin-1
    ADD_FAILURE() << "wrote a string that is not UTF-8";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("JSON: cannot write"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("UTF-8"), std::string::npos) << e.what();
  }
}

TEST(StrictJson, ValidatesUtf8) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF"));
  EXPECT_FALSE(is_valid_utf8("\x80"));              // lone continuation byte
  EXPECT_FALSE(is_valid_utf8("\xC3"));              // truncated sequence
  EXPECT_FALSE(is_valid_utf8("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // encoded surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xFF"));
}

TEST(StrictJson, FloatsRoundTripBitwiseInTheirShortestForm) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::uint32_t> bits;
  std::vector<float> values = {0.1f,         -0.0f,       1.0f / 3.0f, FLT_MAX,    -FLT_MAX, FLT_MIN,
                               FLT_TRUE_MIN, 16777217.0f, 1e20f,       -6.907755f, 3.0f};
  for (int i = 0; i < 20000; ++i) {
    const std::uint32_t b = bits(rng);
    float f;
    std::memcpy(&f, &b, 4);
    if (std::isfinite(f)) values.push_back(f);
  }
  std::size_t longer = 0;
  for (const float f : values) {
    const std::string text = dump_json(json_float(f));
    const float back = parse_json(text).get<float>();
    ASSERT_EQ(float_bits(back), float_bits(f)) << text;
    // As few digits as std::to_chars gives the float (what the previous
    // writer wrote), not a double's 17; nlohmann's Grisu2 misses the shortest
    // form of a double now and then, so a few may be longer.
    char shortest[32];
    const char* end = std::to_chars(shortest, shortest + sizeof shortest, f).ptr;
    if (significant_digits(text) > significant_digits(std::string(static_cast<const char*>(shortest), end))) ++longer;
  }
  EXPECT_LT(longer, values.size() / 100);
  EXPECT_EQ(dump_json(json_float(0.1f)), "0.1");
  EXPECT_EQ(dump_json(json_float(-6.907755f)), "-6.907755");
  EXPECT_EQ(dump_json(json_float(-0.0f)), "-0.0");
}

TEST(StrictJson, RefusesToWriteNonFiniteFloats) {
  EXPECT_THROW(json_float(std::numeric_limits<float>::quiet_NaN()), Error);
  EXPECT_THROW(json_float(std::numeric_limits<float>::infinity()), Error);
  EXPECT_THROW(json_float(-std::numeric_limits<float>::infinity()), Error);
}

TEST(StrictJson, IntegerAccessorsCheckRangeAndIntegrality) {
  std::uint64_t u = 0;
  EXPECT_TRUE(get_uint64(parse_json("18446744073709551615"), u));  // an integer is exact at any size
  EXPECT_EQ(u, 18446744073709551615ull);
  EXPECT_TRUE(get_uint64(parse_json("4.0"), u));  // integral floats, as the previous reader took them
  EXPECT_EQ(u, 4u);
  EXPECT_TRUE(get_uint64(parse_json("-0"), u));
  EXPECT_EQ(u, 0u);
  EXPECT_FALSE(get_uint64(parse_json("9007199254740994.0"), u));  // a float past 2^53 may not be that integer
  EXPECT_FALSE(get_uint64(parse_json("-1"), u));
  EXPECT_FALSE(get_uint64(parse_json("1.5"), u));
  EXPECT_FALSE(get_uint64(parse_json("\"3\""), u));
  EXPECT_FALSE(get_uint64(parse_json("null"), u));
  int i = 0;
  EXPECT_TRUE(get_int(parse_json("-2147483648"), i));
  EXPECT_EQ(i, -2147483647 - 1);
  EXPECT_TRUE(get_int(parse_json("2147483647"), i));
  EXPECT_EQ(i, 2147483647);
  EXPECT_TRUE(get_int(parse_json("7e0"), i));
  EXPECT_EQ(i, 7);
  EXPECT_FALSE(get_int(parse_json("2147483648"), i));
  EXPECT_FALSE(get_int(parse_json("-2147483649"), i));
  EXPECT_FALSE(get_int(parse_json("18446744073709551615"), i));
  EXPECT_FALSE(get_int(parse_json("2.5"), i));
  EXPECT_FALSE(get_int(parse_json("true"), i));
}

TEST(StrictJson, NamesTypesAndFindsMembers) {
  const Json v = parse_json(R"({"n":null,"b":true,"i":1,"x":1.5,"s":"","a":[],"o":{}})");
  const std::vector<std::pair<std::string, std::string>> names = {
      {"n", "null"},     {"b", "a boolean"}, {"i", "a number"}, {"x", "a number"},
      {"s", "a string"}, {"a", "an array"},  {"o", "an object"}};
  for (const auto& [key, name] : names) {
    const Json* member = find_member(v, key);
    ASSERT_NE(member, nullptr) << key;
    EXPECT_EQ(json_type_name(*member), name) << key;
  }
  EXPECT_EQ(find_member(v, "missing"), nullptr);
  EXPECT_EQ(find_member(v.at("a"), "n"), nullptr);  // not an object
}

}  // namespace
}  // namespace mdn::io
