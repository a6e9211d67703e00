#include "model/config.h"

#include <cmath>

#include "io/error.h"
#include "io/json_file.h"

namespace logitrank::model {

std::string family_name(Family f) {
  switch (f) {
    case Family::GPT2:
      return "gpt2";
    case Family::Llama:
      return "llama";
    case Family::Qwen2:
      return "qwen2";
    case Family::Mistral:
      return "mistral";
  }
  return "?";
}

}  // namespace logitrank::model

namespace logitrank::model::detail {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kSupported =
    "supported: GPT2LMHeadModel (gpt2), LlamaForCausalLM (llama), Qwen2ForCausalLM (qwen2), "
    "MistralForCausalLM (mistral)";

bool has(const json& j, const char* key) { return j.contains(key) && !j[key].is_null(); }

int64_t get_int(const json& j, const char* key, const fs::path& f) { return io::json_int(j, key, f); }
int64_t get_int_or(const json& j, const char* key, int64_t dflt, const fs::path& f) {
  return has(j, key) ? io::json_int(j, key, f) : dflt;
}
double get_num_or(const json& j, const char* key, double dflt, const fs::path& f) {
  return has(j, key) ? io::json_number(j, key, f) : dflt;
}
bool get_bool_or(const json& j, const char* key, bool dflt, const fs::path& f) {
  return has(j, key) ? io::json_bool(j, key, f) : dflt;
}
std::string get_str_or(const json& j, const char* key, std::string dflt, const fs::path& f) {
  return has(j, key) ? io::json_string(j, key, f) : dflt;
}

[[noreturn]] void bad(const fs::path& f, const std::string& what) {
  throw InputError(f.string() + ": " + what);
}

int to_int(int64_t v, const char* key, const fs::path& f) {
  if (v <= 0 || v > (int64_t{1} << 30))
    bad(f, std::string("key '") + key + "' = " + std::to_string(v) + " is out of range");
  return static_cast<int>(v);
}

// rope_scaling / rope_parameters: only "llama3" (and "default") are supported.
void parse_rope(const json& j, ModelConfig& c, const fs::path& f) {
  const json* rs = nullptr;
  const char* key = "rope_scaling";
  if (has(j, "rope_scaling")) {
    rs = &j["rope_scaling"];
  } else if (has(j, "rope_parameters")) {  // transformers >= 5
    rs = &j["rope_parameters"];
    key = "rope_parameters";
    if (rs->is_object() && has(*rs, "rope_theta")) c.rope_theta = io::json_number(*rs, "rope_theta", f);
  }
  if (!rs) return;
  if (!rs->is_object()) bad(f, std::string("key '") + key + "' must be an object or null");
  std::string type = get_str_or(*rs, "rope_type", get_str_or(*rs, "type", "default", f), f);
  if (type == "default") return;
  if (type != "llama3")
    bad(f, std::string("key '") + key + "': rope_type '" + type +
               "' is not supported (supported: llama3, default)");
  c.rope_scaling.enabled = true;
  c.rope_scaling.factor = io::json_number(*rs, "factor", f);
  c.rope_scaling.low_freq_factor = get_num_or(*rs, "low_freq_factor", 1.0, f);
  c.rope_scaling.high_freq_factor = get_num_or(*rs, "high_freq_factor", 4.0, f);
  c.rope_scaling.original_max_position_embeddings =
      get_num_or(*rs, "original_max_position_embeddings", 8192, f);
  const auto& r = c.rope_scaling;
  if (!(r.factor > 0) || !(r.low_freq_factor > 0) || !(r.high_freq_factor > r.low_freq_factor) ||
      !(r.original_max_position_embeddings > 0))
    bad(f, std::string("key '") + key +
               "': llama3 needs factor > 0, high_freq_factor > low_freq_factor > 0, "
               "original_max_position_embeddings > 0");
}

}  // namespace

