// What `mdn predict`, `mdn sample` and `mdn demo` share: stream a CSV's rows
// through a trained model in chunks and write per-row statistics or samples
// as CSV through an AtomicFile (no partial file on error).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "mdn/backend.hpp"
#include "mdn/conditional.hpp"
#include "mdn/csv.hpp"
#include "mdn/model.hpp"
#include "mdn/sampling.hpp"

namespace mdn::cli {

struct PredictRequest {
  std::string data_path;  // CSV with (at least) the model's feature columns, found by name
  std::string out_path;
  std::vector<double> quantiles{0.05, 0.5, 0.95};
  bool modes = false;                    // mode1_NAME.., mode1_density, .. up to K (the joint density's modes)
  bool correlation = false;              // corr_NAMEi_NAMEj, i < j: the predictive correlation matrix (T >= 2)
  bool params = false;                   // alpha_k, mu_k_NAME, sigma_k_NAME, k = 1..K
  double hdi = 0.0;                      // coverage of the highest-density intervals; 0 = none (T = 1 only)
  double interval = 0.0;                 // NAME_lo, NAME_hi at this level (conformal where the model can); 0 = none
  DeviceKind device = DeviceKind::Auto;  // where the network runs; the statistics run on the host
  int chunk_rows = 65536;
  bool quiet = false;
  CsvOptions csv;                 // --delimiter, --na-values
  bool drop_invalid = false;      // rows with a missing/invalid feature are left out of the output (counted on stderr)
  std::vector<std::string> keep;  // columns of the input copied (as text) in front of every output row
  // --given: observed target values, "NAME=VALUE" each; the outputs are then
  // those of the other targets' conditional distribution (mdn/conditional.hpp).
  std::vector<std::string> given;
  // --given-data: a CSV of observed target values, one row per input row
  // (the columns named after targets are the observed ones).
  std::string given_data;
};
// Returns the number of rows written. Throws mdn::Error / UsageError.
std::int64_t write_predictions(const Model& model, const PredictRequest& request);

struct SampleRequest {
  std::string data_path;
  std::string out_path;
  int samples = 1;
  SampleOptions options;
  DeviceKind device = DeviceKind::Auto;  // cuda: network and sampler on the GPU
  int chunk_rows = 65536;
  bool quiet = false;
  CsvOptions csv;
  bool drop_invalid = false;      // as PredictRequest::drop_invalid; `row` then numbers the rows written
  std::vector<std::string> keep;  // as PredictRequest::keep, in front of every draw's row
  std::vector<std::string> given;  // as PredictRequest::given: draws of the other targets given these
  std::string given_data;          // as PredictRequest::given_data
};
// Long format: row, sample, one column per target. Returns the rows written.
std::int64_t write_samples(const Model& model, const SampleRequest& request);

// --given "NAME=VALUE" items resolved against the model's targets (sorted
// by target); empty observed when there are none. Throws UsageError naming
// --given for an unknown target (with a "did you mean"), a value that is not
// a finite number, a target given twice, or every target given.
TargetObservations parse_given(const Model& model, const std::vector<std::string>& given);

// What --given or --given-data observe: parse_given's single row, or every
// row of the --given-data file (its target columns, all cells numbers).
// Throws UsageError for both at once, or --given-data with --drop-invalid
// (rows would no longer line up), a file with no target column or with every
// one; mdn::Error for a cell that is not a number (file, line, column).
TargetObservations read_given(const Model& model, const std::vector<std::string>& given,
                              const std::string& given_data, const CsvOptions& csv, bool drop_invalid);

// The predictions CSV header for a model and request, whose targets
// `observed` (read_given) are conditioned on and so get no columns.
std::vector<std::string> prediction_header(const Model& model, const PredictRequest& request,
                                           const std::vector<int>& observed = {});

}  // namespace mdn::cli
