#include "io/safetensors.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>

#include "io/strict_json.hpp"
#include "mdn/error.hpp"

namespace mdn::io {
namespace {

// a * b, or false when it does not fit in 64 bits (shapes and offsets come from
// untrusted files).
bool checked_mul(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  if (a != 0 && b > UINT64_MAX / a) return false;
  out = a * b;
  return true;
}

// Bytes of a tensor of `shape` with `element_size`-byte elements, or false on overflow.
bool tensor_bytes(const std::vector<std::uint64_t>& shape, std::size_t element_size, std::uint64_t& out) {
  std::uint64_t n = element_size;
  for (const std::uint64_t d : shape)
    if (!checked_mul(n, d, n)) return false;
  out = n;
  return true;
}

std::string shape_string(const std::vector<std::uint64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void put_u64_le(std::ostream& out, std::uint64_t v) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = char((v >> (8 * i)) & 0xFF);
  out.write(bytes, 8);
}

std::uint64_t get_u64_le(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::size_t safetensors_dtype_size(std::string_view dtype) {
  // The byte-sized dtypes of the reference implementation (sub-byte F4/F6
  // types are not supported here).
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "BOOL" || dtype == "U8" || dtype == "I8" || dtype == "F8_E5M2" || dtype == "F8_E4M3" ||
      dtype == "F8_E8M0")
    return 1;
  return 0;
}

std::string f32_to_le_bytes(const float* data, std::size_t count) {
  std::string bytes(count * 4, '\0');
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, &data[i], 4);
    for (int k = 0; k < 4; ++k) bytes[4 * i + k] = char((bits >> (8 * k)) & 0xFF);
  }
  return bytes;
}

std::vector<float> f32_from_le_bytes(std::string_view bytes) {
  std::vector<float> out(bytes.size() / 4);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::uint32_t bits = std::uint32_t(p[4 * i]) | std::uint32_t(p[4 * i + 1]) << 8 |
                               std::uint32_t(p[4 * i + 2]) << 16 | std::uint32_t(p[4 * i + 3]) << 24;
    std::memcpy(&out[i], &bits, 4);
  }
  return out;
}

void write_safetensors(std::ostream& out, const std::vector<TensorBytes>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;  // std::map: keys in sorted order
  std::set<std::string> names;
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    if (t.name == "__metadata__") throw Error("safetensors: '__metadata__' is reserved and cannot name a tensor");
    if (!names.insert(t.name).second) throw Error("safetensors: duplicate tensor name '" + t.name + "'");
    const std::size_t element_size = safetensors_dtype_size(t.dtype);
    if (element_size == 0) throw Error("safetensors: tensor '" + t.name + "': unknown dtype '" + t.dtype + "'");
    std::uint64_t nbytes = 0;
    if (!tensor_bytes(t.shape, element_size, nbytes) || nbytes != t.bytes.size())
      throw Error("safetensors: tensor '" + t.name + "': " + std::to_string(t.bytes.size()) +
                  " bytes of data do not match shape " + shape_string(t.shape) + " of " + t.dtype);
    Json& info = header[t.name];
    info["dtype"] = t.dtype;
    info["shape"] = t.shape;
    info["data_offsets"] = Json::array({offset, offset + nbytes});
    offset += nbytes;
  }
  std::string text;
  try {
    text = dump_json(header);
  } catch (const Error& e) {
    throw Error(std::string("safetensors: cannot write the header: ") + e.what());
  }
  // Pad with spaces as the reference writer does, so the buffer starts at a
  // multiple of 8 bytes from the start of the file (aligned F32/F64 mmap).
  text.append((8 - text.size() % 8) % 8, ' ');
  put_u64_le(out, text.size());
  out.write(text.data(), std::streamsize(text.size()));
  for (const auto& t : tensors) out.write(t.bytes.data(), std::streamsize(t.bytes.size()));
}

SafetensorsReader::SafetensorsReader(std::string path) : path_(std::move(path)) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path_, ec);
  if (!fs::exists(status)) fail("no such file");
  if (fs::is_directory(status)) fail("is a directory, not a model file");
  in_.open(path_, std::ios::binary);
  std::ifstream& in = in_;
  if (!in) fail(std::string("cannot open for reading (") + std::strerror(errno) + ")");
  in.seekg(0, std::ios::end);
  const std::streamoff end = in.tellg();
  in.seekg(0, std::ios::beg);
  if (end < 0 || !in) fail("cannot determine the file size (not a regular file?)");
  const auto file_size = static_cast<std::uint64_t>(end);

  if (file_size == 0) fail("empty file (0 bytes); not a safetensors model file");
  if (file_size < 8)
    fail("not a safetensors file: only " + std::to_string(file_size) +
         " bytes (it must start with an 8-byte header length)");
  unsigned char length_bytes[8];
  if (!in.read(reinterpret_cast<char*>(length_bytes), 8)) fail("read error in the first 8 bytes");
  header_length_ = get_u64_le(length_bytes);
  if (header_length_ > kMaxSafetensorsHeader)
    fail("not a safetensors file: its first 8 bytes give a header length of " + std::to_string(header_length_) +
         " bytes, more than the " + std::to_string(kMaxSafetensorsHeader) + "-byte limit");
  if (header_length_ > file_size - 8)
    fail("truncated or not a safetensors file: the header length is " + std::to_string(header_length_) +
         " bytes but only " + std::to_string(file_size - 8) + " bytes follow the 8-byte length");
  buffer_length_ = file_size - 8 - header_length_;

  std::string header(static_cast<std::size_t>(header_length_), '\0');
  if (!in.read(header.data(), std::streamsize(header.size()))) fail("read error in the header");
  parse_header(header);
}

