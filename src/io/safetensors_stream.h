#pragma once
// Streaming safetensors writing, for checkpoints too large to hold in memory (a 7B BF16
// checkpoint is 14.5 GB). The header is computed up front from the tensor list; the data
// is then appended tensor by tensor, in order, in chunks of any size. Each file is
// written to `<path>.tmp` and renamed when complete, so no partial file ever carries a
// final name. Above a shard size the checkpoint is split the Hugging Face way:
// model-0000k-of-0000n.safetensors + model.safetensors.index.json.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "io/safetensors.h"

namespace logitrank::io {

struct TensorSpec {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::size_t numel() const;
  std::size_t nbytes() const;
};

// The complete header block: u64 little-endian length N, then N bytes of JSON padded with
// spaces to a multiple of 8 (so the data starts 8-byte aligned). Tensors keep their order
// in the JSON and in the data. InputError on duplicate or empty names.
std::string safetensors_header(std::span<const TensorSpec> tensors,
                               const std::map<std::string, std::string>& metadata);

// One safetensors file written sequentially. Usage: construct (writes the header to
// `path.tmp`), append() the bytes of every tensor in order, commit() (renames to `path`).
// Destroying an uncommitted writer removes the .tmp file.
class SafetensorsStreamWriter {
 public:
  SafetensorsStreamWriter(std::filesystem::path path, std::vector<TensorSpec> tensors,
                          std::map<std::string, std::string> metadata = {{"format", "pt"}});
  ~SafetensorsStreamWriter();
  SafetensorsStreamWriter(const SafetensorsStreamWriter&) = delete;
  SafetensorsStreamWriter& operator=(const SafetensorsStreamWriter&) = delete;

  // Appends raw data; may span tensor boundaries. Throws if more than the header
  // announced is written.
  void append(std::span<const std::byte> bytes);
  std::size_t bytes_written() const { return written_; }  // data bytes, header excluded
  std::size_t data_bytes() const { return total_; }
  std::size_t file_bytes() const { return header_bytes_ + total_; }
  // Checks every announced byte was written, closes and renames. Throws otherwise.
  void commit();

 private:
  void abandon() noexcept;
  std::filesystem::path path_, tmp_;
  std::vector<TensorSpec> tensors_;
  std::FILE* file_ = nullptr;
  std::size_t header_bytes_ = 0, total_ = 0, written_ = 0;
  bool committed_ = false;
};

// Hugging Face shard file name: shard_file_name(1, 2) == "model-00001-of-00002.safetensors".
std::string shard_file_name(int k, int n);

// Greedy split in order: a new shard starts when adding the next tensor would push the
// current one past `max_shard_bytes` (a tensor larger than that gets a shard of its own).
// Returns tensor indices per shard; one shard when everything fits.
std::vector<std::vector<std::size_t>> plan_shards(std::span<const TensorSpec> tensors,
                                                  std::size_t max_shard_bytes);

struct CheckpointWriteOptions {
  std::size_t max_shard_bytes = 5'000'000'000;  // HF default "5GB"
  std::size_t chunk_bytes = 32u << 20;          // size of the reused fill buffer
  std::map<std::string, std::string> metadata = {{"format", "pt"}};
  // Called after each chunk: (bytes done, bytes total, tensor being written).
  std::function<void(std::size_t, std::size_t, const std::string&)> progress;
};

// Fills bytes [byte_offset, byte_offset + out.size()) of tensor `index`. Offsets and sizes
// are multiples of the tensor's element size.
using TensorFill = std::function<void(std::size_t index, std::size_t byte_offset, std::span<std::byte> out)>;

// Writes the tensors of a checkpoint into `dir` (created if missing): model.safetensors
// when the data fits in one shard, else shards + model.safetensors.index.json (written
// last). Memory used: one chunk buffer. Stale model*.safetensors / index files of an
// earlier run in `dir` are removed first. Returns the files written (index last).
// InputError when `dir` cannot be created or lacks the free space.
std::vector<std::filesystem::path> write_checkpoint_tensors(const std::filesystem::path& dir,
                                                            std::span<const TensorSpec> tensors,
                                                            const TensorFill& fill,
                                                            const CheckpointWriteOptions& options = {});

// Writes `text` to `path` via `path.tmp` + rename.
void write_text_file_atomic(const std::filesystem::path& path, const std::string& text);

}  // namespace logitrank::io
