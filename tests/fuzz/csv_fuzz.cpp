// libFuzzer target: the CSV reader and the dataset loader on arbitrary bytes.
// Any input must either load or throw mdn::Error — never crash, hang or read
// out of bounds. Columns are chosen the ways `mdn train` chooses them: the
// last column as target with every other numeric column as a feature, and
// the first as target with the rest named explicitly.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_file.hpp"
#include "mdn/csv.hpp"
#include "mdn/error.hpp"

namespace {

template <typename F>
void expect_error_or_success(F&& f) {
  try {
    f();
  } catch (const mdn::Error&) {
    // A clear error is the expected outcome for most inputs.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = mdn::fuzz::write_input("csv", data, size);
  expect_error_or_success([&] {
    const mdn::CsvFile csv = mdn::CsvFile::read(path);
    const auto& header = csv.header();
    std::size_t bytes = 0;
    for (std::size_t r = 0; r < csv.rows(); ++r)
      for (int c = 0; c < int(header.size()); ++c) bytes += csv.field(r, c).size();
    (void)bytes;
    for (const auto& name : header) (void)csv.find_column(name);
    expect_error_or_success([&] { csv.require_column("no such column"); });

    const auto numeric = csv.numeric_columns();
    if (!numeric.empty()) {
      expect_error_or_success([&] { mdn::select_numeric(csv, numeric, mdn::InvalidCells::DropRow); });
      expect_error_or_success([&] { mdn::select_numeric(csv, numeric, mdn::InvalidCells::Fail); });
    }
    if (header.empty()) return;
    for (auto policy : {mdn::InvalidCells::DropRow, mdn::InvalidCells::Fail})
      expect_error_or_success([&] { mdn::load_dataset(path, {header.back()}, {}, policy); });
    if (header.size() >= 2) {
      const std::vector<std::string> features(header.begin() + 1, header.end());
      expect_error_or_success([&] { mdn::load_dataset(path, {header.front()}, features, mdn::InvalidCells::DropRow); });
      // Two targets, and a target that is also a feature (a usage error).
      expect_error_or_success([&] { mdn::load_dataset(path, {header[0], header[1]}, {}, mdn::InvalidCells::DropRow); });
      expect_error_or_success([&] { mdn::load_dataset(path, {header[0]}, {header[0]}, mdn::InvalidCells::DropRow); });
    }
  });
  return 0;
}
