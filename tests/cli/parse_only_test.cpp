// parse_only (tools/mdn/program.hpp): the command line up to the point where
// work would start, in-process, for fuzzers. It must give the exit status
// `mdn` would give for the same arguments, and never do the work.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli_harness.hpp"
#include "mdn/spec.hpp"
#include "mdn/train_options.hpp"
#include "program.hpp"

namespace {

using mdn::test::TempDir;

struct Parsed {
  int status;
  std::string out, err;
};

Parsed parse(const std::vector<std::string>& args) {
  std::vector<std::string> storage{"mdn"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::ostringstream out, err;
  const int status = mdn::cli::parse_only(int(storage.size()), argv.data(), out, err);
  return {status, out.str(), err.str()};
}

TEST(ParseOnly, AValidCommandLineStopsBeforeTheWork) {
  TempDir dir;
  const std::string model = dir.file("m.safetensors");
  // The data file does not exist: parse_only must not read it.
  const Parsed p = parse({"train", "--data", dir.file("missing.csv"), "--target", "y", "--model", model});
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(p.err, "");
  EXPECT_TRUE(dir.entries().empty());
}

TEST(ParseOnly, GivesTheStatusMdnWouldGive) {
  TempDir dir;
  const std::string model = dir.file("m.safetensors");
  EXPECT_EQ(parse({}).status, 2);
  EXPECT_EQ(parse({"frobnicate"}).status, 2);
  EXPECT_EQ(parse({"train", "--target", "y", "--model", model}).status, 2);  // --data missing
  const Parsed k0 = parse({"train", "--data", "d.csv", "--target", "y", "--model", model, "--components", "0"});
  EXPECT_EQ(k0.status, 2);
  EXPECT_NE(k0.err.find("--components"), std::string::npos) << k0.err;
  const Parsed nodir = parse({"predict", "--model", model, "--data", "d.csv", "--out", dir.file("nodir/p.csv")});
  EXPECT_EQ(nodir.status, 1);
  EXPECT_NE(nodir.err.find("nodir/p.csv"), std::string::npos) << nodir.err;
  const Parsed help = parse({"sample", "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("usage: mdn sample"), std::string::npos) << help.out;
  EXPECT_EQ(help.err, "");
}

TEST(ParseOnly, HelpWinsOverBadValuesAndShowsTheStructDefaults) {
  const Parsed p = parse({"train", "--components", "0", "--help"});
  EXPECT_EQ(p.status, 0) << p.err;
  const mdn::ModelSpec spec;
  const mdn::TrainOptions options;
  EXPECT_NE(p.out.find("--components K"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("[default: " + std::to_string(spec.components) + "]"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("[default: " + std::to_string(options.epochs) + "]"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("--progress auto|bar|lines|none"), std::string::npos) << p.out;
}

TEST(ParseOnly, UnknownOptionsAreNamed) {
  const Parsed top = parse({"--colour"});
  EXPECT_EQ(top.status, 2);
  EXPECT_EQ(top.err, "mdn: error: unknown option --colour (see mdn --help)\n");
  const Parsed sub = parse({"eval", "--model", "m", "--data", "d", "--colour", "blue"});
  EXPECT_EQ(sub.status, 2);
  EXPECT_EQ(sub.err, "mdn eval: error: unknown option --colour (see mdn eval --help)\n");
}

}  // namespace