void SafetensorsReader::fail(const std::string& what) const { throw Error(path_ + ": " + what); }

void SafetensorsReader::parse_header(std::string_view header) {
  Json root;
  try {
    root = parse_json(header);
  } catch (const Error& e) {
    fail(std::string("not a safetensors file: its header is not valid JSON (") + e.what() + ")");
  }
  if (!root.is_object())
    fail(std::string("not a safetensors file: its header is ") + json_type_name(root) + ", not a JSON object");

  for (const auto& item : root.items()) {
    const std::string& name = item.key();
    const Json& entry = item.value();
    if (name == "__metadata__") {
      if (!entry.is_object()) fail("corrupt safetensors header: __metadata__ is not an object");
      for (const auto& meta : entry.items()) {
        if (!meta.value().is_string())
          fail("corrupt safetensors header: metadata \"" + meta.key() + "\" is " + json_type_name(meta.value()) +
               ", not a string");
        metadata_[meta.key()] = meta.value().get<std::string>();
      }
      continue;
    }
    const std::string where = "corrupt safetensors header: tensor '" + name + "': ";
    if (!entry.is_object()) fail(where + "entry is " + json_type_name(entry) + ", not an object");
    const Json* dtype = find_member(entry, "dtype");
    const Json* shape = find_member(entry, "shape");
    const Json* offsets = find_member(entry, "data_offsets");
    if (!dtype || !dtype->is_string()) fail(where + "\"dtype\" is missing or not a string");
    if (!shape || !shape->is_array()) fail(where + "\"shape\" is missing or not an array");
    if (!offsets || !offsets->is_array() || offsets->size() != 2)
      fail(where + "\"data_offsets\" is missing or not a [begin, end] pair");

    TensorInfo info;
    info.name = name;
    info.dtype = dtype->get<std::string>();
    const std::size_t element_size = safetensors_dtype_size(info.dtype);
    if (element_size == 0) fail(where + "unknown dtype \"" + info.dtype + "\"");
    for (const Json& d : *shape) {
      std::uint64_t dim = 0;
      if (!get_uint64(d, dim)) fail(where + "shape holds something other than a non-negative integer");
      info.shape.push_back(dim);
    }
    if (!get_uint64((*offsets)[0], info.begin) || !get_uint64((*offsets)[1], info.end))
      fail(where + "data_offsets are not non-negative integers");
    if (info.end < info.begin)
      fail(where + "data_offsets [" + std::to_string(info.begin) + ", " + std::to_string(info.end) +
           "] end before they begin");
    if (info.end > buffer_length_)
      fail("corrupt or truncated file: tensor '" + name + "' lies at bytes [" + std::to_string(info.begin) + ", " +
           std::to_string(info.end) + ") of the data section, which has only " + std::to_string(buffer_length_) +
           " bytes");
    std::uint64_t nbytes = 0;
    if (!tensor_bytes(info.shape, element_size, nbytes) || nbytes != info.end - info.begin)
      fail(where + "shape " + shape_string(info.shape) + " of " + info.dtype +
           " needs a different number of bytes than data_offsets [" + std::to_string(info.begin) + ", " +
           std::to_string(info.end) + ") hold");
    tensors_.push_back(std::move(info));
  }

  // Like the reference reader: in offset order the tensors must tile the
  // buffer exactly, with no overlap, gap or trailing bytes.
  std::sort(tensors_.begin(), tensors_.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t expected = 0;
  for (std::size_t i = 0; i < tensors_.size(); ++i) {
    const TensorInfo& t = tensors_[i];
    if (t.begin < expected)
      fail("corrupt safetensors header: tensors '" + tensors_[i - 1].name + "' and '" + t.name + "' overlap");
    if (t.begin > expected)
      fail("corrupt safetensors header: bytes [" + std::to_string(expected) + ", " + std::to_string(t.begin) +
           ") of the data section belong to no tensor");
    expected = t.end;
  }
  if (expected != buffer_length_)
    fail("corrupt safetensors file: the data section has " + std::to_string(buffer_length_) +
         " bytes but the tensors cover " + std::to_string(expected));
}

const TensorInfo* SafetensorsReader::find(std::string_view name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

std::string SafetensorsReader::read_buffer() {
  in_.clear();
  in_.seekg(std::streamoff(8 + header_length_));
  std::string buffer(static_cast<std::size_t>(buffer_length_), '\0');
  if (!in_.read(buffer.data(), std::streamsize(buffer.size())))
    fail("read error in the data section (file changed while reading?)");
  return buffer;
}

}  // namespace mdn::io