void validate_config(const ModelConfig& c, const fs::path& f) {
  if (c.n_layers <= 0 || c.n_heads <= 0 || c.n_kv_heads <= 0 || c.hidden <= 0 || c.head_dim <= 0 ||
      c.intermediate <= 0 || c.vocab_size <= 0)
    bad(f,
        "layers, heads, kv heads, hidden size, head_dim, intermediate size and vocab_size must all be "
        "positive");
  if (c.n_heads % c.n_kv_heads != 0)
    bad(f, "num_attention_heads " + std::to_string(c.n_heads) + " is not divisible by num_key_value_heads " +
               std::to_string(c.n_kv_heads));
  if (c.family != Family::GPT2 && c.head_dim % 2 != 0)
    bad(f, "head_dim " + std::to_string(c.head_dim) + " must be even for rotary embeddings");
  if (c.family == Family::GPT2 && c.n_heads * c.head_dim != c.hidden)
    bad(f, "n_embd " + std::to_string(c.hidden) + " is not divisible by n_head " + std::to_string(c.n_heads));
  if (!(c.norm_eps >= 0) || !std::isfinite(c.norm_eps))
    bad(f, "normalisation epsilon must be a finite number >= 0");
  if (c.family != Family::GPT2 && !(c.rope_theta > 0)) bad(f, "rope_theta must be > 0");
}

