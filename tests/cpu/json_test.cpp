// The minimal JSON reader/writer behind the model file's safetensors header.
#include "io/json.hpp"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace mdn::io {
namespace {

std::uint32_t float_bits(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

std::uint64_t double_bits(double d) {
  std::uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

TEST(Json, ParsesEveryKindOfValue) {
  const Json v = Json::parse(R"( {"n": null, "t": true, "f": false, "i": -12, "x": 2.5e-3,
                                  "s": "hi", "a": [1, [], {}], "o": {"k": "v"}} )");
  ASSERT_TRUE(v.is_object());
  EXPECT_TRUE(v.find("n")->is_null());
  EXPECT_TRUE(v.find("t")->as_bool());
  EXPECT_FALSE(v.find("f")->as_bool());
  EXPECT_EQ(v.find("i")->as_number(), -12.0);
  EXPECT_EQ(v.find("x")->as_number(), 2.5e-3);
  EXPECT_EQ(v.find("s")->as_string(), "hi");
  ASSERT_EQ(v.find("a")->as_array().size(), 3u);
  EXPECT_TRUE(v.find("a")->as_array()[1].as_array().empty());
  EXPECT_TRUE(v.find("a")->as_array()[2].as_object().empty());
  EXPECT_EQ(v.find("o")->find("k")->as_string(), "v");
  EXPECT_EQ(v.find("missing"), nullptr);
}

TEST(Json, SerialisesCompactlyAndKeepsKeyOrder) {
  Json o = Json::object();
  o.set("zeta", Json(1));
  o.set("alpha", Json(Json::Array{Json(true), Json(), Json("x")}));
  o.set("mid", Json::object());
  EXPECT_EQ(o.dump(), R"({"zeta":1,"alpha":[true,null,"x"],"mid":{}})");
  o.set("zeta", Json(2));  // replaces in place, keeps position
  EXPECT_EQ(o.dump(), R"({"zeta":2,"alpha":[true,null,"x"],"mid":{}})");
}

TEST(Json, RoundTripsThroughText) {
  const std::string text =
      R"({"a":[1,-2,3.25,-0,1e+300,"s\"q\\\n"],"b":{"c":{"d":[[],[{}]]}},"e":"\u00e9\u20ac\ud83d\ude00","f":null})";
  const Json first = Json::parse(text);
  const Json second = Json::parse(first.dump());
  EXPECT_EQ(first, second);
  EXPECT_EQ(first.dump(), second.dump());
}

TEST(Json, DecodesEscapes) {
  const Json v = Json::parse(R"("q\" b\\ s\/ \b\f\n\r\t end")");
  EXPECT_EQ(v.as_string(), "q\" b\\ s/ \b\f\n\r\t end");
}

TEST(Json, EscapesOnOutput) {
  const std::string s = std::string("q\" b\\ \b\f\n\r\t ") + '\x01' + '\x1f' + " / \x7f";
  EXPECT_EQ(Json(s).dump(), "\"q\\\" b\\\\ \\b\\f\\n\\r\\t \\u0001\\u001F / \x7f\"");
  EXPECT_EQ(Json::parse(Json(s).dump()).as_string(), s);
}

TEST(Json, DecodesUnicodeEscapesToUtf8) {
  EXPECT_EQ(Json::parse(R"("\u0041")").as_string(), "A");
  EXPECT_EQ(Json::parse(R"("\u00e9")").as_string(), "\xC3\xA9");
  EXPECT_EQ(Json::parse(R"("\u20AC")").as_string(), "\xE2\x82\xAC");
  EXPECT_EQ(Json::parse(R"("\uD83D\uDE00")").as_string(), "\xF0\x9F\x98\x80");  // surrogate pair
  EXPECT_EQ(Json::parse(R"("\u0000")").as_string(), std::string(1, '\0'));
  // Raw UTF-8 passes through both ways unescaped.
  EXPECT_EQ(Json::parse("\"temp\xC3\xA9rature \xF0\x9F\x98\x80\"").as_string(), "temp\xC3\xA9rature \xF0\x9F\x98\x80");
  EXPECT_EQ(Json("\xC3\xA9").dump(), "\"\xC3\xA9\"");
  EXPECT_EQ(Json(std::string(1, '\0')).dump(), "\"\\u0000\"");
}

