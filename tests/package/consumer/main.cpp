// predict_mean MODEL.safetensors DATA.csv [cpu|cuda|auto]
// Loads a model written by `mdn train`, runs it on the model's feature
// columns of DATA.csv and prints each row's predictive mean (one line per row,
// the targets separated by commas), as the *_mean columns of `mdn predict`.
// Then, on stderr, the backend that ran and whether the CUDA module loads.
#include <cstddef>
#include <cstdio>
#include <exception>
#include <string>

#include "mdn/backend.hpp"
#include "mdn/csv.hpp"
#include "mdn/device.hpp"
#include "mdn/inference.hpp"
#include "mdn/model_io.hpp"
#include "mdn/predictive.hpp"

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s MODEL.safetensors DATA.csv [cpu|cuda|auto]\n", argv[0]);
    return 2;
  }
  try {
    const mdn::Model model = mdn::load_model(argv[1]);
    const mdn::MatrixD x =
        mdn::select_numeric(mdn::CsvFile::read(argv[2]), model.feature_names, mdn::InvalidCells::Fail).values;
    const mdn::DeviceKind device = mdn::parse_device(argc > 3 ? argv[3] : "cpu");
    const auto backend = mdn::make_backend(device, model);
    const mdn::MixtureBatch mix = mdn::predict_mixtures(*backend, model, x);
    const mdn::PredictiveMoments moments = mdn::predictive_moments(mix);
    for (int r = 0; r < mix.rows; ++r)
      for (int d = 0; d < mix.T; ++d)
        std::printf("%.17g%c", moments.mean[std::size_t(r) * mix.T + d], d + 1 < mix.T ? ',' : '\n');
    std::fprintf(stderr, "backend: %s\n%s\n", backend->name().c_str(), mdn::cuda_description().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "predict_mean: %s\n", e.what());
    return 1;
  }
  return 0;
}
