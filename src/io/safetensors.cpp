// safetensors reader (mmap, validated header) and writer (atomic rename).
#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "io/error.h"
#include "io/float16.h"
#include "io/json_file.h"

namespace logitrank::io {

namespace fs = std::filesystem;

namespace {

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

[[noreturn]] void fail(const fs::path& file, const std::string& what) {
  throw InputError(file.string() + ": " + what);
}
[[noreturn]] void fail_tensor(const fs::path& file, std::string_view tensor, const std::string& what) {
  throw InputError(file.string() + ": tensor '" + std::string(tensor) + "': " + what);
}

bool is_float(DType t) { return t == DType::F64 || t == DType::F32 || t == DType::F16 || t == DType::BF16; }

template <typename Out>
void convert_impl(const TensorView& t, std::size_t offset, std::span<Out> out) {
  if (!is_float(t.dtype))
    fail_tensor(t.file, t.name,
                "dtype " + std::string(dtype_name(t.dtype)) + " is not a floating-point type");
  const std::size_t n = static_cast<std::size_t>(t.numel());
  if (offset > n || out.size() > n - offset)
    fail_tensor(t.file, t.name,
                "element range [" + std::to_string(offset) + ", " + std::to_string(offset + out.size()) +
                    ") outside " + std::to_string(n) + " elements");
  const std::byte* p = t.data + offset * dtype_size(t.dtype);
  const std::size_t m = out.size();
  switch (t.dtype) {
    case DType::F64:
      for (std::size_t i = 0; i < m; ++i) {
        double v;
        std::memcpy(&v, p + 8 * i, 8);
        out[i] = static_cast<Out>(v);
      }
      break;
    case DType::F32:
      if constexpr (std::is_same_v<Out, float>) {
        std::memcpy(out.data(), p, 4 * m);
      } else {
        for (std::size_t i = 0; i < m; ++i) {
          float v;
          std::memcpy(&v, p + 4 * i, 4);
          out[i] = v;
        }
      }
      break;
    case DType::F16:
      for (std::size_t i = 0; i < m; ++i) {
        uint16_t v;
        std::memcpy(&v, p + 2 * i, 2);
        out[i] = f16_to_float(v);
      }
      break;
    case DType::BF16:
      for (std::size_t i = 0; i < m; ++i) {
        uint16_t v;
        std::memcpy(&v, p + 2 * i, 2);
        out[i] = bf16_to_float(v);
      }
      break;
    default:
      break;
  }
}

// a * b with overflow detection
bool mul_ok(uint64_t a, uint64_t b, uint64_t& r) { return !__builtin_mul_overflow(a, b, &r); }

}  // namespace

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::F64:
      return "F64";
    case DType::F32:
      return "F32";
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
    case DType::I64:
      return "I64";
    case DType::I32:
      return "I32";
    case DType::I16:
      return "I16";
    case DType::I8:
      return "I8";
    case DType::U8:
      return "U8";
    case DType::BOOL:
      return "BOOL";
  }
  return "?";
}

std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::F64:
    case DType::I64:
      return 8;
    case DType::F32:
    case DType::I32:
      return 4;
    case DType::F16:
    case DType::BF16:
    case DType::I16:
      return 2;
    case DType::I8:
    case DType::U8:
    case DType::BOOL:
      return 1;
  }
  return 0;
}

