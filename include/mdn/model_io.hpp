// Model files: one .safetensors file (weights readable by the standard
// safetensors readers, under the tensor names of the seed's PyTorch MDN
// module) with the spec, standardisation statistics, column names, history and
// a format version in its metadata. See docs/MODEL_FORMAT.md.
#pragma once
#include <string>

#include "mdn/model.hpp"

namespace mdn {

// The newest version this build reads. 4: target transforms (metadata
// "mdn.target_transform"); only a model with one is written as 4, so that an
// older build refuses it rather than read its mixture in the wrong units. 3: full-covariance components (a
// "covariance" key in the spec and the z_offdiag head tensors); a diagonal
// model is still written as version 2, so older builds keep reading it.
// 2: the standardisation statistics are doubles (1: floats; still read, as
// the floats they were).
inline constexpr int kModelFormatVersion = 4;
// The version a model with a target transform is written as.
inline constexpr int kTransformModelFormatVersion = 4;
// The version a diagonal-covariance model is written as.
inline constexpr int kDiagonalModelFormatVersion = 2;
// The version a full-covariance model without a target transform is written as.
inline constexpr int kFullModelFormatVersion = 3;

// Writes atomically (temporary file in the same directory, then rename): a
// failure leaves any previous file at `path` intact. Throws mdn::Error.
void save_model(const Model& model, const std::string& path);

// Refuses a missing, truncated, corrupt, foreign or future-version file with an
// mdn::Error whose message names the file and the problem.
Model load_model(const std::string& path);

}  // namespace mdn
