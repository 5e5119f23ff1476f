#include "format/safetensors.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "ifq/atomic_file.hpp"
#include "ifq/checksum.hpp"
#include "ifq/error.hpp"

namespace ifq::format {
namespace {

// Metadata key of the checksums: a JSON object (as a string, since metadata
// values are strings) of tensor name -> CRC-32 as 8 hex digits. Files written
// before it have none and load unchecked.
constexpr const char* kChecksumKey = "ifq.crc32";

std::string hex8(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}


constexpr uint64_t kMaxHeaderBytes = 64ull << 20;   // a graph header is kilobytes
constexpr uint64_t kMaxFileBytes = 4ull << 30;      // models here are megabytes
constexpr size_t kMaxRank = 8;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(path + ": " + what);
}

bool parse_dtype(const std::string& s, DType& out) {
  static const std::pair<const char*, DType> table[] = {{"U8", DType::U8},   {"I8", DType::I8},
                                                        {"I16", DType::I16}, {"I32", DType::I32},
                                                        {"I64", DType::I64}, {"F32", DType::F32}};
  for (auto& [name, d] : table)
    if (s == name) {
      out = d;
      return true;
    }
  return false;
}

}  // namespace

const char* dtype_name(DType d) {
  switch (d) {
    case DType::U8: return "U8";
    case DType::I8: return "I8";
    case DType::I16: return "I16";
    case DType::I32: return "I32";
    case DType::I64: return "I64";
    case DType::F32: return "F32";
  }
  return "?";
}

size_t dtype_size(DType d) {
  switch (d) {
    case DType::U8:
    case DType::I8: return 1;
    case DType::I16: return 2;
    case DType::I32:
    case DType::F32: return 4;
    case DType::I64: return 8;
  }
  return 1;
}

SafetensorsReader::SafetensorsReader(const std::string& path) : path_(path) {
  // A directory opens as a stream whose size reads as huge ("larger than
  // 4 GiB" was the message); name what it is instead.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, not a model file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  in.seekg(0, std::ios::end);
  const std::streamoff end = in.tellg();
  if (end < 0) fail(path, "cannot read file size");
  const uint64_t file_size = uint64_t(end);
  if (file_size > kMaxFileBytes) fail(path, "file is larger than 4 GiB; not an ifq model");
  in.seekg(0);
  std::string bytes(file_size, '\0');
  if (file_size && !in.read(bytes.data(), std::streamsize(file_size))) fail(path, "read error");

  if (file_size < 8) fail(path, "truncated: shorter than the 8-byte header length");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | uint8_t(bytes[i]);
  if (header_len > kMaxHeaderBytes) fail(path, "header length " + std::to_string(header_len) + " is implausibly large (corrupt file?)");
  if (header_len > file_size - 8) fail(path, "truncated: header claims " + std::to_string(header_len) + " bytes but the file has " + std::to_string(file_size - 8));

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + std::ptrdiff_t(header_len));
  } catch (const nlohmann::json::exception& e) {
    fail(path, "header is not valid JSON (corrupt file?): " + plain_message(e));
  }
  if (!header.is_object()) fail(path, "header is not a JSON object");

  const uint64_t data_start = 8 + header_len;
  const uint64_t data_len = file_size - data_start;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it.value().is_object()) fail(path, "__metadata__ must be an object of strings");
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        if (!m.value().is_string()) fail(path, "metadata '" + m.key() + "' is not a string");
        metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string name = it.key();
    const auto& t = it.value();
    if (!t.is_object() || !t.contains("dtype") || !t.contains("shape") || !t.contains("data_offsets") ||
        !t["dtype"].is_string() || !t["shape"].is_array() || !t["data_offsets"].is_array() ||
        t["data_offsets"].size() != 2)
      fail(path, "tensor '" + name + "' has a malformed entry");
    TensorBlob blob;
    if (!parse_dtype(t["dtype"].get<std::string>(), blob.dtype))
      fail(path, "tensor '" + name + "' has unsupported dtype " + t["dtype"].get<std::string>());
    if (t["shape"].size() > kMaxRank) fail(path, "tensor '" + name + "' has too many dimensions");
    uint64_t count = 1;
    for (const auto& d : t["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) fail(path, "tensor '" + name + "' has a bad dimension");
      const uint64_t dim = d.get<uint64_t>();
      if (dim != 0 && count > kMaxFileBytes / dim) fail(path, "tensor '" + name + "' shape is too large");
      count *= dim;
      blob.shape.push_back(int64_t(dim));
    }
    for (const auto& o : t["data_offsets"])
      if (!o.is_number_unsigned()) fail(path, "tensor '" + name + "' has a bad data offset");
    const uint64_t b = t["data_offsets"][0].get<uint64_t>(), e = t["data_offsets"][1].get<uint64_t>();
    if (b > e || e > data_len)
      fail(path, "tensor '" + name + "' data [" + std::to_string(b) + ", " + std::to_string(e) +
                     ") lies outside the " + std::to_string(data_len) + "-byte data section (truncated?)");
    if (e - b != count * dtype_size(blob.dtype))
      fail(path, "tensor '" + name + "' has " + std::to_string(e - b) + " bytes but its shape needs " +
                     std::to_string(count * dtype_size(blob.dtype)));
    blob.bytes.assign(bytes.begin() + std::ptrdiff_t(data_start + b), bytes.begin() + std::ptrdiff_t(data_start + e));
    ranges.emplace_back(b, e);
    tensors_.emplace(name, std::move(blob));
  }
  if (auto it = metadata_.find(kChecksumKey); it != metadata_.end()) {
    nlohmann::json sums;
    try {
      sums = nlohmann::json::parse(it->second);
    } catch (const nlohmann::json::exception& e) {
      fail(path, std::string("checksum metadata is not valid JSON: ") + plain_message(e));
    }
    if (!sums.is_object()) fail(path, "checksum metadata is not a JSON object");
    for (const auto& [name, blob] : tensors_) {
      if (!sums.contains(name) || !sums[name].is_string()) fail(path, "tensor '" + name + "' has no checksum");
      if (sums[name].get<std::string>() != hex8(crc32(0, blob.bytes.data(), blob.bytes.size())))
        fail(path, "tensor '" + name + "' fails its CRC-32 checksum: the file is damaged");
    }
  }
  std::sort(ranges.begin(), ranges.end());
  uint64_t expect = 0;
  for (auto [b, e] : ranges) {
    if (b != expect) fail(path, "tensor data overlaps or leaves a hole (corrupt file?)");
    expect = e;
  }
  if (expect != data_len) fail(path, "file has " + std::to_string(data_len - expect) + " trailing bytes after the tensors (corrupt file?)");
}

