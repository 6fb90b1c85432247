// Running a trained model: a backend that holds its weights, and the
// per-row mixtures p(t | x) in original units for raw inputs.
#pragma once
#include <memory>

#include "mdn/backend.hpp"
#include "mdn/matrix.hpp"
#include "mdn/mixture.hpp"
#include "mdn/model.hpp"

namespace mdn {

// A backend for the model's spec on `device`, holding the model's parameters.
// For an ensemble (Model::members > 1) it runs every member and its forward()
// gives the combined head of model.mixture_spec() (M * K components); it
// predicts only.
std::unique_ptr<Backend> make_backend(DeviceKind device, const Model& model, const CudaOptions& options = {});

// The network's head outputs z (count x head_width, standardised units) for
// rows [begin, begin + count) of the raw (original-unit, double) inputs x_raw,
// standardised in double before they are rounded to float.
//
// The invariant every prediction relies on: a row's output depends only on
// the row and its index in x_raw, never on how the caller splits the rows.
// BLAS and cuBLAS results can differ in the last bit with the batch shape, so
// the network always runs on blocks of kForwardBlock rows aligned to
// multiples of kForwardBlock in x_raw (the last one zero-padded): a row meets
// the same GEMM shape at the same position whatever `begin` and `count` are
// (on the same machine, backend and thread count). `mdn predict`, `sample`
// and `eval` all go through here, so they agree to the bit.
inline constexpr int kForwardBlock = 4096;
//
// Rows read in parts (one part per rank) keep the invariant through
// `row_offset`, the index of x_raw's first row among all rows: the blocks are
// aligned to multiples of kForwardBlock of that global index, so a rank's
// rows give the bits the single-process run gives.
Matrix head_outputs(Backend& backend, const Model& model, const MatrixD& x_raw, int begin, int count,
                    long long row_offset = 0);

// The mixtures of every row of x_raw (head_outputs over all rows, mapped to
// original units). The backend must hold model.params (make_backend above).
MixtureBatch predict_mixtures(Backend& backend, const Model& model, const MatrixD& x_raw);

// Inputs far outside the training rows: per feature, how many rows of x_raw
// lie below x_min - margin * (x_max - x_min) or above x_max + margin *
// (x_max - x_min) (Model::x_min/x_max; for a feature that was constant in
// training, any other value). An MDN extrapolates there with no warning of
// its own. Empty when the model has no ranges (older files).
inline constexpr double kOutsideRangeMargin = 0.1;
std::vector<long long> rows_outside_training_range(const Model& model, const MatrixD& x_raw,
                                                   double margin = kOutsideRangeMargin);

}  // namespace mdn
