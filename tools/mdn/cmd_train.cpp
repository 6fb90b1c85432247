// mdn train --data FILE.csv --target COL[,COL...] --model OUT.safetensors ...
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "commands.hpp"
#include "device_choice.hpp"
#include "flag_words.hpp"
#include "mdn/atomic_file.hpp"
#include "mdn/checkpoint.hpp"
#include "mdn/communicator.hpp"
#include "mdn/csv.hpp"
#include "mdn/error.hpp"
#include "mdn/grid.hpp"
#include "mdn/model_io.hpp"
#include "mdn/sharded_data.hpp"
#include "mdn/transform_fit.hpp"
#include "options.hpp"
#include "train_flags.hpp"
#include "train_tune.hpp"
#include "training_input.hpp"

namespace mdn::cli {
namespace {

// Set by SIGINT/SIGTERM; the trainer checks it after every epoch, saves a
// checkpoint and stops cleanly.
std::atomic<bool> g_stop_requested{false};
extern "C" void request_stop(int) { g_stop_requested.store(true); }

// Installs the handlers for the duration of a training run.
class StopOnSignal {
 public:
  StopOnSignal() {
    g_stop_requested.store(false);
    previous_int_ = std::signal(SIGINT, request_stop);
    previous_term_ = std::signal(SIGTERM, request_stop);
  }
  ~StopOnSignal() {
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  void (*previous_int_)(int);
  void (*previous_term_)(int);
};

std::string format_sigma(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

class TrainCommand : public Command {
 public:
  CLI::App* declare(CLI::App& mdn) override {
    CLI::App* app = mdn.add_subcommand(
        "train",
        "train a model on a CSV file\n\n"
        "Trains a Mixture Density Network p(target | features) and writes it as one .safetensors file.\n"
        "Progress (NLL per row in original units) goes to stderr; the model file is written only on success.");
    add_data_option(*app, r_.data_path, "training data: CSV with a header row");
    add_target_option(*app, r_.targets);
    add_list_option(*app, "--features", r_.features, "COL,...",
                    "feature columns, any (default: every other numeric column but row counters, row labels and "
                    "constant columns; the choice is printed, docs/DATA.md)");
    app->add_option("--model", r_.model_path, "where to write the model (atomically)")
        ->type_name("OUT.safetensors")
        ->required();
    add_model_spec_options(*app, r_.spec);
    app->add_option("--covariance", r_.covariance,
                    "covariance of each component: diagonal, or full (correlated targets; needs 2 or more "
                    "targets; docs/MATH.md \"Full covariance\")")
        ->type_name("diagonal|full")
        ->capture_default_str();
    epochs_ = add_epochs_option(*app, r_.options);
    add_optimiser_options(*app, r_.options);
    add_device_option(*app, r_.device, "where to train");
    app->add_flag("--tf32", r_.tf32, "allow TF32 tensor-core math on the GPU (faster, less exact)");
    add_seed_option(*app, r_.options.seed, "random seed: same seed and thread count give the same model");
    app->add_flag("--drop-invalid", r_.drop_invalid,
                  "drop rows with a missing/invalid cell instead of failing (count reported)");
    add_csv_options(*app, r_.csv);
    app->add_option("--checkpoint-every", r_.options.checkpoint_every,
                    "write a resumable checkpoint every N epochs (0 = only on SIGINT/SIGTERM)")
        ->type_name("N")
        ->check(at_least(0))
        ->capture_default_str();
    app->add_option("--checkpoint", r_.checkpoint_path, "checkpoint path (default: MODEL.ckpt)")->type_name("FILE");
    app->add_option("--resume", r_.resume_path,
                    "continue training from a checkpoint (its spec and options are used; --epochs may raise the "
                    "limit)")
        ->type_name("FILE");
    app->add_option("--ensemble", r_.options.ensemble,
                    "deep ensemble: train M networks from different seeds into one model file (their equal-weight "
                    "mixture)")
        ->type_name("M")
        ->check(between(1, kMaxMembers))
        ->capture_default_str();
    app->add_flag_callback(
        "--calibrate", [this] { r_.options.calibrate = TrainOptions::CalibrateMode::On; },
        "recalibrate after training, also a single network (default: ensembles only): for one target a monotone "
        "map of the PIT fitted on the validation rows (fewer than 50: on out-of-fold rows of 5-fold cross-fitting) "
        "that every output applies; for several targets a per-target sigma scale (docs/TRAINING.md)");
    app->add_flag_callback(
        "--no-calibrate", [this] { r_.options.calibrate = TrainOptions::CalibrateMode::Off; },
        "do not recalibrate, not even an ensemble");
    app->add_flag_callback(
        "--no-cross-fit", [this] { r_.options.cross_fit = false; },
        "with fewer than 50 validation rows, do not train the 5 extra fold models whose out-of-fold rows give the "
        "conformal scores (and the recalibration of --calibrate): the scores then come from the validation rows "
        "(none below 19) and a single network is not recalibrated (docs/TRAINING.md \"Small sets\")");
    app->add_option("--target-transform", r_.target_transform,
                    "model each target through a transform, fitted on the training rows (docs/TRAINING.md \"Target "
                    "transforms\"): none, log (every value > 0), yeo-johnson (lambda fitted), or auto (the rule "
                    "there picks one per target); one value for all targets, or a comma list, one per target. "
                    "Every output (density, NLL, quantiles, samples, eval) stays in the original units")
        ->type_name("none|log|yeo-johnson|auto")
        ->default_str("none");
    app->add_flag("--quantised", r_.quantised,
                  "targets on a grid (integers, rounded values): train on the grid cells' probability, not the "
                  "density at the points");
    auto floor = [this](float v) {
      if (!(v > 0.0f && v < 1.0f)) throw CLI::ValidationError("--sigma-floor", "must be in (0, 1)");
      r_.spec.log_sigma_min = std::log(v);
    };
    app->add_option_function<float>("--sigma-floor", floor,
                                    "smallest component sigma, in target standard deviations (the model's lower "
                                    "sigma bound)")
        ->type_name("X")
        ->default_str(format_sigma(std::exp(double(r_.spec.log_sigma_min))));
    app->add_option("--weight", r_.weight_column,
                    "column of per-row sample weights (>= 0): the loss, validation and calibration are weighted "
                    "by them; a row of weight 0 has no influence, weight 2 counts as two copies")
        ->type_name("COL");
    app->add_option("--val-data", r_.val_data_path,
                    "validation rows of your own (same columns, the --weight column too) for early stopping, "
                    "calibration and the reported scores, instead of a random --val-fraction split")
        ->type_name("FILE.csv");
    app->add_option("--init", r_.init_path,
                    "start from this model's weights and standardisation (fine-tuning on new data); its "
                    "architecture, features and ensemble size are used unless given, and must match")
        ->type_name("MODEL.safetensors");
    add_tune_options(*app, r_);
    add_progress_options(*app, r_);
    app_ = app;
    return app;
  }

  void prepare() override {
    r_.epochs_given = epochs_->count() > 0;
    for (const char* flag : {"--components", "--hidden", "--sigma-floor", "--covariance"})
      r_.spec_given = r_.spec_given || app_->get_option(flag)->count() > 0;
    check_target_transform();
    check_covariance();
    r_.ensemble_given = app_->get_option("--ensemble")->count() > 0;
    if (!r_.init_path.empty() && !r_.resume_path.empty())
      throw UsageError(
          "--init and --resume cannot be used together: a checkpoint already holds the weights to "
          "continue from");
    check_tune_request(r_);
    check_writable(r_.model_path);
    check_writable(r_.checkpoint_file());
  }

  // --target-transform: known names, one or one per target (the values
  // themselves, log's domain, are checked on the data before training).
  void check_target_transform() {
    if (r_.target_transform.empty()) return;
    try {
      r_.options.target_transform = parse_target_transform_modes(r_.target_transform);
    } catch (const UsageError& e) {
      throw UsageError(std::string("--target-transform: ") + e.what());
    }
    const std::size_t n = r_.options.target_transform.size();
    if (n != 1 && n != r_.targets.size())
      throw UsageError("--target-transform has " + std::to_string(n) + " values for " +
                       std::to_string(r_.targets.size()) + " --target columns (give one for all, or one per target)");
  }

  // --covariance, checked before any work: a known value, full with 2 or more
  // targets and without what full covariance does not support yet.
  void check_covariance() {
    if (r_.covariance != "diagonal" && r_.covariance != "full")
      throw UsageError("--covariance must be 'diagonal' or 'full', got '" + r_.covariance + "'");
    r_.spec.covariance = r_.covariance == "full" ? Covariance::Full : Covariance::Diagonal;
    if (r_.spec.covariance != Covariance::Full) return;
    if (r_.targets.size() < 2)
      throw UsageError("--covariance full needs at least 2 --target columns (got " + std::to_string(r_.targets.size()) +
                       "); with one target use --covariance diagonal");
    for (const auto mode : r_.options.target_transform)
      if (mode != TrainOptions::TargetTransformMode::None)
        throw UsageError("--covariance full: --target-transform is not supported for full covariance yet (use none)");
  }

  int run() override {
    train_and_save(r_);
    return 0;
  }

 private:
  TrainRequest r_;
  CLI::Option* epochs_ = nullptr;
  CLI::App* app_ = nullptr;
};

// Targets on a grid: say so (a density can spike on the grid points), and
// with --quantised train on the cells (TrainOptions::grid_steps). Read in
// parts, rank 0's rows decide for every rank.
void take_grid_steps(Communicator& ranks, const TrainRequest& request, const Dataset& data, bool in_parts,
                     TrainOptions& options) {
  std::vector<float> steps(data.t.cols, 0.0f);
  bool any = false;
  std::vector<double> detected(data.t.cols, 0.0);
  for (int d = 0; d < data.t.cols; ++d) detected[d] = detect_grid_step(data.t, d);
  if (in_parts) {
    const std::string bytes =
        ranks.broadcast(std::string(reinterpret_cast<const char*>(detected.data()), detected.size() * sizeof(double)));
    std::memcpy(detected.data(), bytes.data(), bytes.size());
  }
  for (int d = 0; d < data.t.cols; ++d) {
    const double h = detected[d];
    if (h <= 0.0) continue;
    any = true;
    steps[d] = float(h);
    if (ranks.root() && (!request.quiet || !request.quantised))
      std::fprintf(
          stderr,
          "mdn train: warning: target '%s' sits on a grid of step %s: a density model can put spikes on the "
          "grid points and report a meaninglessly low NLL%s\n",
          data.target_names[d].c_str(), format_sigma(h).c_str(),
          request.quantised ? "; --quantised: training on the grid cells" : " (--quantised trains on the grid cells)");
  }
  if (request.quantised) {
    if (any)
      options.grid_steps = steps;
    else
      std::fprintf(stderr, "mdn train: warning: --quantised: no target sits on a grid; training as usual\n");
  }
}

// The last lines of a run: the kept epoch, its NLL and the calibration.
void print_summary(const TrainRequest& request, const Model& model, std::chrono::steady_clock::time_point started) {
  const auto& h = model.history;
  // With a target transform the Jacobian differs between the splits (Model).
  const double jac = h.val_nll.empty() ? model.train_log_jacobian() : model.val_log_jacobian();
  const double best = h.val_nll.empty() ? h.train_nll.back() : h.val_nll[h.best_epoch - 1];
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fprintf(
      stderr, "%sbest epoch %d of %zu (%s): %s NLL %.4f (original units); model written to %s\n",
      model.members > 1 ? ("ensemble of " + std::to_string(model.members) + " members; last member's ").c_str() : "",
      h.best_epoch, h.train_nll.size(), format_duration(seconds).c_str(), h.val_nll.empty() ? "train" : "validation",
      best + jac, request.model_path.c_str());
  if (!request.options.target_transform.empty()) {
    // What each target was modelled through (what auto chose, too).
    std::string list;
    for (std::size_t d = 0; d < model.target_names.size(); ++d) {
      const TargetTransform t = d < model.target_transforms.size() ? model.target_transforms[d] : TargetTransform{};
      list += (list.empty() ? "" : ", ") + model.target_names[d] + ": " + transform_name(t.kind);
      if (t.kind == TargetTransformKind::YeoJohnson) list += " (lambda " + format_sigma(t.lambda) + ")";
    }
    std::fprintf(stderr, "target transform: %s\n", list.c_str());
  }
  if (model.calibration.applied()) {
    std::string scales;
    for (float v : model.calibration.log_sigma_shift)
      scales += (scales.empty() ? "" : ", ") + format_sigma(std::exp(double(v)));
    std::fprintf(stderr, "recalibrated on %lld validation rows: sigma scale %s, validation NLL %.4f -> %.4f\n",
                 model.calibration.rows, scales.c_str(), model.calibration.val_nll_before + jac,
                 model.calibration.val_nll_after + jac);
  }
  if (model.recalibration.applied()) {
    const Recalibration& r = model.recalibration;
    if (r.maps[0].identity())
      std::fprintf(stderr, "recalibration: none needed on %s (its PITs are as uniform as can be told)\n",
                   r.source.c_str());
    else if (r.nll_before == 0.0)  // cross-fitted: the out-of-fold gain
      std::fprintf(stderr, "recalibrated on %s: PIT map of %d bins, %.4f nats per row better there\n",
                   r.source.c_str(), r.maps[0].bins(), -r.nll_after);
    else
      std::fprintf(stderr, "recalibrated on %s: PIT map of %d bins, NLL there %.4f -> %.4f\n", r.source.c_str(),
                   r.maps[0].bins(), r.nll_before, r.nll_after);
  }
}

}  // namespace

std::unique_ptr<Command> make_train_command() { return std::make_unique<TrainCommand>(); }

Model train_and_save(const TrainRequest& request_in) {
  const auto started = std::chrono::steady_clock::now();
  // Several ranks (mpirun; docs/DISTRIBUTED.md): each reads its part of the
  // rows and they train one network, or, with --ensemble, they share the
  // members out and each reads every row. Rank 0 alone talks and writes.
  Communicator& ranks = world();
  TrainRequest request = request_in;
  if (!ranks.root()) request.quiet = true;
  Checkpoint resume;
  const bool resuming = !request.resume_path.empty();
  TrainOptions options = request.options;
  std::vector<std::string> features = request.features;
  if (resuming) {
    resume = collectively(ranks, [&] { return load_checkpoint(request.resume_path); });
    if (request.targets != resume.model.target_names)
      throw UsageError("--resume: the checkpoint was trained for target(s) different from --target");
    if (!resume.model.encoding) features = resume.model.feature_names;
    const int epochs = options.epochs;
    options = resume.options;
    if (request.epochs_given) options.epochs = epochs;
  }
  Model init;
  if (!request.init_path.empty()) init = load_init_model(ranks, request, features, options);
  // A model search on several ranks needs every row on each (its trainings
  // are shared out, each on its own folds); so does an ensemble.
  const bool in_parts = ranks.size() > 1 && options.ensemble == 1 && request.tune == 0;
  // A tuned single network on several ranks then trains on every rank alike,
  // as one process would (the same bits); rank 0 writes it.
  const bool alike_on_ranks = ranks.size() > 1 && options.ensemble == 1 && request.tune > 0;
  // Categories, dates, filled-in values (mdn/feature_encoding.hpp): a resumed
  // or initial model's encoding is kept; else it is fitted on the file.
  std::shared_ptr<const FeatureEncoding> encoding = resuming ? resume.model.encoding : init.encoding;
  DataShard shard = load_training_rows(ranks, request, features, in_parts, encoding);
  const Dataset& data = shard.data;
  if (shard.dropped_rows > 0 && !request.quiet)
    std::fprintf(stderr, "%s: dropped %lld row%s with a missing target or an invalid cell%s\n",
                 request.data_path.c_str(), shard.dropped_rows, shard.dropped_rows == 1 ? "" : "s",
                 data.first_dropped.empty() ? "" : (" (the first: " + data.first_dropped + ")").c_str());
  const Dataset validation =
      request.val_data_path.empty() ? Dataset{} : load_validation_rows(ranks, request, data.feature_names, encoding);

  if (!resuming) take_grid_steps(ranks, request, data, in_parts, options);

  ModelSpec spec = request.spec;
  if (resuming) {
    spec = resume.model.spec;
  } else if (!request.init_path.empty() && !request.spec_given) {
    spec = init.spec;
  } else {
    spec.input_dim = data.x.cols;
    spec.target_dim = data.t.cols;
  }
  spec.validate();
  // The model search (--tune) picks spec and options; the run below is then
  // a normal one with them.
  StopOnSignal stop_on_signal;
  std::string tuning;
  if (request.tune > 0) tuning = search_before_training(ranks, request, data, spec, options, &g_stop_requested);

  CudaOptions cuda;
  cuda.tf32 = request.tf32;
  cuda.device = ranks.local_rank();  // one GPU per rank on a machine
  auto backend = collectively(ranks, [&] { return open_backend(request.device, spec, cuda, request.quiet); });
  if (!request.quiet) {
    std::string how;
    if (ranks.size() > 1)
      how = in_parts         ? " x " + std::to_string(ranks.size()) + " ranks (data-parallel)"
            : alike_on_ranks ? " (each of " + std::to_string(ranks.size()) + " ranks alike, after the shared search)"
                             : " x " + std::to_string(ranks.size()) + " ranks (ensemble members shared out)";
    std::fprintf(stderr, "training on %s%s: %lld rows, D = %d, T = %d, K = %d, %zu hidden layers%s\n",
                 backend->name().c_str(), how.c_str(), shard.total_rows, spec.input_dim, spec.target_dim,
                 spec.components, spec.hidden.size(),
                 resuming ? (", resuming after epoch " + std::to_string(resume.state.epoch)).c_str() : "");
  }

  // Progress NLLs are shown in original target units (standardised NLL plus
  // the log-Jacobian), like every other user-facing number.
  EpochProgress epochs(request.quiet ? ProgressStyle::None : request.progress);
  TrainHooks hooks;
  hooks.on_epoch = [&](const EpochReport& r) { epochs.show(r); };
  hooks.stop_requested = &g_stop_requested;
  hooks.on_cross_fit_fold = [&](int fold, int folds) {
    if (request.quiet || !ranks.root() || fold != 1) return;
    epochs.finish();
    std::fprintf(stderr,
                 "calibration rows: cross-fitting %d fold models (fewer than %lld validation rows; --no-cross-fit "
                 "skips it)\n",
                 folds, kMinCalibrationRows);
  };
  const std::string checkpoint_path = request.checkpoint_file();
  hooks.on_checkpoint = [&](const Model& m, const TrainingState& state) {
    if (!ranks.root()) return;
    Checkpoint checkpoint{m, state, options};
    checkpoint.model.encoding = encoding;
    save_checkpoint(checkpoint, checkpoint_path);
  };
  hooks.ranks = alike_on_ranks ? &single_process() : &ranks;
  hooks.first_row = shard.first_row;
  hooks.total_rows = shard.total_rows;
  if (resuming) {
    hooks.resume_model = &resume.model;
    hooks.resume_state = &resume.state;
  }
  if (!request.val_data_path.empty()) hooks.validation = &validation;
  if (!request.init_path.empty()) hooks.init_model = &init;
  Model model;
  try {
    // The rows are given up to training: read compactly, they are held once
    // (docs/DATA.md, "Memory"); nothing below reads them.
    model = train(*backend, spec, std::move(shard.data), options, hooks);
  } catch (const Interrupted& e) {
    epochs.finish();
    if (ranks.size() > 1 && options.ensemble > 1) throw;  // no checkpoint (the message says so)
    throw Interrupted(std::string(e.what()) + "; checkpoint saved to " + checkpoint_path + " (continue with --resume " +
                      checkpoint_path + ")");
  } catch (...) {
    epochs.finish();
    throw;
  }
  epochs.finish();
  model.encoding = encoding;
  model.tuning = tuning;
  if (options.calibrate == TrainOptions::CalibrateMode::On && model.history.val_nll.empty() &&
      !model.recalibration.applied() && !model.calibration.applied())
    std::fprintf(stderr,
                 "mdn train: warning: --calibrate: no validation rows and too few rows to cross-fit on: the model "
                 "is not recalibrated\n");
  if (ranks.root()) {
    for (const std::string& w : model.history.warnings)
      std::fprintf(stderr, "mdn train: warning: %s\n", in_flag_words(w).c_str());
    save_model(model, request.model_path);
  }
  if (!request.quiet) print_summary(request, model, started);
  return model;
}

}  // namespace mdn::cli
