// Streaming safetensors writer and HF-style sharding (see safetensors_stream.h).
#include "io/safetensors_stream.h"

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "io/error.h"

namespace logitrank::io {

namespace fs = std::filesystem;

std::size_t TensorSpec::numel() const {
  std::size_t n = 1;
  for (int64_t s : shape) {
    if (s < 0) throw InputError("tensor '" + name + "': negative dimension");
    n *= static_cast<std::size_t>(s);
  }
  return n;
}

std::size_t TensorSpec::nbytes() const { return numel() * dtype_size(dtype); }

std::string safetensors_header(std::span<const TensorSpec> tensors,
                               const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json m = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    j["__metadata__"] = std::move(m);
  }
  std::set<std::string_view> seen;
  std::size_t offset = 0;
  for (const TensorSpec& t : tensors) {
    if (t.name.empty() || t.name == "__metadata__")
      throw InputError("safetensors: invalid tensor name '" + t.name + "'");
    if (!seen.insert(t.name).second) throw InputError("safetensors: duplicate tensor name '" + t.name + "'");
    const std::size_t n = t.nbytes();
    j[t.name] = {{"dtype", std::string(dtype_name(t.dtype))},
                 {"shape", t.shape},
                 {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  std::string json = j.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + json;
}

SafetensorsStreamWriter::SafetensorsStreamWriter(fs::path path, std::vector<TensorSpec> tensors,
                                                 std::map<std::string, std::string> metadata)
    : path_(std::move(path)), tensors_(std::move(tensors)) {
  tmp_ = path_;
  tmp_ += ".tmp";
  const std::string header = safetensors_header(tensors_, metadata);
  header_bytes_ = header.size();
  for (const auto& t : tensors_) total_ += t.nbytes();
  file_ = std::fopen(tmp_.c_str(), "wb");
  if (!file_) throw InputError(tmp_.string() + ": cannot create: " + std::strerror(errno));
  if (std::fwrite(header.data(), 1, header.size(), file_) != header.size()) {
    const int e = errno;
    abandon();
    throw InputError(tmp_.string() + ": write failed: " + std::strerror(e));
  }
}

SafetensorsStreamWriter::~SafetensorsStreamWriter() {
  if (!committed_) abandon();
}

void SafetensorsStreamWriter::abandon() noexcept {
  if (file_) std::fclose(file_);
  file_ = nullptr;
  std::error_code ec;
  fs::remove(tmp_, ec);
}

void SafetensorsStreamWriter::append(std::span<const std::byte> bytes) {
  if (!file_) throw InputError(path_.string() + ": write after commit or failure");
  if (bytes.size() > total_ - written_)
    throw InputError(path_.string() + ": " + std::to_string(written_ + bytes.size()) +
                     " data bytes written but the header announces " + std::to_string(total_));
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    const int e = errno;
    abandon();
    throw InputError(tmp_.string() + ": write failed: " + std::strerror(e));
  }
  written_ += bytes.size();
}

void SafetensorsStreamWriter::commit() {
  if (!file_) throw InputError(path_.string() + ": commit after failure");
  if (written_ != total_) {
    abandon();
    throw InputError(path_.string() + ": only " + std::to_string(written_) + " of " + std::to_string(total_) +
                     " data bytes written");
  }
  const bool ok = std::fflush(file_) == 0;
  const int e = errno;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!ok || !closed) {
    abandon();
    throw InputError(tmp_.string() + ": write failed: " + std::strerror(e));
  }
  std::error_code ec;
  fs::rename(tmp_, path_, ec);
  if (ec) {
    abandon();
    throw InputError(path_.string() + ": cannot rename from .tmp: " + ec.message());
  }
  committed_ = true;
}

std::string shard_file_name(int k, int n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "model-%05d-of-%05d.safetensors", k, n);
  return buf;
}

std::vector<std::vector<std::size_t>> plan_shards(std::span<const TensorSpec> tensors,
                                                  std::size_t max_shard_bytes) {
  std::vector<std::vector<std::size_t>> shards(1);
  std::size_t current = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const std::size_t n = tensors[i].nbytes();
    if (!shards.back().empty() && current + n > max_shard_bytes) {
      shards.emplace_back();
      current = 0;
    }
    shards.back().push_back(i);
    current += n;
  }
  return shards;
}

void write_text_file_atomic(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw InputError(tmp.string() + ": cannot create: " + std::strerror(errno));
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = std::fclose(f) == 0;
  std::error_code ec;
  if (!ok || !closed) {
    fs::remove(tmp, ec);
    throw InputError(tmp.string() + ": write failed");
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw InputError(path.string() + ": cannot rename from .tmp: " + ec.message());
  }
}

namespace {

// Checkpoint weight files an earlier run may have left in `dir`.
void remove_stale_checkpoint_files(const fs::path& dir) {
  static const std::regex shard_re(R"(model-\d{5}-of-\d{5}\.safetensors)");
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n == "model.safetensors" || n == "model.safetensors.index.json" || std::regex_match(n, shard_re))
      fs::remove(e.path(), ec);
  }
}

}  // namespace

std::vector<fs::path> write_checkpoint_tensors(const fs::path& dir, std::span<const TensorSpec> tensors,
                                               const TensorFill& fill,
                                               const CheckpointWriteOptions& options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw InputError(dir.string() + ": cannot create folder: " + ec.message());
  std::size_t total = 0;
  for (const auto& t : tensors) total += t.nbytes();
  const fs::space_info space = fs::space(dir, ec);
  if (!ec && space.available < total + (1u << 20))
    throw InputError(dir.string() + ": needs " + std::to_string(total) + " bytes but only " +
                     std::to_string(space.available) + " are free");
  remove_stale_checkpoint_files(dir);

  const auto shards = plan_shards(tensors, options.max_shard_bytes);
  const int n_shards = static_cast<int>(shards.size());
  // A multiple of 8 so that every chunk boundary falls on an element boundary.
  const std::size_t chunk = std::max<std::size_t>(8, options.chunk_bytes / 8 * 8);
  std::vector<std::byte> buffer(std::min(chunk, std::max<std::size_t>(total, 8)));

  std::vector<fs::path> files;
  nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
  std::size_t done = 0;
  for (int s = 0; s < n_shards; ++s) {
    const std::string fname =
        n_shards == 1 ? std::string("model.safetensors") : shard_file_name(s + 1, n_shards);
    std::vector<TensorSpec> specs;
    for (std::size_t i : shards[s]) specs.push_back(tensors[i]);
    SafetensorsStreamWriter w(dir / fname, specs, options.metadata);
    for (std::size_t i : shards[s]) {
      const std::size_t n = tensors[i].nbytes();
      for (std::size_t off = 0; off < n; off += buffer.size()) {
        std::span<std::byte> out(buffer.data(), std::min(buffer.size(), n - off));
        fill(i, off, out);
        w.append(out);
        done += out.size();
        if (options.progress) options.progress(done, total, tensors[i].name);
      }
      weight_map[tensors[i].name] = fname;
    }
    w.commit();
    files.push_back(dir / fname);
  }
  if (n_shards > 1) {
    nlohmann::ordered_json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
    write_text_file_atomic(dir / "model.safetensors.index.json", index.dump(2) + "\n");
    files.push_back(dir / "model.safetensors.index.json");
  }
  return files;
}

}  // namespace logitrank::io