std::string SafetensorsReader::meta(const std::string& key) const {
  auto it = metadata_.find(key);
  if (it == metadata_.end()) throw Error(path_ + ": metadata key '" + key + "' is missing");
  return it->second;
}

const TensorBlob& SafetensorsReader::blob(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw Error(path_ + ": tensor '" + name + "' is missing");
  read_.insert(name);
  return it->second;
}

std::vector<std::string> SafetensorsReader::names() const {
  std::vector<std::string> out;
  for (const auto& entry : tensors_) out.push_back(entry.first);
  return out;
}

void SafetensorsReader::require_all_read() const {
  for (const auto& [name, blob] : tensors_)
    if (!read_.count(name))
      throw Error(path_ + ": tensor '" + name + "' is not used by the model's graph (damaged or foreign file)");
}

const TensorBlob& SafetensorsReader::typed(const std::string& name, DType dtype, size_t count) const {
  const TensorBlob& b = blob(name);
  if (b.dtype != dtype)
    throw Error(path_ + ": tensor '" + name + "' is " + dtype_name(b.dtype) + ", expected " + dtype_name(dtype));
  if (b.bytes.size() != count * dtype_size(dtype))
    throw Error(path_ + ": tensor '" + name + "' has " + std::to_string(b.bytes.size() / dtype_size(dtype)) +
                " values, the graph needs " + std::to_string(count));
  return b;
}

template <class T>
static std::vector<T> copy_out(const TensorBlob& b) {
  std::vector<T> v(b.bytes.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), b.bytes.data(), b.bytes.size());
  return v;
}

std::vector<float> SafetensorsReader::f32(const std::string& n, size_t c) const { return copy_out<float>(typed(n, DType::F32, c)); }
std::vector<int32_t> SafetensorsReader::i32(const std::string& n, size_t c) const { return copy_out<int32_t>(typed(n, DType::I32, c)); }
std::vector<int64_t> SafetensorsReader::i64(const std::string& n, size_t c) const { return copy_out<int64_t>(typed(n, DType::I64, c)); }
std::vector<uint8_t> SafetensorsReader::u8(const std::string& n, size_t c) const { return copy_out<uint8_t>(typed(n, DType::U8, c)); }

