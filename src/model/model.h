#pragma once
// A transformer checkpoint opened for analysis: its config, a forward pass that yields
// each layer's per-head queries and keys, and the attention projection weights.
// Families: GPT-2, Llama (incl. Llama-3 rope_scaling), Qwen2, Mistral (Hugging Face
// layout), and llama2.c .bin checkpoints.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace logitrank::model {

enum class Family { GPT2, Llama, Qwen2, Mistral };
std::string family_name(Family f);  // "gpt2", "llama", "qwen2", "mistral"

struct RopeScaling {  // Llama-3 "rope_type": "llama3"
  bool enabled = false;
  double factor = 1, low_freq_factor = 1, high_freq_factor = 4;
  double original_max_position_embeddings = 8192;
};

struct ModelConfig {
  Family family = Family::Llama;
  std::string architecture;  // e.g. "LlamaForCausalLM" or "llama2.c"
  int n_layers = 0, n_heads = 0, n_kv_heads = 0, hidden = 0, head_dim = 0, intermediate = 0;
  int64_t vocab_size = 0;
  int64_t max_positions = 0;  // context the model supports
  double norm_eps = 1e-5;
  double rope_theta = 10000;  // unused for GPT-2
  RopeScaling rope_scaling;
  bool qkv_bias = false;
  bool tie_embeddings = false;
  int64_t sliding_window = 0;  // 0 = none
  std::string storage_dtype;   // "F32", "BF16", "F16" as stored
};

// Queries and keys of one layer for one window, float64, after bias and rotary.
struct LayerQK {
  int layer = 0, n_heads = 0, n_kv_heads = 0, seq_len = 0, head_dim = 0;
  std::vector<double> q;  // [H, L, d_h]
  std::vector<double> k;  // [H_kv, L, d_h]
  std::span<const double> q_head(int h) const {
    return {q.data() + static_cast<std::size_t>(h) * seq_len * head_dim,
            static_cast<std::size_t>(seq_len) * head_dim};
  }
  std::span<const double> k_head(int g) const {
    return {k.data() + static_cast<std::size_t>(g) * seq_len * head_dim,
            static_cast<std::size_t>(seq_len) * head_dim};
  }
  int kv_of(int h) const { return h / (n_heads / n_kv_heads); }
};

// W_Q,h and W_K,g blocks of one layer, float64, (out, in) layout: d_h x d per head.
struct AttentionWeights {
  int layer = 0, n_heads = 0, n_kv_heads = 0, head_dim = 0, hidden = 0;
  std::vector<double> wq;  // [H, d_h, d]
  std::vector<double> wk;  // [H_kv, d_h, d]
  std::span<const double> wq_head(int h) const {
    return {wq.data() + static_cast<std::size_t>(h) * head_dim * hidden,
            static_cast<std::size_t>(head_dim) * hidden};
  }
  std::span<const double> wk_head(int g) const {
    return {wk.data() + static_cast<std::size_t>(g) * head_dim * hidden,
            static_cast<std::size_t>(head_dim) * hidden};
  }
};

class Model {
 public:
  virtual ~Model() = default;

  // A Hugging Face folder (config.json + model.safetensors or shards) or a llama2.c .bin.
  // Validates the config and every tensor's presence, dtype and shape; throws InputError
  // naming the file and tensor/key at fault.
  static std::unique_ptr<Model> open(const std::filesystem::path& path);

  virtual const ModelConfig& config() const = 0;
  virtual std::string default_name() const = 0;                  // folder name or file stem
  virtual std::filesystem::path default_tokenizer() const = 0;   // beside the model, or empty
  virtual std::vector<std::filesystem::path> files() const = 0;  // every file read (for the manifest)
  virtual std::size_t checkpoint_bytes() const = 0;

  // Forward pass in float32 over `ids` (one window). Calls `sink` once per layer listed
  // in `layers` (ascending, unique), in order, and stops after the last one. Weights are
  // converted to float32 one layer at a time into reused buffers.
  // The LayerQK handed to `sink` is reused for the next layer: copy what must outlive the
  // call. One Model must not run two forward_qk calls at once (it owns the buffers).
  // InputError for ids outside the vocabulary, layers out of range or not ascending,
  // a GPT-2 window longer than n_positions, and NaN/Inf in a weight as it is converted.
  virtual void forward_qk(std::span<const int32_t> ids, std::span<const int> layers,
                          const std::function<void(const LayerQK&)>& sink) = 0;

  virtual AttentionWeights attention_weights(int layer) const = 0;
};

}  // namespace logitrank::model
