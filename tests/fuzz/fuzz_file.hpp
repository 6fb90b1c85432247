// The fuzz targets hand their input to the real loaders, which read files:
// each target writes the input to one private temporary file per process.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace mdn::fuzz {

inline const std::string& write_input(const char* what, const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/mdn-fuzz-" + std::string(what) + "-" + std::to_string(::getpid());
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    if (size > 0) std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  return path;
}

// Bitwise equality (a NaN read back is the same NaN).
inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

}  // namespace mdn::fuzz
