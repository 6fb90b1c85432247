// One Adam update of one parameter, shared by the CPU backend and the CUDA
// Adam kernel (AdamW when weight_decay > 0). bias1 = 1 - beta1^step, bias2 = 1 - beta2^step (step from 1).
#pragma once
#include <cmath>

#include "mdn/detail/host_device.hpp"

namespace mdn::detail {

MDN_HD void adam_update(float& param, float& m, float& v, float grad, float lr, float beta1, float beta2, float eps,
                        float bias1, float bias2, float weight_decay = 0.0f) {
  m = beta1 * m + (1.0f - beta1) * grad;
  v = beta2 * v + (1.0f - beta2) * grad * grad;
  const float m_hat = m / bias1;
  const float v_hat = v / bias2;
  // Decoupled weight decay (AdamW, Loshchilov & Hutter 2019): with 0 the
  // update is bit-identical to plain Adam.
  param -= lr * m_hat / (sqrtf(v_hat) + eps) + lr * weight_decay * param;
}

}  // namespace mdn::detail
