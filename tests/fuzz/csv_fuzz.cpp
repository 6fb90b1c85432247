// libFuzzer target: the CSV reader on arbitrary bytes. Any input must either
// parse or throw mdn::Error — never crash, hang or read out of bounds.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "mdn/csv.hpp"
#include "mdn/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/mdn-csv-fuzz-" + std::to_string(::getpid()) + ".csv";
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  try {
    const mdn::CsvFile csv = mdn::CsvFile::read(path);
    const auto numeric = csv.numeric_columns();
    if (!numeric.empty()) {
      mdn::select_numeric(csv, numeric, mdn::InvalidCells::DropRow);
      mdn::select_numeric(csv, numeric, mdn::InvalidCells::Fail);
    }
    if (!csv.header().empty()) {
      mdn::load_dataset(path, {csv.header().back()}, {}, mdn::InvalidCells::DropRow);
    }
  } catch (const mdn::Error&) {
    // A clear error is the expected outcome for most inputs.
  }
  return 0;
}
