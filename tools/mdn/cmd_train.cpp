// mdn train --data FILE.csv --target COL[,COL...] --model OUT.safetensors ...
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <string>

#include "command_line.hpp"
#include "commands.hpp"
#include "mdn/checkpoint.hpp"
#include "mdn/csv.hpp"
#include "mdn/error.hpp"
#include "mdn/grid.hpp"
#include "mdn/model_io.hpp"

namespace mdn::cli {
namespace {

std::string shown(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string format_duration(double seconds) {
  const long s = long(std::lround(seconds));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

void print_epoch(const EpochReport& r, bool quiet) {
  if (quiet) return;
  const double log_jacobian = r.log_jacobian;
  char line[320];
  char member[48] = "";
  if (r.members > 1) std::snprintf(member, sizeof member, "member %d/%d  ", r.member, r.members);
  if (std::isnan(r.val_nll)) {
    std::snprintf(line, sizeof line, "%sepoch %d/%d  train NLL %.4f  %.0f samples/s  elapsed %s  left ~%s", member,
                  r.epoch, r.epochs, r.train_nll + log_jacobian, r.samples_per_second, format_duration(r.seconds_elapsed).c_str(),
                  format_duration(r.seconds_left).c_str());
  } else {
    std::snprintf(line, sizeof line,
                  "%sepoch %d/%d  train NLL %.4f  val NLL %.4f%s  %.0f samples/s  elapsed %s  left ~%s", member,
                  r.epoch, r.epochs, r.train_nll + log_jacobian, r.val_nll + log_jacobian, r.improved ? " *" : "  ",
                  r.samples_per_second, format_duration(r.seconds_elapsed).c_str(),
                  format_duration(r.seconds_left).c_str());
  }
  progress(line, false);
}

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

}  // namespace

Model train_and_save(const TrainRequest& request) {
  if (request.model_path.empty()) throw UsageError("--model is required");
  Checkpoint resume;
  const bool resuming = !request.resume_path.empty();
  TrainOptions options = request.options;
  std::vector<std::string> features = request.features;
  if (resuming) {
    resume = load_checkpoint(request.resume_path);
    if (request.targets != resume.model.target_names)
      throw UsageError("--resume: the checkpoint was trained for target(s) different from --target");
    features = resume.model.feature_names;
    const int epochs = options.epochs;
    options = resume.options;
    if (request.epochs_given) options.epochs = epochs;
  }
  const Dataset data = load_dataset(request.data_path, request.targets, features,
                                    request.drop_invalid ? InvalidCells::DropRow : InvalidCells::Fail);
  if (data.dropped_rows > 0 && !request.quiet)
    std::fprintf(stderr, "%s: dropped %zu rows with missing or invalid cells\n", request.data_path.c_str(),
                 data.dropped_rows);

  // Targets on a grid: say so (a density can spike on the grid points), and
  // with --quantised train on the cells (TrainOptions::grid_steps).
  if (!resuming) {
    std::vector<float> steps(data.t.cols, 0.0f);
    bool any = false;
    for (int d = 0; d < data.t.cols; ++d) {
      const double h = detect_grid_step(data.t, d);
      if (h <= 0.0) continue;
      any = true;
      steps[d] = float(h);
      if (!request.quiet || !request.quantised)
        std::fprintf(stderr,
                     "mdn train: warning: target '%s' sits on a grid of step %s: a density model can put spikes on the "
                     "grid points and report a meaninglessly low NLL%s\n",
                     data.target_names[d].c_str(), shown(h).c_str(),
                     request.quantised ? "; --quantised: training on the grid cells" : " (--quantised trains on the grid cells)");
    }
    if (request.quantised) {
      if (any) options.grid_steps = steps;
      else std::fprintf(stderr, "mdn train: warning: --quantised: no target sits on a grid; training as usual\n");
    }
  }

  ModelSpec spec;
  if (resuming) {
    spec = resume.model.spec;
  } else {
    spec.input_dim = data.x.cols;
    spec.target_dim = data.t.cols;
    spec.components = request.components;
    spec.hidden = request.hidden;
    if (request.sigma_floor > 0.0f) spec.log_sigma_min = std::log(request.sigma_floor);
  }
  spec.validate();

  CudaOptions cuda;
  cuda.tf32 = request.tf32;
  auto backend = make_backend(request.device, spec, cuda);
  if (!request.quiet)
    std::fprintf(stderr, "training on %s: %d rows, D = %d, T = %d, K = %d, %zu hidden layers%s\n",
                 backend->name().c_str(), data.x.rows, spec.input_dim, spec.target_dim, spec.components,
                 spec.hidden.size(), resuming ? (", resuming after epoch " + std::to_string(resume.state.epoch)).c_str() : "");

  // Progress NLLs are shown in original target units (standardised NLL plus
  // the log-Jacobian), like every other user-facing number.
  StopOnSignal stop_on_signal;
  TrainHooks hooks;
  hooks.on_epoch = [&](const EpochReport& r) { print_epoch(r, request.quiet); };
  hooks.stop_requested = &g_stop_requested;
  const std::string checkpoint_path =
      request.checkpoint_path.empty() ? request.model_path + ".ckpt" : request.checkpoint_path;
  hooks.on_checkpoint = [&](const Model& m, const TrainingState& state) {
    save_checkpoint(Checkpoint{m, state, options}, checkpoint_path);
  };
  if (resuming) {
    hooks.resume_model = &resume.model;
    hooks.resume_state = &resume.state;
  }
  Model model;
  try {
    model = train(*backend, spec, data, options, hooks);
  } catch (const Interrupted& e) {
    if (!request.quiet) progress("", true);
    throw Interrupted(std::string(e.what()) + "; checkpoint saved to " + checkpoint_path +
                      " (continue with --resume " + checkpoint_path + ")");
  }
  if (!request.quiet) progress("", true);
  if (options.calibrate && !model.calibration.applied())
    std::fprintf(stderr, "mdn train: warning: --calibrate: no validation rows (--val-fraction 0): the model is not recalibrated\n");
  save_model(model, request.model_path);
  if (!request.quiet) {
    const auto& h = model.history;
    const double jac = model.stats.log_jacobian();
    const double best = h.val_nll.empty() ? h.train_nll.back() : h.val_nll[h.best_epoch - 1];
    std::fprintf(stderr, "%sbest epoch %d of %zu: %s NLL %.4f (original units); model written to %s\n",
                 model.members > 1 ? ("ensemble of " + std::to_string(model.members) + " members; last member's ").c_str()
                                   : "",
                 h.best_epoch, h.train_nll.size(), h.val_nll.empty() ? "train" : "validation", best + jac,
                 request.model_path.c_str());
    if (model.calibration.applied()) {
      std::string scales;
      for (float v : model.calibration.log_sigma_shift) scales += (scales.empty() ? "" : ", ") + shown(std::exp(v));
      std::fprintf(stderr, "recalibrated on %lld validation rows: sigma scale %s, validation NLL %.4f -> %.4f\n",
                   model.calibration.rows, scales.c_str(), model.calibration.val_nll_before + jac,
                   model.calibration.val_nll_after + jac);
    }
  }
  return model;
}

int run_train(int argc, char** argv) {
  const TrainOptions defaults;
  CommandLine cl(
      "train",
      "mdn train --data FILE.csv --target COL[,COL...] --model OUT.safetensors [options]",
      "Trains a Mixture Density Network p(target | features) and writes it as one .safetensors file.\n"
      "Progress (NLL per row in original units) goes to stderr; the model file is written only on success.",
      {{"data", "FILE.csv", "training data: CSV with a header row", ""},
       {"target", "COL[,COL...]", "target column(s), 1 to 8", ""},
       {"features", "COL,...", "feature columns (default: every other numeric column)", ""},
       {"model", "OUT.safetensors", "where to write the model (atomically)", ""},
       {"components", "K", "mixture components, 1 to 32", "5"},
       {"hidden", "W,W,...", "hidden tanh layer widths", "50,50"},
       {"epochs", "N", "number of epochs (0 = from the step budget, see --steps)", std::to_string(defaults.epochs)},
       {"steps", "N", "optimizer-step budget when --epochs is 0 (0 = auto: 10000, at least 10 epochs)",
        std::to_string(defaults.steps)},
       {"batch-size", "B", "minibatch size (0 = auto: rows/64 as a power of two in 32..1024)",
        std::to_string(defaults.batch_size)},
       {"lr", "X", "peak Adam learning rate", shown(defaults.lr)},
       {"schedule", "cosine|constant", "learning-rate schedule: warm-up then cosine decay, or constant",
        defaults.schedule == LrSchedule::Cosine ? "cosine" : "constant"},
       {"warmup", "F", "fraction of the steps spent warming the rate up from 0 (cosine), 0 to 0.5",
        shown(defaults.warmup_fraction)},
       {"min-lr", "F", "final learning rate as a fraction of --lr (cosine), 0 to 1", shown(defaults.min_lr_fraction)},
       {"weight-decay", "X", "decoupled weight decay (AdamW); 0 = off", shown(defaults.weight_decay)},
       {"val-fraction", "F", "fraction of rows held out for validation / early stopping (0 = none)",
        shown(defaults.val_fraction)},
       {"patience", "N", "stop after N epochs without a better validation NLL (0 = never, -1 = auto: epochs/4, at least 10)",
        std::to_string(defaults.patience)},
       {"clip-norm", "X", "clip the global gradient norm to X (0 = off)", shown(defaults.clip_norm)},
       {"ensemble", "M", "deep ensemble: train M networks from different seeds into one model file (their equal-weight mixture)",
        std::to_string(defaults.ensemble)},
       {"quantised", "",
        "targets on a grid (integers, rounded values): train on the grid cells' probability, not the density at the points",
        ""},
       {"calibrate", "", "after training, fit a per-target sigma scale on the validation rows by NLL (see docs/TRAINING.md)",
        ""},
       {"sigma-floor", "X", "smallest component sigma, in target standard deviations (the model's lower sigma bound)",
        shown(std::exp(double(ModelSpec{}.log_sigma_min)))},
       {"device", "cpu|cuda|auto", "where to train", "auto"},
       {"tf32", "", "allow TF32 tensor-core math on the GPU (faster, less exact)", ""},
       {"seed", "S", "random seed: same seed and thread count give the same model", "0"},
       {"drop-invalid", "", "drop rows with a missing/invalid cell instead of failing (count reported)", ""},
       {"checkpoint-every", "N", "write a resumable checkpoint every N epochs (0 = only on SIGINT/SIGTERM)", "0"},
       {"checkpoint", "FILE", "checkpoint path (default: MODEL.ckpt)", ""},
       {"resume", "FILE", "continue training from a checkpoint (its spec and options are used; --epochs may raise the limit)", ""},
       {"quiet", "", "no progress output", ""}});
  if (!cl.parse_options_only(argc, argv)) return 0;
  TrainRequest r;
  r.data_path = cl.required("data");
  r.targets = cl.list("target");
  if (r.targets.empty()) throw UsageError("--target is required");
  r.features = cl.list("features");
  r.model_path = cl.required("model");
  r.components = cl.integer("components", 1, kMaxComponents);
  r.hidden = cl.int_list("hidden", 1);
  if (r.hidden.empty()) throw UsageError("--hidden needs at least one layer width");
  r.options.epochs = cl.integer("epochs", 0);
  r.options.steps = cl.integer("steps", 0);
  r.options.batch_size = cl.integer("batch-size", 0);
  r.options.lr = cl.number("lr");
  {
    const std::string schedule = cl.text("schedule");
    if (schedule == "cosine") r.options.schedule = LrSchedule::Cosine;
    else if (schedule == "constant") r.options.schedule = LrSchedule::Constant;
    else throw UsageError("--schedule must be cosine or constant (got '" + schedule + "')");
  }
  r.options.warmup_fraction = cl.number("warmup");
  if (!(r.options.warmup_fraction >= 0.0f && r.options.warmup_fraction <= 0.5f))
    throw UsageError("--warmup must be in [0, 0.5]");
  r.options.min_lr_fraction = cl.number("min-lr");
  if (!(r.options.min_lr_fraction >= 0.0f && r.options.min_lr_fraction <= 1.0f))
    throw UsageError("--min-lr must be in [0, 1]");
  r.options.weight_decay = cl.number("weight-decay");
  if (!(r.options.weight_decay >= 0.0f)) throw UsageError("--weight-decay must be >= 0");
  r.options.val_fraction = cl.number("val-fraction");
  r.options.calibrate = cl.given("calibrate");
  if (cl.given("sigma-floor")) {
    const float floor = cl.number("sigma-floor");
    if (!(floor > 0.0f && floor < 1.0f)) throw UsageError("--sigma-floor must be in (0, 1)");
    r.sigma_floor = floor;
  }
  r.options.ensemble = cl.integer("ensemble", 1, kMaxMembers);
  r.quantised = cl.given("quantised");
  r.options.patience = cl.integer("patience", -1);
  r.options.clip_norm = cl.number("clip-norm");
  r.options.seed = cl.seed("seed");
  r.device = device_option(cl);
  r.tf32 = cl.given("tf32");
  r.drop_invalid = cl.given("drop-invalid");
  r.quiet = cl.given("quiet");
  r.options.checkpoint_every = cl.integer("checkpoint-every", 0);
  r.checkpoint_path = cl.text("checkpoint");
  r.resume_path = cl.text("resume");
  r.epochs_given = cl.given("epochs");
  if (!(r.options.lr > 0.0f)) throw UsageError("--lr must be positive");
  if (!(r.options.val_fraction >= 0.0f && r.options.val_fraction < 1.0f))
    throw UsageError("--val-fraction must be in [0, 1)");
  if (r.options.clip_norm < 0.0f) throw UsageError("--clip-norm must be >= 0");
  train_and_save(r);
  return 0;
}

}  // namespace mdn::cli
