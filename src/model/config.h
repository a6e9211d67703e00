#pragma once
// Hugging Face config.json -> ModelConfig (internal to src/model).
#include <filesystem>
#include <vector>

#include "model/model.h"

namespace logitrank::model::detail {

// Settings the forward needs beyond ModelConfig.
struct ForwardSettings {
  // GPT-2
  bool gelu_tanh = true;           // gelu_new / gelu_pytorch_tanh; false: exact erf GELU
  bool scale_attn_weights = true;  // divide scores by sqrt(d_h)
  bool scale_attn_by_inverse_layer_idx = false;
  // Llama family
  bool o_bias = false;  // Llama attention_bias also biases o_proj
  bool mlp_bias = false;
  std::vector<int64_t> layer_window;  // per layer sliding window (0 = none)
  int64_t bos_token_id = -1;
};

// Parses `config_json` (must be a HF config of a supported architecture); InputError names
// the file and key at fault.
ModelConfig parse_hf_config(const std::filesystem::path& config_json, ForwardSettings& settings);

// Checks the invariants every family needs (positive sizes, H % H_kv == 0, even d_h for
// rotary); `source` names the file for the message.
void validate_config(const ModelConfig& c, const std::filesystem::path& source);

}  // namespace logitrank::model::detail
