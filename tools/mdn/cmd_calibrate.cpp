// mdn calibrate --model M --data CAL.csv --out M2.safetensors
// Fits a trained model's recalibration (the PIT map of mdn/recalibration.hpp,
// one-target models with at least kMinCalibrationRows rows) and its
// conformal interval scores (mdn/conformal.hpp) on calibration rows the user
// provides — rows the model never saw: the way to the exact finite-sample
// guarantee, and the way to adapt both when the test distribution differs
// from training — and writes the model with them as a new file, atomically.
// The network is left as it is.
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "device_choice.hpp"
#include "mdn/atomic_file.hpp"
#include "mdn/conformal.hpp"
#include "mdn/csv.hpp"
#include "mdn/error.hpp"
#include "mdn/feature_encoding.hpp"
#include "mdn/inference.hpp"
#include "mdn/recalibration.hpp"
#include "mdn/trainer.hpp"
#include "mdn/model_io.hpp"
#include "options.hpp"

namespace mdn::cli {
namespace {

class CalibrateCommand : public Command {
 public:
  CLI::App* declare(CLI::App& mdn) override {
    CLI::App* app = mdn.add_subcommand(
        "calibrate",
        "recalibrate a model and fit its conformal intervals on your own calibration rows\n\n"
        "One target and at least 50 rows: refits the recalibration, a monotone map G of the PIT that every\n"
        "output then applies (the distribution becomes G(F(y | x)); docs/PREDICT.md). Always: scores each\n"
        "row by |F(y | x) - 1/2| and stores the scores, so `mdn predict --interval C` writes intervals that\n"
        "cover a new row with probability >= C whenever it is exchangeable with the calibration rows.\n"
        "Use rows the model did not train on. The network itself is not changed.");
    add_model_input_option(*app, model_path_);
    add_data_option(*app, data_path_, "calibration rows: the model's feature and target columns");
    app->add_option("--out", out_path_, "where to write the calibrated model (atomically; may be --model itself)")
        ->type_name("OUT.safetensors")
        ->required();
    add_device_option(*app, device_, "where to run the network");
    app->add_flag("--drop-invalid", drop_invalid_,
                  "drop rows with a missing/invalid cell instead of failing (count reported)");
    app->add_flag("--quiet", quiet_, "no summary on stderr");
    return app;
  }

  void prepare() override { check_writable(out_path_); }

  int run() override {
    Model model = load_model(model_path_);
    const InvalidCells invalid = drop_invalid_ ? InvalidCells::DropRow : InvalidCells::Fail;
    const Dataset data = load_model_dataset(data_path_, model, model.target_names, invalid, {});
    if (data.x.rows < kMinConformalRows)
      throw UsageError(data_path_ + ": " + std::to_string(data.x.rows) +
                       " calibration rows; conformal intervals need " + "at least " +
                       std::to_string(kMinConformalRows) + " (fewer give the whole line at 95 %)");
    if (data.dropped_rows > 0 && !quiet_)
      std::fprintf(stderr, "%s: dropped %zu rows with missing or invalid cells\n", data_path_.c_str(),
                   data.dropped_rows);
    auto backend = open_backend(device_, model, quiet_);
    MixtureBatch mix = predict_mixtures(*backend, model, data.x.exact());
    const std::string source = std::to_string(data.x.rows) + " rows of " + data_path_;
    const bool refit = model.spec.target_dim == 1 && data.x.rows >= kMinCalibrationRows;
    if (refit) model.recalibration = fit_recalibration(mix, data.t, {}, source);
    model.conformal = conformal_scores(mix, data.t);
    model.conformal.source = source;
    save_model(model, out_path_);
    if (!quiet_) {
      if (refit)
        std::fprintf(stderr, "recalibration: PIT map of %d bins, NLL on these rows %.5g -> %.5g\n",
                     model.recalibration.maps[0].bins(), model.recalibration.nll_before,
                     model.recalibration.nll_after);
      else if (model.spec.target_dim == 1)
        std::fprintf(stderr,
                     "mdn calibrate: warning: %d rows are too few to refit the recalibration (%lld needed); the "
                     "model keeps %s\n",
                     data.x.rows, kMinCalibrationRows,
                     model.recalibration.applied() ? "the one it had" : "none");
      std::fprintf(stderr, "conformal scores of %zu rows%s written to %s; at 90 %% the PIT radius is",
                   model.conformal.scores[0].size(), data.x.rows > kMaxConformalRows ? " (a random subset)" : "",
                   out_path_.c_str());
      for (std::size_t d = 0; d < model.conformal.scores.size(); ++d)
        std::fprintf(stderr, " %s %.4f", model.target_names[d].c_str(),
                     conformal_radius(model.conformal.scores[d], 0.9));
      std::fprintf(stderr, " (0.45 for a calibrated model)\n");
      for (std::size_t d = 0; d < model.conformal.scores.size(); ++d)
        if (conformal_radius(model.conformal.scores[d], 0.9) >= 0.5)
          std::fprintf(stderr,
                       "mdn calibrate: warning: the model does not fit these rows for '%s': at 90 %% its conformal "
                       "interval is the whole line (are they from the training distribution and units?)\n",
                       model.target_names[d].c_str());
      if (data.x.rows < 50)
        std::fprintf(stderr,
                     "mdn calibrate: warning: only %d calibration rows: the intervals are wide and vary a lot "
                     "from one calibration set to another\n",
                     data.x.rows);
    }
    return 0;
  }

 private:
  std::string model_path_, data_path_, out_path_;
  DeviceKind device_ = DeviceKind::Auto;
  bool drop_invalid_ = false, quiet_ = false;
};

}  // namespace

std::unique_ptr<Command> make_calibrate_command() { return std::make_unique<CalibrateCommand>(); }

}  // namespace mdn::cli
