#pragma once
// safetensors files: a reader over mmap (tensors looked up by name, never copied)
// and a writer. Format: u64 little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the data.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace logitrank::io {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

std::string_view dtype_name(DType t);      // "F32", ...
std::size_t dtype_size(DType t);           // bytes per element
DType parse_dtype(std::string_view name);  // throws InputError on unknown names

// A tensor inside a mapped file. `data` stays valid while the owning file lives.
struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;
  std::size_t nbytes = 0;
  std::filesystem::path file;  // for error messages

  int64_t numel() const;
};

// Element conversion (F64/F32/F16/BF16 -> float or double). `out.size()` must equal numel.
// Throws InputError (naming file and tensor) for non-float dtypes or a size mismatch.
void convert_to(const TensorView& t, std::span<float> out);
void convert_to(const TensorView& t, std::span<double> out);
// Convert a contiguous range of elements [offset, offset + out.size()).
void convert_range(const TensorView& t, std::size_t offset, std::span<float> out);
void convert_range(const TensorView& t, std::size_t offset, std::span<double> out);

// One safetensors file, memory-mapped read-only. The constructor validates the header
// against the file (length, JSON, dtypes, shapes vs byte sizes, offsets in bounds and
// non-overlapping) and throws InputError naming the file (and tensor) at fault.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const TensorView* find(std::string_view name) const;  // nullptr if absent
  const TensorView& at(std::string_view name) const;    // InputError if absent
  std::vector<std::string> names() const;               // sorted
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  std::filesystem::path path_;
  void* map_ = nullptr;
  std::size_t map_size_ = 0;
  std::map<std::string, TensorView, std::less<>> tensors_;
  std::map<std::string, std::string> metadata_;
};

// A checkpoint's tensors: one model.safetensors, or the shards listed in
// model.safetensors.index.json ("weight_map"). Lookup by name across shards.
class TensorStore {
 public:
  // `dir`: a folder with model.safetensors or model.safetensors.index.json,
  // or a path to a single .safetensors file.
  static std::unique_ptr<TensorStore> open(const std::filesystem::path& dir);

  const TensorView* find(std::string_view name) const;
  const TensorView& at(std::string_view name) const;  // InputError naming the file/tensor
  std::vector<std::string> names() const;
  std::vector<std::filesystem::path> files() const;
  std::size_t total_bytes() const;  // sum of tensor bytes

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorView*, std::less<>> index_;
};

// Writes a safetensors file. Tensors are written in the order added (names must be
// unique); the file is written to `path.tmp` and renamed, so a reader never sees a
// partial file.
class SafetensorsWriter {
 public:
  void add(std::string name, DType dtype, std::vector<int64_t> shape, std::span<const std::byte> bytes);
  void add_f64(std::string name, std::vector<int64_t> shape, std::span<const double> values);
  void add_f32(std::string name, std::vector<int64_t> shape, std::span<const float> values);
  void add_i64(std::string name, std::vector<int64_t> shape, std::span<const int64_t> values);
  void set_metadata(std::string key, std::string value);
  void write(const std::filesystem::path& path) const;

 private:
  struct Entry {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<std::byte> bytes;
  };
  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace logitrank::io
