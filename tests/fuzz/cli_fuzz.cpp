// libFuzzer target: the `mdn` command line on argument vectors built from the
// input (arguments separated by NUL or newline bytes; "mdn" is argv[0]). Any
// vector must parse or be refused with a usage error — never crash, hang or
// read out of bounds.
//
// With the CLI11 command line (tools/mdn/program.hpp, target mdn_cli_parts),
// this drives mdn::cli::parse_only: the whole `mdn ARGS` up to the point where
// work would start. Before it exists, it drives today's parser
// (tools/mdn/command_line.hpp): `mdn train`'s option table plus the list kinds
// of `mdn predict`, with every accessor a subcommand calls.
#include <cstdint>
#include <string>
#include <vector>

#include "mdn/error.hpp"

#if MDN_FUZZ_PARSE_ONLY
#include <sstream>

#include "program.hpp"
#else
#include "command_line.hpp"
#endif

namespace {

std::vector<std::string> split_arguments(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args{"mdn"};
  std::string current;
  for (std::size_t i = 0; i < size; ++i) {
    const char c = char(data[i]);
    if (c == '\0' || c == '\n') {
      args.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) args.push_back(current);
  return args;
}

#if !MDN_FUZZ_PARSE_ONLY
void parse_like_a_subcommand(int argc, char** argv) {
  using mdn::cli::CommandLine;
  CommandLine cl("train", "mdn train [options]", "fuzzing",
                 {{"data", "FILE.csv", "training data", ""},
                  {"target", "COL[,COL...]", "target column(s)", ""},
                  {"features", "COL,...", "feature columns", ""},
                  {"model", "OUT.safetensors", "model", ""},
                  {"components", "K", "mixture components", "5"},
                  {"hidden", "W,W,...", "hidden widths", "50,50"},
                  {"epochs", "N", "epochs", "200"},
                  {"lr", "X", "learning rate", "0.001"},
                  {"device", "cpu|cuda|auto", "where", "auto"},
                  {"tf32", "", "TF32", ""},
                  {"seed", "S", "seed", "0"},
                  {"quantiles", "P,P,...", "levels", "0.05,0.5,0.95"},
                  {"quiet", "", "quiet", ""}});
  if (!cl.parse(argc, argv, 2)) {
    (void)cl.help_text();
    return;
  }
  if (!cl.positional().empty()) throw mdn::UsageError("unexpected argument");
  (void)cl.list("target");
  (void)cl.list("features");
  (void)cl.text("model");
  (void)cl.integer("components", 1, 32);
  (void)cl.int_list("hidden", 1);
  (void)cl.integer("epochs", 1);
  (void)cl.number("lr");
  (void)mdn::cli::device_option(cl);
  (void)cl.given("tf32");
  (void)cl.seed("seed");
  (void)cl.number_list("quantiles");
  (void)cl.given("quiet");
  (void)cl.required("data");
}
#endif

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args = split_arguments(data, size);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int argc = int(args.size());
#if MDN_FUZZ_PARSE_ONLY
  std::ostringstream out, err;
  const int status = mdn::cli::parse_only(argc, argv.data(), out, err);
  if (status != 0 && err.str().empty()) __builtin_trap();  // a refusal always says why
#else
  try {
    parse_like_a_subcommand(argc, argv.data());
  } catch (const mdn::UsageError&) {
  }
#endif
  return 0;
}