TEST(Json, ParsesNumbers) {
  EXPECT_EQ(Json::parse("0").as_number(), 0.0);
  EXPECT_EQ(Json::parse("-7").as_number(), -7.0);
  EXPECT_EQ(Json::parse("123456789012").as_number(), 123456789012.0);
  EXPECT_EQ(Json::parse("0.5").as_number(), 0.5);
  EXPECT_EQ(Json::parse("-1.25E2").as_number(), -125.0);
  EXPECT_EQ(Json::parse("1e-2").as_number(), 0.01);
  EXPECT_EQ(Json::parse("1E+2").as_number(), 100.0);
  EXPECT_TRUE(std::signbit(Json::parse("-0").as_number()));
  EXPECT_EQ(Json::parse("1.7976931348623157e308").as_number(), DBL_MAX);
}

TEST(Json, WritesIntegersWithoutExponent) {
  EXPECT_EQ(Json(0).dump(), "0");
  EXPECT_EQ(Json(-42).dump(), "-42");
  EXPECT_EQ(Json(std::uint64_t(4294967296ull)).dump(), "4294967296");
  EXPECT_EQ(Json(std::uint64_t(9007199254740991ull)).dump(), "9007199254740991");
  EXPECT_EQ(Json(-0.0).dump(), "-0");
  EXPECT_EQ(Json(0.5).dump(), "0.5");
  EXPECT_EQ(Json(1e15).dump(), "1000000000000000");
}

TEST(Json, FloatsRoundTripBitwise) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::uint32_t> bits;
  std::vector<float> values = {0.1f, -0.0f, 1.0f / 3.0f, FLT_MAX, -FLT_MAX, FLT_MIN, FLT_TRUE_MIN, 16777217.0f,
                               1e20f, -6.907755f, 3.0f};
  for (int i = 0; i < 20000; ++i) {
    const std::uint32_t b = bits(rng);
    float f;
    std::memcpy(&f, &b, 4);
    if (std::isfinite(f)) values.push_back(f);
  }
  for (const float f : values) {
    const std::string text = Json::from_float(f).dump();
    ASSERT_LE(text.size(), 16u) << text;  // shortest form: at most 9 significant digits
    const float back = static_cast<float>(Json::parse(text).as_number());
    ASSERT_EQ(float_bits(back), float_bits(f)) << text;
  }
  EXPECT_EQ(Json::from_float(0.1f).dump(), "0.1");
  EXPECT_EQ(Json::from_float(3.0f).dump(), "3");
}

TEST(Json, DoublesRoundTripBitwise) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t b = rng();
    double d;
    std::memcpy(&d, &b, 8);
    if (!std::isfinite(d)) continue;
    const double back = Json::parse(Json(d).dump()).as_number();
    ASSERT_EQ(double_bits(back), double_bits(d)) << Json(d).dump();
  }
}

TEST(Json, RefusesToWriteNonFiniteNumbers) {
  EXPECT_THROW(Json(std::numeric_limits<double>::quiet_NaN()).dump(), JsonError);
  EXPECT_THROW(Json(std::numeric_limits<double>::infinity()).dump(), JsonError);
  EXPECT_THROW(Json::from_float(-std::numeric_limits<float>::infinity()).dump(), JsonError);
}

TEST(Json, RefusesToWriteInvalidUtf8) {
  EXPECT_THROW(Json(std::string("caf\xE9")).dump(), JsonError);  // Latin-1 byte
  Json o = Json::object();
  o.set(std::string("\xFF"), Json(1));
  EXPECT_THROW(o.dump(), JsonError);
}

