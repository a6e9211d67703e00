#pragma once
// Random checkpoints in exactly the layout of real models (tensor names, shapes, dtypes
// and the Hugging Face config.json), so that real-size runs can be timed without the
// real weights. Known shapes: gpt2, llama-3.2-1b, llama-3.2-3b, qwen2.5-3b, mistral-7b,
// and the tiny test fixtures tiny-gpt2, tiny-llama, tiny-qwen2, tiny-mistral.
//
// Values: every matrix, embedding and bias ~ normal(0, 0.02); norm gains 1; LayerNorm
// biases 0; GPT-2's `h.N.attn.bias` causal-mask buffer is the lower-triangular ones
// matrix it holds in the real file. Element i of a tensor depends only on (seed, tensor
// name, i) through a counter-based generator (splitmix64 + Box-Muller), so the bytes do
// not depend on the chunking or the number of threads.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/safetensors.h"
#include "io/safetensors_stream.h"

namespace logitrank::model {

enum class Init { Normal, Ones, Zeros, CausalMask };

struct PlannedTensor {
  std::string name;
  std::vector<int64_t> shape;
  Init init = Init::Normal;
  double stddev = 0.02;   // for Init::Normal
  bool parameter = true;  // false for buffers (GPT-2's attn.bias mask)
  int64_t numel() const;
};

struct CheckpointPlan {
  std::string like;                  // the NAME it was made from
  io::DType dtype = io::DType::F32;  // storage dtype of every tensor
  nlohmann::ordered_json config;     // the config.json content
  std::vector<PlannedTensor> tensors;

  int64_t parameter_count() const;  // numel summed over parameters (buffers excluded)
  std::size_t total_bytes() const;  // tensor data bytes, buffers included
  std::vector<io::TensorSpec> specs() const;
};

// The known NAMEs, real models first.
std::vector<std::string> known_checkpoints();

// The plan for NAME (see known_checkpoints()); `dtype` overrides the model's storage
// dtype (F32, F16 or BF16), `layers` its number of layers. InputError for an unknown NAME,
// an unsupported dtype or layers < 1.
CheckpointPlan plan_checkpoint(std::string_view like, std::optional<io::DType> dtype = std::nullopt,
                               std::optional<int> layers = std::nullopt);

// "bf16" / "f32" / "f16" (case-insensitive, also "bfloat16", "float32", "float16").
io::DType parse_checkpoint_dtype(std::string_view s);

// The generator: value of element `index` of a normal(0, 1) stream keyed by `key`.
uint64_t tensor_key(uint64_t seed, std::string_view tensor_name);
double standard_normal_at(uint64_t key, uint64_t index);

// Values of elements [offset, offset + out.size()) of tensor `t` as float32 (before
// rounding to the storage dtype).
void fill_values(const PlannedTensor& t, uint64_t seed, uint64_t offset, std::span<float> out);

struct MakeCheckpointOptions {
  uint64_t seed = 0;
  std::size_t max_shard_bytes = 5'000'000'000;
  std::size_t chunk_bytes = 32u << 20;
  int threads = 0;  // 0: hardware concurrency
  // (bytes done, bytes total, current tensor); called after each chunk.
  std::function<void(std::size_t, std::size_t, const std::string&)> progress;
};

// Writes config.json and the weights (model.safetensors, or shards + index) into `dir`.
// Memory: one chunk buffer plus one float buffer of the same element count.
// Returns the files written.
std::vector<std::filesystem::path> write_checkpoint(const CheckpointPlan& plan,
                                                    const std::filesystem::path& dir,
                                                    const MakeCheckpointOptions& options = {});

}  // namespace logitrank::model
