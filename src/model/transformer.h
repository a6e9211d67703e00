#pragma once
// The one Model implementation: a decoder-only transformer (GPT-2 or Llama family) over a
// WeightSource (safetensors store or a memory-mapped llama2.c file). Internal to src/model.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "io/safetensors.h"
#include "model/config.h"
#include "model/model.h"

namespace logitrank::model::detail {

// Where a checkpoint's tensors live. Views stay valid while the source lives.
class WeightSource {
 public:
  virtual ~WeightSource() = default;
  virtual const io::TensorView* find(std::string_view name) const = 0;
  virtual std::string where() const = 0;  // the file (or index) to name when a tensor is absent
  virtual std::vector<std::filesystem::path> files() const = 0;
  virtual std::size_t bytes() const = 0;  // checkpoint bytes on disk
};

struct ModelInfo {
  std::string name;                               // default_name()
  std::filesystem::path tokenizer;                // default_tokenizer()
  std::vector<std::filesystem::path> meta_files;  // config.json, index json (reported by files())
  std::filesystem::path config_file;              // named in shape errors
  bool interleaved_qk_rows = false;               // llama2.c: permute q/k rows into rotate_half order
};

class TransformerModel final : public Model {
 public:
  TransformerModel(ModelConfig cfg, ForwardSettings settings, std::unique_ptr<WeightSource> src,
                   ModelInfo info);

  const ModelConfig& config() const override { return cfg_; }
  std::string default_name() const override { return info_.name; }
  std::filesystem::path default_tokenizer() const override { return info_.tokenizer; }
  std::vector<std::filesystem::path> files() const override;
  std::size_t checkpoint_bytes() const override { return src_->bytes(); }
  void forward_qk(std::span<const int32_t> ids, std::span<const int> layers,
                  const std::function<void(const LayerQK&)>& sink) override;
  AttentionWeights attention_weights(int layer) const override;

 private:
  struct Spec {
    std::string name;
    std::vector<int64_t> shape;
  };
  std::vector<Spec> expected_tensors() const;
  void validate_tensors() const;
  std::string gpt2(int layer, const char* suffix) const;
  std::string llama(int layer, const char* suffix) const;
  const io::TensorView& tensor(const std::string& name) const;
  // Converts `name` into dst (numel floats); checks every value is finite. With
  // `permute_heads` > 0 the rows (of width cols) are reordered from interleaved-pair to
  // rotate_half order inside each of that many heads.
  void load(const std::string& name, float* dst, int permute_heads = 0) const;
  void load_double(const std::string& name, std::size_t offset, std::span<double> out) const;
  void allocate_buffers();
  void load_attention(int layer);  // norm 1 and the q/k/v projection
  void load_rest(int layer);       // o projection, norm 2, MLP
  void embed(std::span<const int32_t> ids);

  ModelConfig cfg_;
  ForwardSettings set_;
  std::unique_ptr<WeightSource> src_;
  ModelInfo info_;
  std::string gpt2_prefix_;  // "" or "transformer."
  std::vector<double> inv_freq_;

  // Per-layer float32 weights, allocated on the first forward and reused for every layer.
  struct LayerBuffers {
    std::vector<float> norm1_w, norm1_b, norm2_w, norm2_b;
    std::vector<float> w_qkv, b_qkv;    // Llama: [(H+2H_kv) d_h, d] (out,in); GPT-2: [d, 3d] (in,out)
    std::vector<float> w_o, b_o;        // Llama: [d, H d_h] (out,in); GPT-2: [d, d] (in,out)
    std::vector<float> w_up, b_up;      // Llama: gate then up [2I, d] (out,in); GPT-2: c_fc [d, I] (in,out)
    std::vector<float> w_down, b_down;  // Llama: [d, I] (out,in); GPT-2: [I, d] (in,out)
  } w_;
  bool has_qkv_bias_ = false;
  // Activations, grown to the longest window seen.
  std::vector<float> x_, h_, qkv_, attn_, mlp_, mlp2_, scores_;
  LayerQK out_;
  mutable std::unordered_set<std::string> verified_;  // tensors already checked for NaN/Inf
};

}  // namespace logitrank::model::detail
