// `mdn`: the command-line front end. Dispatches to a subcommand and turns
// library errors into one message on stderr and an exit status:
// 0 success, 1 data or runtime error, 2 usage error.
#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <cstring>
#include <exception>
#include <string>

#include "commands.hpp"
#include "mdn/error.hpp"
#include "mdn/trainer.hpp"

namespace {

struct Subcommand {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

const Subcommand kSubcommands[] = {
    {"data", mdn::cli::run_data, "write a built-in synthetic data set as CSV"},
    {"train", mdn::cli::run_train, "train a model on a CSV file"},
    {"predict", mdn::cli::run_predict, "mean, std, quantiles, modes, intervals per row of a CSV file"},
    {"sample", mdn::cli::run_sample, "draw samples from the predictive distribution per row"},
    {"eval", mdn::cli::run_eval, "score a model on labelled data: metrics, calibration, report"},
    {"demo", mdn::cli::run_demo, "train on the built-in bishop set and write its outputs"},
};

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "usage: mdn <command> [options]\n\n"
               "mdn fits Mixture Density Networks: the whole conditional distribution p(t | x),\n"
               "not just a point prediction.\n\ncommands:\n");
  for (const auto& c : kSubcommands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out, "\n'mdn <command> --help' lists a command's options.\n");
}

// Idle OpenMP threads should sleep instead of spinning unless the user says
// otherwise: each minibatch is a few short parallel regions, and spinning
// threads on a machine with other busy processes made training up to 10x
// slower (measured on 2 cores; docs/MATH.md). libgomp reads OMP_WAIT_POLICY
// once, when it is loaded, before main(): so set it and re-execute once.
void prefer_passive_openmp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  ::setenv("OMP_WAIT_POLICY", "passive", 1);
  ::execv("/proc/self/exe", argv);  // returns only on failure: carry on as we are
}

}  // namespace

int main(int argc, char** argv) {
  prefer_passive_openmp(argv);
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    print_usage(stdout);
    return 0;
  }
  for (const auto& c : kSubcommands) {
    if (command != c.name) continue;
    try {
      return c.run(argc, argv);
    } catch (const mdn::Interrupted& e) {
      std::fprintf(stderr, "mdn %s: %s\n", c.name, e.what());
      return 130;  // the shell's convention for "stopped by SIGINT"
    } catch (const mdn::UsageError& e) {
      std::fprintf(stderr, "mdn %s: error: %s\n", c.name, e.what());
      return 2;
    } catch (const mdn::Error& e) {
      std::fprintf(stderr, "mdn %s: error: %s\n", c.name, e.what());
      return 1;
    } catch (const std::bad_alloc&) {
      std::fprintf(stderr, "mdn %s: error: out of memory (try a smaller --batch-size or fewer rows)\n", c.name);
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mdn %s: error: %s\n", c.name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "mdn: unknown command '%s' (see mdn --help)\n", command.c_str());
  return 2;
}
