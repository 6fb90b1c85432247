// "Did you mean": an unknown option, command or column name gets the nearest
// known one (edit distance), or none when nothing is near; the message is one
// line, the exit status 2 for the command line and 1 for the data, and it
// comes before any work.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "cli_harness.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(DidYouMean, UnknownOptionsNameTheNearestFlagOfTheirCommand) {
  TempDir dir;
  struct Case {
    const char* args;
    const char* message;
  };
  const Case cases[] = {
      {"train --data d.csv --target y --model m.safetensors --epoch 10",
       "mdn train: error: unknown option --epoch; did you mean --epochs? (see mdn train --help)"},
      {"train --data d.csv --target y --model m.safetensors --epoch=10", "did you mean --epochs?"},
      {"train --data d.csv --target y --model m.safetensors --drop-invalids", "did you mean --drop-invalid?"},
      // Named before the missing --model that the typo caused.
      {"predict --data d.csv --out p.csv --modle m.safetensors", "unknown option --modle; did you mean --model?"},
      {"sample --sample 3", "mdn sample: error: unknown option --sample; did you mean --samples?"},
      {"eval --model m --data d.csv --josn out.json", "did you mean --json?"},
      {"trian --data d.csv", "mdn: error: unknown command 'trian'; did you mean 'train'?"},
      {"--verison", "unknown option --verison; did you mean --version?"},
  };
  for (const Case& c : cases) {
    const auto r = run_mdn(dir, c.args);
    EXPECT_EQ(r.status, 2) << c.args;
    EXPECT_TRUE(has(r.err, c.message)) << c.args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  // Nothing near: no guess.
  const auto r = run_mdn(dir, "train --data d.csv --target y --model m.safetensors --frobnicate");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(has(r.err, "unknown option --frobnicate (see mdn train --help)")) << r.err;
}

TEST(DidYouMean, UnknownColumnsNameTheNearestColumnOfTheFile) {
  TempDir dir;
  std::string text = "temperature,humidity,wind\n";
  for (int i = 0; i < 20; ++i)
    text += std::to_string(10 + i % 7) + "," + std::to_string(50 + (i * 3) % 11) + "," + std::to_string(i % 5) + "\n";
  dir.write("w.csv", text);
  auto r = run_mdn(dir, "train --data w.csv --target temprature --model m.safetensors --epochs 1");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r.err,
                  "w.csv: no column named 'temprature' (did you mean 'temperature'?); the columns are: "
                  "'temperature', 'humidity', 'wind'"))
      << r.err;
  EXPECT_FALSE(dir.exists("m.safetensors"));
  r = run_mdn(dir, "train --data w.csv --target temperature --features humidty,wind --model m.safetensors");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r.err, "no column named 'humidty' (did you mean 'humidity'?)")) << r.err;
  r = run_mdn(dir, "train --data w.csv --target pressure --model m.safetensors");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r.err, "no column named 'pressure'; the columns are")) << r.err;
}

}  // namespace
