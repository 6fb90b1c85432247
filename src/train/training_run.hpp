// Internal: one call of mdn::train() as named phases over shared state.
//
//   TrainingRun run(...)   plan: check the options and the ranks, split and
//                          standardise the rows, check a checkpoint to resume,
//                          size the run (TrainPlan), join the device collective
//   run.run()              members: each member's epochs (one after another,
//                          side by side, or shared out over ranks), then
//                          finish: gather the members, recalibrate
//
// An epoch is: draw its data, train, validate (the weight average when
// averaging), roll back on NaN/Inf, keep the best weights, report,
// checkpoint or stop, stop early. Everything here is a function of the data,
// the options and the seed, so a resumed or interrupted run, and members run
// side by side, give the bits of an uninterrupted one after another.
#pragma once
#include <atomic>
#include <chrono>
#include <limits>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mdn/backend.hpp"
#include "mdn/communicator.hpp"
#include "mdn/dataset.hpp"
#include "mdn/model.hpp"
#include "mdn/trainer.hpp"
#include "train/training_data.hpp"

namespace mdn::detail {

class TrainingRun {
 public:
  // The plan phase; throws UsageError / Error for options, data or a
  // checkpoint that cannot work, before any epoch. `consumable`: null, or
  // &data with compact features, which then become the training rows in
  // their own storage (standardise_in_place; data is left without features,
  // targets or lines).
  TrainingRun(Backend& backend, const ModelSpec& spec, const Dataset& data, const TrainOptions& options,
              const TrainHooks& hooks, Dataset* consumable = nullptr);
  ~TrainingRun() { backend_.release_training_rows(); }  // the backend may point at this run's rows
  TrainingRun(const TrainingRun&) = delete;
  TrainingRun& operator=(const TrainingRun&) = delete;

  // The members and finish phases: the trained model.
  Model run();

 private:
  // What one epoch gave, before it is kept or rolled back.
  struct EpochOutcome {
    EpochStats stats;
    double val = 0.0;  // validation NLL (the training loss without validation rows); NaN when not finite
    std::vector<float> params, averaged;  // with weight averaging: the weights and their new average
  };

  // ---- plan
  void check_ranks(const Dataset& data);
  void check_init(const Dataset& data);
  void standardise(const Dataset& data, Dataset* consumable);
  void take_feature_ranges(const DataMatrix& x, const std::vector<int>& rows);
  void take_validation(const Dataset& data);
  void check_resume();
  void take_grid_steps();
  void join_collective();

  // ---- members
  void train_members();
  void release_training_rows();
  void train_alone(int member);
  int train_wave(int member, int wave);
  TrainingState fresh_state(int member, const std::vector<float>& finished) const;
  bool train_member(Backend& b, EpochData& data, TrainingState& st, TrainingHistory& history, bool concurrent);
  EpochOutcome run_epoch(Backend& b, EpochData& data, const TrainingState& st, int epoch, EpochConfig& config);
  void roll_back(Backend& b, TrainingState& st, int epoch);
  bool keep_epoch(Backend& b, TrainingState& st, TrainingHistory& history, int epoch, EpochOutcome& outcome);
  void report_epoch(const TrainingState& st, int epoch, int first_epoch, const EpochOutcome& outcome, bool improved,
                    float lr, std::chrono::steady_clock::time_point member_start);
  bool stop_after(const TrainingState& st, const TrainingHistory& history, int epoch, bool concurrent);
  void write_checkpoint(const std::vector<float>& params, const TrainingHistory& history, const TrainingState& st);
  double validation_nll(Backend& b);
  void hand_rows(Backend& b, const Matrix& x, const Matrix& t, const std::vector<float>& w) const;
  void note_member(const TrainingState& st, const TrainingHistory& history);

  // ---- finish
  void calibrate();
  void recalibrate();
  std::vector<float> validation_weights();
  std::string validation_source() const;
  Matrix validation_heads();
  MixtureBatch validation_mixtures(MatrixD& t);
  void fit_conformal();
  std::vector<std::string> warnings() const;

  // An error every data-parallel rank meets at the same point (they hold the
  // same weights and scores): shown once, by rank 0 (RankError).
  [[noreturn]] void fail_on_every_rank(const std::string& message) const;

  Backend& backend_;
  const ModelSpec& spec_;
  const TrainOptions& options_;
  const TrainHooks& hooks_;
  Communicator& comm_;
  bool data_parallel_ = false;       // one network over several ranks (data is this rank's part)
  bool members_over_ranks_ = false;  // an ensemble's members shared out over ranks
  long long first_row_ = 0, all_rows_ = 0;

  Split split_;
  Model model_;
  Matrix x_train_, t_train_, x_val_, t_val_;  // standardised
  // Sample weights (empty: none): the training rows' scaled to mean 1 over
  // every rank's training rows, the validation rows' as given, and the sum of
  // those over every rank.
  std::vector<float> w_train_, w_val_;
  double val_weight_sum_ = 0.0;
  Matrix t_train_all_;              // every rank's training targets (the initial means; data-parallel only)
  std::vector<float> w_train_all_;  // and their sample weights (empty: none)
  ParameterLayout layout_;
  int members_ = 1;
  TrainingState state_;
  bool resuming_ = false;
  TrainPlan plan_;
  bool cells_in_loss_ = false;  // the backend's loss is the grid cells' (Backend::set_target_cells)
  std::optional<EpochData> epoch_data_;

  // Progress: epochs this call ran (over every member) against those it had
  // left when it started; members side by side report from their threads.
  std::chrono::steady_clock::time_point start_;
  long long epochs_left_at_start_ = 0;
  long long epochs_run_ = 0;  // guarded by report_mutex_
  std::mutex report_mutex_;
  std::atomic<bool> abandon_{false};  // a member side by side failed: the others stop too

  // What the warnings are made of, over every member (guarded by report_mutex_).
  int rollbacks_ = 0;
  double worst_kept_nll_ = -std::numeric_limits<double>::infinity();
  bool best_epoch_first_ = false;

  std::vector<float> ensemble_params_;  // finished members' best weights, in member order
  std::string my_members_;              // members over ranks: (index, best weights) records of this rank's
};

}  // namespace mdn::detail
