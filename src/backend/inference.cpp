#include "mdn/inference.hpp"

#include <algorithm>
#include <string>

#include "mdn/error.hpp"

namespace mdn {

std::unique_ptr<Backend> make_backend(DeviceKind device, const Model& model, const CudaOptions& options) {
  auto backend = make_backend(device, model.spec, options);
  backend->set_parameters(model.params);
  return backend;
}

Matrix head_outputs(Backend& backend, const Model& model, const Matrix& x_raw, int begin, int count) {
  const int D = x_raw.cols, W = model.spec.head_width();
  if (D != model.spec.input_dim)
    throw Error("data has " + std::to_string(D) + " feature columns; the model expects " +
                std::to_string(model.spec.input_dim));
  if (begin < 0 || count < 0 || begin + count > x_raw.rows)
    throw Error("rows " + std::to_string(begin) + " .. " + std::to_string(begin + count) + " are outside the " +
                std::to_string(x_raw.rows) + " rows of the data");
  Matrix z(count, W);
  Matrix block(kForwardBlock, D);
  for (int first = begin / kForwardBlock * kForwardBlock; first < begin + count; first += kForwardBlock) {
    const int n = std::min(kForwardBlock, x_raw.rows - first);
    std::fill(block.data.begin(), block.data.end(), 0.0f);
    std::copy(x_raw.row(first), x_raw.row(first) + std::size_t(n) * D, block.data.begin());
    const Matrix zb = backend.forward(model.stats.standardize_x(block));
    const int lo = std::max(begin, first), hi = std::min(begin + count, first + n);
    std::copy(zb.row(lo - first), zb.row(hi - first), z.row(lo - begin));
  }
  return z;
}

MixtureBatch predict_mixtures(Backend& backend, const Model& model, const Matrix& x_raw) {
  return mixtures_from_head(model, head_outputs(backend, model, x_raw, 0, x_raw.rows));
}

}  // namespace mdn