TEST(Json, ValidatesUtf8) {
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

TEST(Json, IntegerAccessorsCheckRangeAndIntegrality) {
  std::uint64_t u = 0;
  EXPECT_TRUE(Json::parse("9007199254740992").get_uint64(u));
  EXPECT_EQ(u, 9007199254740992ull);
  EXPECT_FALSE(Json::parse("9007199254740994").get_uint64(u));  // past 2^53: not exact in a double
  EXPECT_FALSE(Json::parse("-1").get_uint64(u));
  EXPECT_FALSE(Json::parse("1.5").get_uint64(u));
  EXPECT_FALSE(Json::parse("\"3\"").get_uint64(u));
  int i = 0;
  EXPECT_TRUE(Json::parse("-2147483648").get_int(i));
  EXPECT_EQ(i, -2147483647 - 1);
  EXPECT_FALSE(Json::parse("2147483648").get_int(i));
  EXPECT_FALSE(Json::parse("2.5").get_int(i));
}

TEST(Json, TypedAccessThrowsOnWrongType) {
  EXPECT_THROW(Json(1).as_string(), JsonError);
  EXPECT_THROW(Json("x").as_number(), JsonError);
  EXPECT_THROW(Json().as_object(), JsonError);
  EXPECT_THROW(Json::object().as_array(), JsonError);
  EXPECT_THROW(Json(true).set("k", Json(1)), JsonError);
}

struct BadJson {
  std::string text;
  std::size_t position;
  std::string says;
};

TEST(Json, RejectsMalformedInputWithPosition) {
  const std::vector<BadJson> cases = {
      {"", 0, "end of input"},
      {"   ", 3, "end of input"},
      {"{", 1, "end of input"},
      {"[1,]", 3, "expected a value"},
      {"[1 2]", 3, "expected ',' or ']'"},
      {"{\"a\":1,}", 7, "expected a string key"},
      {"{\"a\" 1}", 5, "expected ':'"},
      {"{a:1}", 1, "expected a string key"},
      {"{\"a\":1,\"a\":2}", 7, "duplicate key"},
      {"[1] x", 4, "after the end"},
      {"{} {}", 3, "after the end"},
      {"01", 0, "leading zero"},
      {"-", 1, "expected a digit"},
      {"1.", 2, "after '.'"},
      {".5", 0, "unexpected '.'"},
      {"1e", 2, "exponent"},
      {"+1", 0, "unexpected '+'"},
      {"1e400", 0, "out of range"},
      {"tru", 0, "literal"},
      {"nul", 0, "literal"},
      {"NaN", 0, "unexpected 'N'"},
      {"Infinity", 0, "unexpected 'I'"},
      {"'a'", 0, "unexpected '''"},
      {"\"abc", 0, "unterminated string"},
      {"[\"a\x01\"]", 3, "control character"},
      {"\"a\nb\"", 2, "control character"},
      {"\"\\x\"", 1, "invalid escape"},
      {"\"\\u12G4\"", 5, "hex digit"},
      {"\"\\u12", 3, "\\u escape"},
      {"\"\\uDC00\"", 1, "lone low surrogate"},
      {"\"\\uD800\"", 1, "high surrogate"},
      {"\"\\uD800\\u0041\"", 1, "high surrogate"},
      {"\"\xC3\"", 1, "invalid UTF-8"},
      {"\"ok\xFF\"", 3, "invalid UTF-8"},
      {"\"\xED\xA0\x80\"", 1, "invalid UTF-8"},
      {"[1,\f2]", 3, "unexpected byte 0x0C"},  // form feed is not JSON whitespace
      {"/* c */ 1", 0, "unexpected '/'"},
  };
  for (const BadJson& c : cases) {
    try {
      Json::parse(c.text);
      ADD_FAILURE() << "accepted: " << c.text;
    } catch (const JsonError& e) {
      EXPECT_EQ(e.position(), c.position) << c.text << " -> " << e.what();
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << c.text << " -> " << e.what();
      EXPECT_NE(std::string(e.what()).find("at byte " + std::to_string(c.position)), std::string::npos)
          << e.what();
    }
  }
}

TEST(Json, AcceptsAllFourWhitespaceCharacters) {
  EXPECT_EQ(Json::parse(" \t\r\n[ \t\r\n1 \t\r\n] \t\r\n").as_array().size(), 1u);
}

TEST(Json, LimitsNestingDepth) {
  const int ok = Json::kMaxDepth;
  EXPECT_NO_THROW(Json::parse(std::string(ok, '[') + std::string(ok, ']')));
  const int bad = 100000;  // would overflow the stack without the limit
  EXPECT_THROW(Json::parse(std::string(bad, '[') + std::string(bad, ']')), JsonError);
  EXPECT_THROW(Json::parse(std::string(ok + 1, '[') + std::string(ok + 1, ']')), JsonError);
}

}  // namespace
}  // namespace mdn::io
