#pragma once
// A bounds-checked reader and an atomic writer for safetensors containers:
// u64 little-endian header length, a JSON header, then raw tensor bytes.
// ifq keeps its graph description in the header's __metadata__ and orders
// tensors by element size (largest first) so every tensor is aligned to its
// element size without leaving holes (the format forbids holes).
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace ifq::format {

enum class DType { U8, I8, I16, I32, I64, F32 };
const char* dtype_name(DType dtype);
size_t dtype_size(DType dtype);

struct TensorBlob {
  DType dtype = DType::U8;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

class SafetensorsReader {
 public:
  explicit SafetensorsReader(const std::string& path);  // reads + validates everything

  const std::string& path() const { return path_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  std::string meta(const std::string& key) const;  // throws if missing
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  std::vector<std::string> names() const;

  // Typed access: checks dtype and that the element count equals `count`.
  std::vector<float> f32(const std::string& name, size_t count) const;
  std::vector<int32_t> i32(const std::string& name, size_t count) const;
  std::vector<int64_t> i64(const std::string& name, size_t count) const;
  std::vector<uint8_t> u8(const std::string& name, size_t count) const;
  const TensorBlob& blob(const std::string& name) const;
  // Any signed integer dtype (I8/I16/I32/I64), widened; checks the count.
  std::vector<int64_t> ints(const std::string& name, size_t count) const;
  // Throws ifq::Error naming a tensor no accessor above has read: a file whose
  // graph does not account for all its data is damaged or foreign.
  void require_all_read() const;

 private:
  std::string path_;
  std::map<std::string, std::string> metadata_;
  std::map<std::string, TensorBlob> tensors_;
  mutable std::set<std::string> read_;
  const TensorBlob& typed(const std::string& name, DType dtype, size_t count) const;
};

class SafetensorsWriter {
 public:
  void set_meta(const std::string& key, const std::string& value) { metadata_[key] = value; }
  void add_f32(const std::string& name, const std::vector<float>& values);
  void add_i32(const std::string& name, const std::vector<int32_t>& values);
  void add_i64(const std::string& name, const std::vector<int64_t>& values);
  void add_u8(const std::string& name, const std::vector<uint8_t>& values);
  // Stores integers in the narrowest of I8/I16/I32/I64 that holds them all.
  void add_ints(const std::string& name, const std::vector<int64_t>& values);
  // Writes `path` via a temporary file and rename(2): never half-written.
  void write(const std::string& path) const;

 private:
  std::map<std::string, std::string> metadata_;
  std::map<std::string, TensorBlob> tensors_;
  void add(const std::string& name, DType dtype, const void* data, size_t count);
};

}  // namespace ifq::format
