// Internal (src/io): facts as bytes and back, to gather them from the ranks
// that read the parts of one file (mdn/communicator.hpp all_gather). Plain
// values in this build's layout (every rank runs the same build); nothing
// here is stored.
#pragma once
#include <cstddef>
#include <cstring>
#include <string>

#include "mdn/error.hpp"

namespace mdn::io {

struct Packer {
  std::string bytes;
  template <class T>
  void put(T v) {
    bytes.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void put_text(const std::string& s) {
    put((long long)s.size());
    bytes += s;
  }
};

// Reads what a Packer wrote, in the same order; throws mdn::Error naming
// `what` when the bytes end early.
struct Unpacker {
  const std::string& bytes;
  const char* what;
  std::size_t at = 0;
  template <class T>
  T get() {
    T v{};
    if (at + sizeof v > bytes.size()) throw Error(std::string(what) + ": truncated");
    std::memcpy(&v, bytes.data() + at, sizeof v);
    at += sizeof v;
    return v;
  }
  std::string get_text() {
    const std::size_t n = std::size_t(get<long long>());
    if (n > bytes.size() - at) throw Error(std::string(what) + ": truncated");
    at += n;
    return bytes.substr(at - n, n);
  }
};

}  // namespace mdn::io