DType parse_dtype(std::string_view name) {
  static const std::pair<std::string_view, DType> table[] = {
      {"F64", DType::F64}, {"F32", DType::F32},  {"F16", DType::F16}, {"BF16", DType::BF16},
      {"I64", DType::I64}, {"I32", DType::I32},  {"I16", DType::I16}, {"I8", DType::I8},
      {"U8", DType::U8},   {"BOOL", DType::BOOL}};
  for (const auto& [n, t] : table)
    if (n == name) return t;
  throw InputError("unknown safetensors dtype '" + std::string(name) +
                   "' (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

void convert_to(const TensorView& t, std::span<float> out) {
  if (out.size() != static_cast<std::size_t>(t.numel()))
    fail_tensor(t.file, t.name,
                "conversion buffer holds " + std::to_string(out.size()) + " elements, tensor has " +
                    std::to_string(t.numel()));
  convert_impl(t, 0, out);
}
void convert_to(const TensorView& t, std::span<double> out) {
  if (out.size() != static_cast<std::size_t>(t.numel()))
    fail_tensor(t.file, t.name,
                "conversion buffer holds " + std::to_string(out.size()) + " elements, tensor has " +
                    std::to_string(t.numel()));
  convert_impl(t, 0, out);
}
void convert_range(const TensorView& t, std::size_t offset, std::span<float> out) {
  convert_impl(t, offset, out);
}
void convert_range(const TensorView& t, std::size_t offset, std::span<double> out) {
  convert_impl(t, offset, out);
}

// ---------------------------------------------------------------- SafetensorsFile

SafetensorsFile::SafetensorsFile(const fs::path& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    fail(path, std::string("cannot stat: ") + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, "not a regular file");
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    fail(path,
         "file is " + std::to_string(size) + " bytes, too short for a safetensors header length (8 bytes)");
  }
  void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int e = errno;
  ::close(fd);
  if (m == MAP_FAILED) fail(path, std::string("cannot mmap: ") + std::strerror(e));
  map_ = m;
  map_size_ = size;
  try {
    const auto* base = static_cast<const std::byte*>(map_);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(base[i]);
    if (n > size - 8)
      fail(path, "header length " + std::to_string(n) + " exceeds the file size " + std::to_string(size) +
                     " (truncated or not a safetensors file)");
    if (n < 2) fail(path, "header length " + std::to_string(n) + " is too small for a JSON object");
    const char* hp = reinterpret_cast<const char*>(base + 8);
    nlohmann::json header;
    try {
      header = nlohmann::json::parse(hp, hp + n);
    } catch (const nlohmann::json::exception& ex) {
      fail(path, "invalid JSON header: " + one_line(ex.what()));
    }
    if (!header.is_object()) fail(path, "header is not a JSON object");
    const uint64_t data_size = size - 8 - n;
    const std::byte* data = base + 8 + n;

    struct Range {
      uint64_t begin, end;
      std::string name;
    };
    std::vector<Range> ranges;
    for (auto it = header.begin(); it != header.end(); ++it) {
      const std::string& name = it.key();
      const auto& v = it.value();
      if (name == "__metadata__") {
        if (v.is_null()) continue;
        if (!v.is_object()) fail(path, "__metadata__ is not a JSON object");
        for (auto m2 = v.begin(); m2 != v.end(); ++m2) {
          if (!m2.value().is_string()) fail(path, "__metadata__ key '" + m2.key() + "' is not a string");
          metadata_[m2.key()] = m2.value().get<std::string>();
        }
        continue;
      }
      if (!v.is_object()) fail_tensor(path, name, "header entry is not a JSON object");
      auto dt = v.find("dtype");
      auto sh = v.find("shape");
      auto off = v.find("data_offsets");
      if (dt == v.end() || !dt->is_string()) fail_tensor(path, name, "missing or non-string 'dtype'");
      if (sh == v.end() || !sh->is_array()) fail_tensor(path, name, "missing or non-array 'shape'");
      if (off == v.end() || !off->is_array() || off->size() != 2)
        fail_tensor(path, name, "'data_offsets' must be an array [begin, end]");
      TensorView t;
      t.name = name;
      t.file = path;
      try {
        t.dtype = parse_dtype(dt->get<std::string>());
      } catch (const InputError& ex) {
        fail_tensor(path, name, ex.what());
      }
      uint64_t numel = 1;
      for (const auto& d : *sh) {
        if (!d.is_number_integer() || d.get<int64_t>() < 0)
          fail_tensor(path, name,
                      "shape " + one_line(sh->dump()) + " has a non-integer or negative dimension");
        uint64_t dim = d.get<uint64_t>();
        if (!mul_ok(numel, dim, numel) || numel > (uint64_t{1} << 62))
          fail_tensor(path, name, "shape " + one_line(sh->dump()) + " is too large");
        t.shape.push_back(static_cast<int64_t>(dim));
      }
      for (const auto& o : *off)
        if (!o.is_number_unsigned() && !(o.is_number_integer() && o.get<int64_t>() >= 0))
          fail_tensor(path, name, "data_offsets " + one_line(off->dump()) + " are not non-negative integers");
      const uint64_t b = (*off)[0].get<uint64_t>(), e2 = (*off)[1].get<uint64_t>();
      if (b > e2)
        fail_tensor(path, name,
                    "data_offsets [" + std::to_string(b) + ", " + std::to_string(e2) + "] decrease");
      if (e2 > data_size)
        fail_tensor(path, name,
                    "data_offsets [" + std::to_string(b) + ", " + std::to_string(e2) +
                        "] exceed the data section (" + std::to_string(data_size) +
                        " bytes; file truncated?)");
      uint64_t expect = 0;
      if (!mul_ok(numel, dtype_size(t.dtype), expect) || expect != e2 - b)
        fail_tensor(path, name,
                    "shape " + one_line(sh->dump()) + " x " + std::string(dtype_name(t.dtype)) + " needs " +
                        std::to_string(numel * dtype_size(t.dtype)) + " bytes but data_offsets span " +
                        std::to_string(e2 - b));
      t.data = data + b;
      t.nbytes = static_cast<std::size_t>(e2 - b);
      ranges.push_back({b, e2, name});
      tensors_.emplace(name, std::move(t));
    }
    std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    const Range* widest = nullptr;  // the non-empty range seen so far reaching furthest
    for (const Range& c : ranges) {
      if (c.begin == c.end) continue;  // zero-size tensors may share an offset with anything
      if (widest && c.begin < widest->end)
        fail(path, "tensors '" + widest->name + "' [" + std::to_string(widest->begin) + ", " +
                       std::to_string(widest->end) + "] and '" + c.name + "' [" + std::to_string(c.begin) +
                       ", " + std::to_string(c.end) + "] overlap");
      if (!widest || c.end > widest->end) widest = &c;
    }
  } catch (...) {
    ::munmap(map_, map_size_);
    map_ = nullptr;
    throw;
  }
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(map_, map_size_);
}

const TensorView* SafetensorsFile::find(std::string_view name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

const TensorView& SafetensorsFile::at(std::string_view name) const {
  if (const auto* t = find(name)) return *t;
  fail_tensor(path_, name, "not found");
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& [n, t] : tensors_) out.push_back(n);
  return out;
}

// ---------------------------------------------------------------- TensorStore

std::unique_ptr<TensorStore> TensorStore::open(const fs::path& dir) {
  auto store = std::make_unique<TensorStore>();
  std::error_code ec;
  if (fs::is_regular_file(dir, ec)) {
    store->files_.push_back(std::make_unique<SafetensorsFile>(dir));
    for (const auto& n : store->files_[0]->names()) store->index_.emplace(n, store->files_[0]->find(n));
    return store;
  }
  if (!fs::is_directory(dir, ec)) throw InputError(dir.string() + ": no such file or folder");
  const fs::path index = dir / "model.safetensors.index.json";
  const fs::path single = dir / "model.safetensors";
  if (fs::exists(index, ec)) {
    nlohmann::json j = read_json_file(index);
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
      throw InputError(index.string() + ": missing object 'weight_map'");
    std::map<std::string, SafetensorsFile*> by_name;
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
      if (!it.value().is_string())
        throw InputError(index.string() + ": weight_map entry '" + it.key() + "' is not a file name");
      const std::string shard = it.value().get<std::string>();
      if (shard.empty() || fs::path(shard).is_absolute() || shard.find("..") != std::string::npos)
        throw InputError(index.string() + ": weight_map entry '" + it.key() + "' names an invalid shard '" +
                         shard + "'");
      auto f = by_name.find(shard);
      if (f == by_name.end()) {
        const fs::path sp = dir / shard;
        if (!fs::exists(sp, ec))
          throw InputError(index.string() + ": tensor '" + it.key() + "' is in shard " + sp.string() +
                           " which does not exist");
        store->files_.push_back(std::make_unique<SafetensorsFile>(sp));
        f = by_name.emplace(shard, store->files_.back().get()).first;
      }
      const TensorView* t = f->second->find(it.key());
      if (!t)
        throw InputError(f->second->path().string() + ": tensor '" + it.key() + "' listed in " +
                         index.string() + " is missing from this shard");
      store->index_.emplace(it.key(), t);
    }
    if (store->files_.empty()) throw InputError(index.string() + ": weight_map is empty");
    return store;
  }
  if (fs::exists(single, ec)) {
    store->files_.push_back(std::make_unique<SafetensorsFile>(single));
    for (const auto& n : store->files_[0]->names()) store->index_.emplace(n, store->files_[0]->find(n));
    return store;
  }
  throw InputError(dir.string() + ": no model.safetensors or model.safetensors.index.json in this folder");
}

