#include "mdn/spec.hpp"

#include <algorithm>
#include <string>

#include "mdn/error.hpp"

namespace mdn {

void ModelSpec::validate() const {
  if (input_dim < 1) throw UsageError("model needs at least one input feature (D = " + std::to_string(input_dim) + ")");
  if (target_dim < 1 || target_dim > kMaxTargetDim)
    throw UsageError("T = " + std::to_string(target_dim) + " target columns; 1 to " + std::to_string(kMaxTargetDim) +
                     " are supported");
  if (components < 1 || components > kMaxComponents)
    throw UsageError("K = " + std::to_string(components) + " mixture components; K must be 1 to " +
                     std::to_string(kMaxComponents));
  if (hidden.empty()) throw UsageError("at least one hidden layer width is needed (e.g. 50,50)");
  for (int w : hidden)
    if (w < 1) throw UsageError("hidden layer width " + std::to_string(w) + " is not a positive integer");
  if (activation != "tanh") throw UsageError("activation '" + activation + "' is not supported (only tanh)");
  if (covariance == Covariance::Full && target_dim < 2)
    throw UsageError("full covariance needs at least 2 targets (T = " + std::to_string(target_dim) +
                     "); with one target use the diagonal model");
  if (!(log_sigma_min < log_sigma_max))
    throw UsageError("log-sigma bounds must satisfy min < max (got " + std::to_string(log_sigma_min) + ", " +
                     std::to_string(log_sigma_max) + ")");
}

ParameterLayout::ParameterLayout(const ModelSpec& spec) {
  int in = spec.input_dim;
  std::size_t offset = 0;
  auto add = [&](int out) {
    LayerSlice layer;
    layer.in = in;
    layer.out = out;
    layer.weight_offset = offset;
    offset += std::size_t(in) * std::size_t(out);
    layer.bias_offset = offset;
    offset += std::size_t(out);
    layers.push_back(layer);
    in = out;
  };
  for (int w : spec.hidden) add(w);
  add(spec.head_width());
  total = offset;
}

int ParameterLayout::max_width() const {
  int w = layers.front().in;
  for (const auto& l : layers) w = std::max(w, l.out);
  return w;
}

void check_kernel_limits(int K, int T, const std::string& what) {
  if (K < 1 || K > kMaxComponents || T < 1 || T > kMaxTargetDim)
    throw Error(what + " supports 1 to " + std::to_string(kMaxComponents) + " components and 1 to " +
                std::to_string(kMaxTargetDim) + " targets; this has K = " + std::to_string(K) +
                ", T = " + std::to_string(T));
}

void check_batch(const ModelSpec& spec, const Matrix& x) {
  if (x.cols != spec.input_dim)
    throw Error("input has " + std::to_string(x.cols) + " features; the model expects " +
                std::to_string(spec.input_dim));
}

void check_batch(const ModelSpec& spec, const Matrix& x, const Matrix& t) {
  check_batch(spec, x);
  if (t.cols != spec.target_dim || t.rows != x.rows)
    throw Error("targets are " + std::to_string(t.rows) + " x " + std::to_string(t.cols) + "; expected " +
                std::to_string(x.rows) + " x " + std::to_string(spec.target_dim));
}

namespace {
std::string widths(const std::vector<int>& hidden) {
  std::string out;
  for (std::size_t i = 0; i < hidden.size(); ++i) out += (i ? "," : "") + std::to_string(hidden[i]);
  return out.empty() ? "none" : out;
}
}  // namespace

std::string spec_difference(const ModelSpec& a, const ModelSpec& b) {
  const auto differ = [](const std::string& what, const std::string& x, const std::string& y) {
    return what + ": " + x + " vs " + y;
  };
  if (a.input_dim != b.input_dim)
    return differ("features (D)", std::to_string(a.input_dim), std::to_string(b.input_dim));
  if (a.target_dim != b.target_dim)
    return differ("targets (T)", std::to_string(a.target_dim), std::to_string(b.target_dim));
  if (a.components != b.components)
    return differ("components (K)", std::to_string(a.components), std::to_string(b.components));
  if (a.hidden != b.hidden) return differ("hidden layers", widths(a.hidden), widths(b.hidden));
  if (a.activation != b.activation) return differ("activation", a.activation, b.activation);
  if (a.log_sigma_min != b.log_sigma_min || a.log_sigma_max != b.log_sigma_max)
    return differ("log-sigma bounds", std::to_string(a.log_sigma_min) + ".." + std::to_string(a.log_sigma_max),
                  std::to_string(b.log_sigma_min) + ".." + std::to_string(b.log_sigma_max));
  if (a.covariance != b.covariance) {
    const auto name = [](Covariance c) { return std::string(c == Covariance::Full ? "full" : "diagonal"); };
    return differ("covariance", name(a.covariance), name(b.covariance));
  }
  return {};
}

}  // namespace mdn