ModelConfig parse_hf_config(const fs::path& f, ForwardSettings& s) {
  const json j = io::read_json_file(f);
  if (!j.is_object()) bad(f, "not a JSON object");
  ModelConfig c;
  s = ForwardSettings{};

  // Family: architectures[0] if present, else model_type.
  std::string arch, model_type = get_str_or(j, "model_type", "", f);
  if (has(j, "architectures")) {
    const auto& a = j["architectures"];
    if (!a.is_array() || a.empty() || !a[0].is_string())
      bad(f, "key 'architectures' must be a list of names");
    arch = a[0].get<std::string>();
  }
  if (arch == "GPT2LMHeadModel" || arch == "GPT2Model" || (arch.empty() && model_type == "gpt2")) {
    c.family = Family::GPT2;
  } else if (arch == "LlamaForCausalLM" || (arch.empty() && model_type == "llama")) {
    c.family = Family::Llama;
  } else if (arch == "Qwen2ForCausalLM" || (arch.empty() && model_type == "qwen2")) {
    c.family = Family::Qwen2;
  } else if (arch == "MistralForCausalLM" || (arch.empty() && model_type == "mistral")) {
    c.family = Family::Mistral;
  } else {
    bad(f, "unsupported architecture '" + (arch.empty() ? "model_type " + model_type : arch) + "' (" +
               kSupported + ")");
  }
  if (arch.empty()) {
    static const char* names[] = {"GPT2LMHeadModel", "LlamaForCausalLM", "Qwen2ForCausalLM",
                                  "MistralForCausalLM"};
    arch = names[static_cast<int>(c.family)];
  }
  c.architecture = arch;
  c.storage_dtype =
      get_str_or(j, "torch_dtype", get_str_or(j, "dtype", "", f), f);  // replaced by the tensors' dtype
  s.bos_token_id =
      has(j, "bos_token_id") && j["bos_token_id"].is_number_integer() ? j["bos_token_id"].get<int64_t>() : -1;

  if (c.family == Family::GPT2) {
    c.n_layers = to_int(get_int(j, "n_layer", f), "n_layer", f);
    c.n_heads = to_int(get_int(j, "n_head", f), "n_head", f);
    c.n_kv_heads = c.n_heads;
    c.hidden = to_int(get_int(j, "n_embd", f), "n_embd", f);
    c.head_dim = c.hidden / c.n_heads;
    c.intermediate = to_int(get_int_or(j, "n_inner", 4 * static_cast<int64_t>(c.hidden), f), "n_inner", f);
    c.vocab_size = get_int_or(j, "vocab_size", 50257, f);
    c.max_positions = get_int_or(j, "n_positions", 1024, f);
    c.norm_eps = get_num_or(j, "layer_norm_epsilon", 1e-5, f);
    c.qkv_bias = true;
    c.tie_embeddings = get_bool_or(j, "tie_word_embeddings", true, f);
    const std::string act = get_str_or(j, "activation_function", "gelu_new", f);
    if (act == "gelu_new" || act == "gelu_pytorch_tanh" || act == "gelu_fast")
      s.gelu_tanh = true;
    else if (act == "gelu")
      s.gelu_tanh = false;
    else
      bad(f, "key 'activation_function': '" + act + "' is not supported (gelu_new, gelu_pytorch_tanh, gelu)");
    s.scale_attn_weights = get_bool_or(j, "scale_attn_weights", true, f);
    s.scale_attn_by_inverse_layer_idx = get_bool_or(j, "scale_attn_by_inverse_layer_idx", false, f);
    if (c.max_positions <= 0) bad(f, "key 'n_positions' must be positive");
  } else {
    c.n_layers = to_int(get_int(j, "num_hidden_layers", f), "num_hidden_layers", f);
    c.n_heads = to_int(get_int(j, "num_attention_heads", f), "num_attention_heads", f);
    c.n_kv_heads = to_int(get_int_or(j, "num_key_value_heads", c.n_heads, f), "num_key_value_heads", f);
    c.hidden = to_int(get_int(j, "hidden_size", f), "hidden_size", f);
    if (has(j, "head_dim")) {
      c.head_dim = to_int(get_int(j, "head_dim", f), "head_dim", f);
    } else {
      if (c.hidden % c.n_heads != 0)
        bad(f, "hidden_size " + std::to_string(c.hidden) + " is not divisible by num_attention_heads " +
                   std::to_string(c.n_heads) + " and no head_dim is given");
      c.head_dim = c.hidden / c.n_heads;
    }
    c.intermediate = to_int(get_int(j, "intermediate_size", f), "intermediate_size", f);
    c.vocab_size = get_int(j, "vocab_size", f);
    const int64_t default_ctx = c.family == Family::Llama ? 2048 : c.family == Family::Qwen2 ? 32768 : 131072;
    c.max_positions = get_int_or(j, "max_position_embeddings", default_ctx, f);
    c.norm_eps = get_num_or(j, "rms_norm_eps", 1e-6, f);
    c.rope_theta = get_num_or(j, "rope_theta", 10000.0, f);
    parse_rope(j, c, f);
    c.tie_embeddings = get_bool_or(j, "tie_word_embeddings", false, f);
    const std::string act = get_str_or(j, "hidden_act", "silu", f);
    if (act != "silu" && act != "swish") bad(f, "key 'hidden_act': '" + act + "' is not supported (silu)");
    s.mlp_bias = get_bool_or(j, "mlp_bias", false, f);
    s.layer_window.assign(static_cast<std::size_t>(c.n_layers), 0);
    if (c.family == Family::Llama) {
      c.qkv_bias = get_bool_or(j, "attention_bias", false, f);
      s.o_bias = c.qkv_bias;
    } else if (c.family == Family::Qwen2) {
      c.qkv_bias = true;
      if (get_bool_or(j, "use_sliding_window", false, f) && has(j, "sliding_window")) {
        const int64_t w = get_int(j, "sliding_window", f);
        const int64_t from = get_int_or(j, "max_window_layers", c.n_layers, f);
        for (int l = 0; l < c.n_layers; ++l)
          if (l >= from) s.layer_window[static_cast<std::size_t>(l)] = w;
        c.sliding_window = w;
      }
    } else {  // Mistral
      c.sliding_window = get_int_or(j, "sliding_window", 0, f);
      for (auto& w : s.layer_window) w = c.sliding_window;
    }
    if (c.sliding_window < 0) bad(f, "key 'sliding_window' must be >= 0");
  }
  validate_config(c, f);
  return c;
}

}  // namespace logitrank::model::detail
