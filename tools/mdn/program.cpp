#include "program.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "exit_status.hpp"
#include "help_format.hpp"
#include "mdn/backend.hpp"
#include "mdn/communicator.hpp"
#include "mdn/error.hpp"
#include "mdn/spelling.hpp"

namespace mdn::cli {
namespace {

std::vector<std::string> long_options(const CLI::App& app) {
  std::vector<std::string> names{"--help"};
  for (const CLI::Option* option : app.get_options())
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
  return names;
}

// "; did you mean --epochs?" for an unknown option of `app`, or "".
std::string option_hint(const CLI::App& app, std::string word) {
  word = word.substr(0, word.find('='));  // --epoch=10
  const std::string near = closest_name(word, long_options(app));
  return near.empty() ? "" : "; did you mean " + near + "?";
}

// An unknown --option is named before CLI11 would complain about a missing
// required one (the typo is usually why it is missing).
void check_long_options(const CLI::App& app, int argc, char** argv) {
  const std::vector<std::string> known = long_options(app);
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.size() <= 2 || arg.rfind("--", 0) != 0) continue;
    const std::string name = arg.substr(0, arg.find('='));
    if (std::find(known.begin(), known.end(), name) == known.end())
      throw UsageError("unknown option " + arg + option_hint(app, arg) + " (see mdn " + app.get_name() + " --help)");
  }
}

}  // namespace

Program::Program()
    : app_(
          "mdn fits Mixture Density Networks: the whole conditional distribution p(t | x),\n"
          "not just a point prediction.",
          "mdn") {
  // Set before the subcommands are added: they inherit both.
  app_.formatter(std::make_shared<HelpFormatter>());
  app_.set_help_flag("-h,--help", "show this help and exit");
  app_.require_subcommand(1);
  for (auto make : {make_data_command, make_train_command, make_predict_command, make_sample_command, make_eval_command,
                    make_calibrate_command, make_info_command, make_demo_command}) {
    std::unique_ptr<Command> command = make();
    CLI::App* sub = command->declare(app_);
    sub->allow_extras();  // collected and refused in parse(), naming the first one
    commands_.emplace_back(sub, std::move(command));
  }
  app_.footer(
      "'mdn <command> --help' lists a command's options; 'mdn --version' says what this build has (CUDA, MPI).\n"
      "Several processes: mpirun -np N mdn train|predict|sample|eval ... (docs/DISTRIBUTED.md).");
}

void Program::parse(int argc, char** argv) {
  if (argc < 2) {
    std::string names;
    for (const auto& c : commands_) names += (names.empty() ? "" : ", ") + c.first->get_name();
    throw UsageError("no command given; use one of " + names + " (see mdn --help)");
  }
  const std::string first = argv[1];
  const auto is_help = [](const std::string& arg) { return arg == "--help" || arg == "-h"; };
  if (first == "help" || is_help(first)) throw CLI::CallForHelp();
  if (first == "--version" || first == "-V") {
    if (argc > 2) throw UsageError("--version takes no other arguments");
    version_ = true;
    return;
  }
  if (first.rfind("-", 0) == 0) {
    const std::string near = closest_name(first, {"--help", "--version"});
    throw UsageError("unknown option " + first + (near.empty() ? "" : "; did you mean " + near + "?") +
                     " (see mdn --help)");
  }
  CLI::App* command = nullptr;
  std::vector<std::string> names;
  for (const auto& c : commands_) {
    names.push_back(c.first->get_name());
    if (c.first->get_name() == first) command = c.first;
  }
  if (command == nullptr) {
    const std::string near = closest_name(first, names);
    throw UsageError("unknown command '" + first + "'" + (near.empty() ? "" : "; did you mean '" + near + "'?") +
                     " (see mdn --help)");
  }
  // --help anywhere wins over the other options (CLI11 would check their
  // values first).
  for (int i = 2; i < argc; ++i)
    if (is_help(argv[i])) {
      help_for_ = command;
      throw CLI::CallForHelp();
    }
  named_ = command;
  check_long_options(*command, argc, argv);
  app_.parse(argc, argv);
  for (const auto& c : commands_) {
    if (!c.first->parsed()) continue;
    const std::vector<std::string> extras = c.first->remaining();
    if (!extras.empty()) {
      const std::string& what = extras.front();
      const std::string see = " (see mdn " + c.first->get_name() + " --help)";
      if (what.rfind("-", 0) == 0 && what.size() > 1)
        throw UsageError("unknown option " + what + option_hint(*c.first, what) + see);
      throw UsageError("unexpected argument '" + what + "'" + see);
    }
    chosen_ = c.second.get();
  }
  if (chosen_ == nullptr) throw UsageError("no command given (see mdn --help)");
  chosen_->prepare();
}

int Program::run() {
  if (version_) {
    // What this build can do: what a user (or a cluster's admin) checks first.
    if (world().root())
      std::printf("mdn %s\n%s\n%s\n", MDN_VERSION, cuda_description().c_str(), distributed_description().c_str());
    return 0;
  }
  if (chosen_ == nullptr) throw UsageError("no command given (see mdn --help)");
  return chosen_->run();
}

std::string Program::help() const { return help_for_ != nullptr ? help_for_->help() : app_.help(); }

std::string Program::name() const {
  if (help_for_ != nullptr) return "mdn " + help_for_->get_name();
  for (const auto& c : commands_)
    if (c.first->parsed()) return "mdn " + c.first->get_name();
  if (named_ != nullptr) return "mdn " + named_->get_name();
  return "mdn";
}

int parse_only(int argc, char** argv, std::ostream& out, std::ostream& err) {
  Program program;
  return exit_status_of(
      program,
      [&] {
        program.parse(argc, argv);
        return 0;
      },
      out, err);
}

}  // namespace mdn::cli
