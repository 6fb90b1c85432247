#include "py_model.hpp"

#include "mdn/device.hpp"
#include "mdn/error.hpp"

namespace mdn_python {

PyModel::PyModel(mdn::Model model, std::string device, bool tf32, std::string trained_on)
    : model_(std::move(model)), device_(std::move(device)), tf32_(tf32), trained_on_(std::move(trained_on)) {
  mdn::parse_device(device_);
}

void PyModel::set_device(const std::string& device, bool tf32) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (device == device_ && tf32 == tf32_) return;
  mdn::parse_device(device);
  device_ = device;
  tf32_ = tf32;
  backend_.reset();
}

void PyModel::make_backend() {
  mdn::CudaOptions cuda;
  cuda.tf32 = tf32_;
  mdn::DeviceKind kind = mdn::parse_device(device_);
  // Full-covariance components run on the CPU only (the CUDA backend refuses
  // them): "auto" is the CPU for such a model, "cuda" a clear error.
  if (model_.spec.covariance == mdn::Covariance::Full) {
    if (kind == mdn::DeviceKind::Cuda)
      throw mdn::UsageError("a full-covariance model runs on the CPU only so far: use device='cpu' or 'auto'");
    kind = mdn::DeviceKind::Cpu;
  }
  backend_ = mdn::make_backend(kind, model_, cuda);
}

std::string PyModel::backend_name() {
  nb::gil_scoped_release release;
  return with_backend([](mdn::Backend& b) { return b.name(); });
}

std::pair<mdn::MatrixD, mdn::MatrixD> labelled_rows(PyModel& self, const InArray& x_in, const InArray& t_in) {
  mdn::MatrixD x = to_matrix(x_in, "X", self.model().spec.input_dim);
  mdn::MatrixD t = to_matrix(t_in, "y", self.model().spec.target_dim);
  if (t.rows != x.rows)
    throw mdn::UsageError("X has " + std::to_string(x.rows) + " rows but y has " + std::to_string(t.rows));
  return {std::move(x), std::move(t)};
}

}  // namespace mdn_python