const TensorView* TensorStore::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

const TensorView& TensorStore::at(std::string_view name) const {
  if (const auto* t = find(name)) return *t;
  std::string where;
  for (std::size_t i = 0; i < files_.size(); ++i) where += (i ? ", " : "") + files_[i]->path().string();
  throw InputError(where + ": tensor '" + std::string(name) + "' not found");
}

std::vector<std::string> TensorStore::names() const {
  std::vector<std::string> out;
  for (const auto& [n, t] : index_) out.push_back(n);
  return out;
}

std::vector<fs::path> TensorStore::files() const {
  std::vector<fs::path> out;
  for (const auto& f : files_) out.push_back(f->path());
  return out;
}

std::size_t TensorStore::total_bytes() const {
  std::size_t s = 0;
  for (const auto& [n, t] : index_) s += t->nbytes;
  return s;
}

// ---------------------------------------------------------------- SafetensorsWriter

void SafetensorsWriter::add(std::string name, DType dtype, std::vector<int64_t> shape,
                            std::span<const std::byte> bytes) {
  if (name.empty() || name == "__metadata__")
    throw InputError("safetensors writer: invalid tensor name '" + name + "'");
  for (const auto& e : entries_)
    if (e.name == name) throw InputError("safetensors writer: duplicate tensor name '" + name + "'");
  uint64_t n = 1;
  for (int64_t s : shape) {
    if (s < 0) throw InputError("safetensors writer: tensor '" + name + "' has a negative dimension");
    n *= static_cast<uint64_t>(s);
  }
  if (n * dtype_size(dtype) != bytes.size())
    throw InputError("safetensors writer: tensor '" + name + "' has " + std::to_string(bytes.size()) +
                     " bytes but its shape needs " + std::to_string(n * dtype_size(dtype)));
  entries_.push_back(
      {std::move(name), dtype, std::move(shape), std::vector<std::byte>(bytes.begin(), bytes.end())});
}