std::vector<int64_t> SafetensorsReader::ints(const std::string& name, size_t count) const {
  const TensorBlob& b = blob(name);
  if (b.dtype == DType::U8 || b.dtype == DType::F32)
    throw Error(path_ + ": tensor '" + name + "' is " + dtype_name(b.dtype) + ", expected a signed integer type");
  const size_t size = dtype_size(b.dtype);
  if (b.bytes.size() != count * size)
    throw Error(path_ + ": tensor '" + name + "' has " + std::to_string(b.bytes.size() / size) +
                " values, the graph needs " + std::to_string(count));
  std::vector<int64_t> out(count);
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* p = b.bytes.data() + i * size;
    switch (b.dtype) {
      case DType::I8: out[i] = int8_t(p[0]); break;
      case DType::I16: { int16_t v; std::memcpy(&v, p, 2); out[i] = v; break; }
      case DType::I32: { int32_t v; std::memcpy(&v, p, 4); out[i] = v; break; }
      default: { int64_t v; std::memcpy(&v, p, 8); out[i] = v; break; }
    }
  }
  return out;
}

void SafetensorsWriter::add_ints(const std::string& name, const std::vector<int64_t>& values) {
  int64_t lo = 0, hi = 0;
  for (int64_t v : values) lo = std::min(lo, v), hi = std::max(hi, v);
  auto narrow = [&](auto tag, DType dtype) {
    using T = decltype(tag);
    std::vector<T> v(values.begin(), values.end());
    add(name, dtype, v.data(), v.size());
  };
  if (lo >= INT8_MIN && hi <= INT8_MAX) narrow(int8_t{}, DType::I8);
  else if (lo >= INT16_MIN && hi <= INT16_MAX) narrow(int16_t{}, DType::I16);
  else if (lo >= INT32_MIN && hi <= INT32_MAX) narrow(int32_t{}, DType::I32);
  else add(name, DType::I64, values.data(), values.size());
}

void SafetensorsWriter::add(const std::string& name, DType dtype, const void* data, size_t count) {
  TensorBlob b;
  b.dtype = dtype;
  b.shape = {int64_t(count)};
  b.bytes.resize(count * dtype_size(dtype));
  if (count) std::memcpy(b.bytes.data(), data, b.bytes.size());
  tensors_[name] = std::move(b);
}
void SafetensorsWriter::add_f32(const std::string& n, const std::vector<float>& v) { add(n, DType::F32, v.data(), v.size()); }
void SafetensorsWriter::add_i32(const std::string& n, const std::vector<int32_t>& v) { add(n, DType::I32, v.data(), v.size()); }
void SafetensorsWriter::add_i64(const std::string& n, const std::vector<int64_t>& v) { add(n, DType::I64, v.data(), v.size()); }
void SafetensorsWriter::add_u8(const std::string& n, const std::vector<uint8_t>& v) { add(n, DType::U8, v.data(), v.size()); }

void SafetensorsWriter::write(const std::string& path) const {
  // Largest element size first: each tensor then starts aligned to its own
  // element size, with no padding between tensors.
  std::vector<const std::pair<const std::string, TensorBlob>*> order;
  for (const auto& kv : tensors_) order.push_back(&kv);
  std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) {
    return dtype_size(a->second.dtype) > dtype_size(b->second.dtype);
  });
  nlohmann::json sums = nlohmann::json::object();
  for (const auto& [name, blob] : tensors_) sums[name] = hex8(crc32(0, blob.bytes.data(), blob.bytes.size()));
  auto metadata = metadata_;
  metadata[kChecksumKey] = sums.dump();
  nlohmann::json header = nlohmann::json::object();
  header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (auto* kv : order) {
    const TensorBlob& b = kv->second;
    header[kv->first] = {{"dtype", dtype_name(b.dtype)}, {"shape", b.shape},
                         {"data_offsets", {offset, offset + b.bytes.size()}}};
    offset += b.bytes.size();
  }
  std::string text = header.dump();
  while ((8 + text.size()) % 64 != 0) text.push_back(' ');  // data section 64-byte aligned
  std::string out;
  out.reserve(8 + text.size() + offset);
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out.push_back(char((n >> (8 * i)) & 0xff));
  out += text;
  for (auto* kv : order) out.append(reinterpret_cast<const char*>(kv->second.bytes.data()), kv->second.bytes.size());
  write_file_atomic(path, out);
}

}  // namespace ifq::format
