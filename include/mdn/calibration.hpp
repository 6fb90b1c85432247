// Recalibration after training: a per-target scale on every component's sigma,
// fitted by NLL on held-out rows, folded into the head's log-sigma biases so
// the model stays a Gaussian mixture network (see Model::calibration).
#pragma once
#include <vector>

#include "mdn/matrix.hpp"
#include "mdn/model.hpp"
#include "mdn/spec.hpp"

namespace mdn {

// Mean NLL per row (standardised units; weighted by `weights`, one per row,
// when given) of head outputs z (rows x head_width)
// at targets t (standardised), with shift[d] added to every log-sigma of
// target d before the sigma bounds clamp (full covariance: every covariance
// scaled to S Sigma S, S = diag(exp(shift)), as shift_log_sigma_biases folds
// it). Empty shift = no shift.
double shifted_nll(const ModelSpec& spec, const Matrix& z, const Matrix& t, const std::vector<float>& shift,
                   const std::vector<float>& weights = {});

// The shifts (T values, each in [-kMaxLogSigmaShift, kMaxLogSigmaShift])
// that minimise shifted_nll: golden-section search per target (coordinate
// sweeps when T > 1).
inline constexpr double kMaxLogSigmaShift = 3.0;
std::vector<float> fit_log_sigma_shift(const ModelSpec& spec, const Matrix& z, const Matrix& t,
                                       const std::vector<float>& weights = {});

// Adds sign * shift[d] to the head's log-sigma bias of every component of target d
// (of every member, when params holds several parameter sets). With full
// covariance it also scales the off-diagonal outputs c_ji (weights and bias)
// by exp(sign * (shift_j - shift_i)), so that every component's covariance
// becomes S Sigma S with S = diag(exp(sign * shift)): the same scale of each
// target's marginal sigmas, correlations unchanged.
void shift_log_sigma_biases(const ModelSpec& spec, std::vector<float>& params, const std::vector<float>& shift,
                            float sign = 1.0f);

// The model as it was before calibration and recalibration (a copy; itself
// when it has neither).
Model without_calibration(const Model& model);

}  // namespace mdn
