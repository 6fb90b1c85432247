// Generic reader and writer of the safetensors format
// (https://github.com/huggingface/safetensors):
//
//   [8 bytes]  N, the header length, unsigned little-endian
//   [N bytes]  UTF-8 JSON object: {"__metadata__": {string: string},
//              "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}
//              padded with spaces so that 8 + N is a multiple of 8
//   [rest]     the byte buffer; offsets are relative to its start, tensors are
//              row-major little-endian, and together they cover it exactly
//
// The reader validates everything the reference implementation validates
// (header size cap, JSON, dtypes, shape x dtype size == extent, contiguous
// non-overlapping coverage of the buffer) before any tensor data is read, so a
// foreign or truncated file is refused cheaply. It knows nothing of models;
// model_io.cpp checks names and shapes against the spec.
#pragma once
#include <cstdint>
#include <fstream>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mdn::io {

// The reference reader's cap on N (100 MB): a larger length is not a header.
inline constexpr std::uint64_t kMaxSafetensorsHeader = 100'000'000;

// Bytes per element for a safetensors dtype name ("F32" -> 4); 0 when unknown.
std::size_t safetensors_dtype_size(std::string_view dtype);

struct TensorInfo {
  std::string name;
  std::string dtype;                 // "F32", "F16", "I64", ...
  std::vector<std::uint64_t> shape;  // row-major; empty for a scalar
  std::uint64_t begin = 0;           // byte offsets into the buffer, [begin, end)
  std::uint64_t end = 0;
};

// A tensor to write. `bytes` must hold exactly prod(shape) * dtype size bytes,
// already little-endian.
struct TensorBytes {
  std::string name;
  std::string dtype;
  std::vector<std::uint64_t> shape;
  std::string_view bytes;
};

// F32 data as little-endian bytes (the layout safetensors stores).
std::string f32_to_le_bytes(const float* data, std::size_t count);

// Writes a complete file to `out`: header (metadata first, tensors in the given
// order, which is also their order in the buffer) then the data. Throws
// mdn::Error for a duplicate or reserved name, an unknown dtype, a size
// mismatch or a string that cannot go into JSON. Checking `out` is the
// caller's job (AtomicFile::commit does it).
void write_safetensors(std::ostream& out, const std::vector<TensorBytes>& tensors,
                       const std::map<std::string, std::string>& metadata);

// Opens a file and validates its header. Every error is an mdn::Error whose
// message starts with the path.
class SafetensorsReader {
 public:
  explicit SafetensorsReader(std::string path);

  const std::string& path() const { return path_; }
  // Sorted by begin offset (the order they lie in the buffer).
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find(std::string_view name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  std::uint64_t header_length() const { return header_length_; }
  std::uint64_t buffer_length() const { return buffer_length_; }

  // Reads the whole data buffer (buffer_length() bytes) from the stream opened
  // by the constructor, so a file replaced in between cannot mix two versions.
  std::string read_buffer();

 private:
  [[noreturn]] void fail(const std::string& what) const;
  void parse_header(std::string_view header);

  std::string path_;
  std::ifstream in_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
  std::uint64_t header_length_ = 0;
  std::uint64_t buffer_length_ = 0;
};

// Decodes a little-endian F32 tensor's bytes from a buffer returned by
// read_buffer(). The caller has checked dtype and extent (the reader did).
std::vector<float> f32_from_le_bytes(std::string_view bytes);

}  // namespace mdn::io
