// PyModel: a trained model (mdn::Model) and the backend that runs it, the
// object behind mdn._core.Model; and the row loops its methods share.
#pragma once
#include <nanobind/nanobind.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "arrays.hpp"
#include "mdn/backend.hpp"
#include "mdn/inference.hpp"
#include "mdn/matrix.hpp"
#include "mdn/mixture.hpp"
#include "mdn/model.hpp"

namespace mdn_python {

// Rows per chunk of prediction work: the same as `mdn predict`'s default
// --chunk-rows, so memory stays bounded and the work is the CLI's.
constexpr int kChunkRows = 65536;

class PyModel {
 public:
  // UsageError for an unknown device name.
  PyModel(mdn::Model model, std::string device, bool tf32, std::string trained_on = "");

  const mdn::Model& model() const { return model_; }
  // Replaces the conformal interval scores (calibrate); the network is unchanged.
  void set_conformal(mdn::ConformalScores scores) { model_.conformal = std::move(scores); }
  void set_recalibration(mdn::Recalibration r) { model_.recalibration = std::move(r); }
  const std::string& device() const { return device_; }
  bool tf32() const { return tf32_; }
  const std::string& trained_on() const { return trained_on_; }
  // The model search's JSON log (mdn::tune_log_json) when fit searched; "" otherwise.
  const std::string& tune_log() const { return tune_log_; }
  void set_tune_log(std::string log) { tune_log_ = std::move(log); }

  // The device later calls run on; the backend is made again on the next call.
  void set_device(const std::string& device, bool tf32);

  // Runs f(backend) under this model's lock (one call at a time per model:
  // a backend is not thread-safe). Call without the GIL.
  template <class F>
  auto with_backend(F&& f) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!backend_) make_backend();
    return f(*backend_);
  }

  // The backend's name, e.g. "cpu (2 threads)"; releases the GIL.
  std::string backend_name();

 private:
  void make_backend();  // with mutex_ held

  mdn::Model model_;
  std::string device_;
  bool tf32_ = false;
  std::string trained_on_;
  std::string tune_log_;
  std::unique_ptr<mdn::Backend> backend_;
  std::mutex mutex_;
};

// X and y of the same rows, for the scores (nll, crps): UsageError naming
// both counts when they differ. Call without the GIL.
std::pair<mdn::MatrixD, mdn::MatrixD> labelled_rows(PyModel& self, const InArray& x_in, const InArray& t_in);

// Calls chunk(backend, mixtures, begin, rows) for consecutive chunks of
// kChunkRows rows of x. Call without the GIL.
template <class F>
void for_each_chunk(PyModel& self, const mdn::MatrixD& x, F&& chunk) {
  self.with_backend([&](mdn::Backend& backend) {
    for (int begin = 0; begin < x.rows; begin += kChunkRows) {
      const int rows = std::min(kChunkRows, x.rows - begin);
      const mdn::MixtureBatch mix =
          mdn::mixtures_from_head(self.model(), mdn::head_outputs(backend, self.model(), x, begin, rows));
      chunk(backend, mix, begin, rows);
    }
    return 0;
  });
}

}  // namespace mdn_python
