// Fitting the recalibration of a predictive distribution: a monotone map of
// its PIT (mdn/pit_map.hpp), chosen on calibration rows the network did not
// train on (docs/PREDICT.md, "Recalibration").
//
// The map is the cumulative histogram of the calibration PITs over M equal
// bins with one pseudo-count per bin (so every bin keeps a positive height).
// M is chosen from {1, 3, 5, 10, 20, 40} by the leave-one-out log-likelihood
// of the PITs under that histogram, among the M with at least
// kRowsPerPitBin rows per bin, a larger M only when it beats the best so far
// by 3 nats; M = 1 is the identity (no change), so a model that is already
// calibrated on these rows stays as it is. The rules were chosen by
// measurement (docs/TRAINING.md): a fixed M of 20 cost a calibrated model up
// to 0.1 nats on 50 rows; this choice costs it about 0.001 on average and
// gains 0.3-0.4 nats on over-dispersed ensembles.
#pragma once
#include <string>
#include <vector>

#include "mdn/matrix.hpp"
#include "mdn/mixture.hpp"
#include "mdn/model.hpp"
#include "mdn/pit_map.hpp"

namespace mdn {

inline constexpr int kRowsPerPitBin = 16;
inline constexpr int kMaxPitBins = 40;

// The map for PIT values u_i in [0, 1] (weights w_i >= 0, empty = all 1).
PitMap fit_pit_map(const std::vector<double>& pit, const std::vector<double>& weights = {});

// One map per target from the mixtures of calibration rows (without maps)
// and their observed targets t (rows x T). Throws mdn::Error unless T = 1
// (several targets need a joint recalibration this does not do) or when the
// shapes disagree.
std::vector<PitMap> fit_pit_maps(const MixtureBatch& mix, const MatrixD& t, const std::vector<double>& weights = {});

// The whole record: maps fitted on the rows of `mix` (its own maps, if any,
// are dropped first) and the mean NLL per row (weighted) of those rows
// without and with them, plus `log_jacobian` (Standardizer::log_jacobian()
// when mix and t are standardised; 0 in original units). mix carries the new
// maps afterwards. `source` says where the rows came from.
Recalibration fit_recalibration(MixtureBatch& mix, const MatrixD& t, const std::vector<double>& weights,
                                const std::string& source, double log_jacobian = 0.0);

}  // namespace mdn
