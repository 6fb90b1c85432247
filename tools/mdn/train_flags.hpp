// The flags that set a TrainRequest's fields, declared once and shared by
// `mdn train` and `mdn demo`. Each default shown in --help is the bound
// field's initialiser (ModelSpec, TrainOptions, TrainRequest); each range is
// checked during the parse, the model-spec ones by ModelSpec::validate itself.
#pragma once
#include <CLI/CLI.hpp>

#include "commands.hpp"

namespace mdn::cli {

// --target COL[,COL...]: 1 to kMaxTargetDim columns.
CLI::Option* add_target_option(CLI::App& app, std::vector<std::string>& targets);
// --components K and --hidden W,W,...
void add_model_spec_options(CLI::App& app, ModelSpec& spec);
// --epochs N (returned: whether it was given matters when resuming).
CLI::Option* add_epochs_option(CLI::App& app, TrainOptions& options);
// --steps, --batch-size, --lr, --schedule, --warmup, --min-lr, --weight-decay,
// --val-fraction, --patience, --clip-norm.
void add_optimiser_options(CLI::App& app, TrainOptions& options);
// --progress auto|bar|lines|none and --quiet.
void add_progress_options(CLI::App& app, TrainRequest& request);

}  // namespace mdn::cli