void SafetensorsWriter::add_f64(std::string name, std::vector<int64_t> shape,
                                std::span<const double> values) {
  add(std::move(name), DType::F64, std::move(shape), std::as_bytes(values));
}
void SafetensorsWriter::add_f32(std::string name, std::vector<int64_t> shape, std::span<const float> values) {
  add(std::move(name), DType::F32, std::move(shape), std::as_bytes(values));
}
void SafetensorsWriter::add_i64(std::string name, std::vector<int64_t> shape,
                                std::span<const int64_t> values) {
  add(std::move(name), DType::I64, std::move(shape), std::as_bytes(values));
}
void SafetensorsWriter::set_metadata(std::string key, std::string value) {
  metadata_[std::move(key)] = std::move(value);
}

void SafetensorsWriter::write(const fs::path& path) const {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata_.empty()) {
    nlohmann::ordered_json m = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata_) m[k] = v;
    header["__metadata__"] = m;
  }
  uint64_t offset = 0;
  for (const auto& e : entries_) {
    nlohmann::ordered_json t;
    t["dtype"] = std::string(dtype_name(e.dtype));
    t["shape"] = e.shape;
    t["data_offsets"] = {offset, offset + e.bytes.size()};
    offset += e.bytes.size();
    header[e.name] = t;
  }
  std::string h = header.dump();
  while (h.size() % 8 != 0) h.push_back(' ');
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError(tmp.string() + ": cannot create file for writing");
    unsigned char len[8];
    uint64_t n = h.size();
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>((n >> (8 * i)) & 0xff);
    out.write(reinterpret_cast<const char*>(len), 8);
    out.write(h.data(), static_cast<std::streamsize>(h.size()));
    for (const auto& e : entries_)
      out.write(reinterpret_cast<const char*>(e.bytes.data()), static_cast<std::streamsize>(e.bytes.size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw InputError(tmp.string() + ": write failed (disk full?)");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw InputError(path.string() + ": cannot rename " + tmp.string() + " into place");
  }
}

}  // namespace logitrank::io
