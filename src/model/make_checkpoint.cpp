// Shapes, names and configs of the real models, and the random-checkpoint generator.
#include "model/make_checkpoint.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <numbers>
#include <thread>

#include "io/error.h"
#include "io/float16.h"

namespace logitrank::model {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace {

enum class Kind { GPT2, Llama, Qwen2, Mistral };

// Everything that decides the tensor list.
struct Shape {
  Kind kind;
  int layers, hidden, heads, kv_heads, head_dim, intermediate;
  int64_t vocab, positions;  // positions: GPT-2's n_positions (size of wpe and of the mask)
  bool tied, qkv_bias;
  io::DType dtype;
};

struct Known {
  const char* name;
  Shape shape;
  ojson (*config)(const Shape&);
};

std::string torch_dtype(io::DType t) {
  switch (t) {
    case io::DType::F32:
      return "float32";
    case io::DType::F16:
      return "float16";
    case io::DType::BF16:
      return "bfloat16";
    default:
      return std::string(io::dtype_name(t));
  }
}

// ---- config.json of the real models (key order and values as published on the Hub) ----

ojson gpt2_config(const Shape& s) {
  return ojson{{"activation_function", "gelu_new"},
               {"architectures", {"GPT2LMHeadModel"}},
               {"attn_pdrop", 0.1},
               {"bos_token_id", 50256},
               {"embd_pdrop", 0.1},
               {"eos_token_id", 50256},
               {"initializer_range", 0.02},
               {"layer_norm_epsilon", 1e-05},
               {"model_type", "gpt2"},
               {"n_ctx", s.positions},
               {"n_embd", s.hidden},
               {"n_head", s.heads},
               {"n_inner", nullptr},
               {"n_layer", s.layers},
               {"n_positions", s.positions},
               {"resid_pdrop", 0.1},
               {"scale_attn_weights", true},
               {"summary_activation", nullptr},
               {"summary_first_dropout", 0.1},
               {"summary_proj_to_labels", true},
               {"summary_type", "cls_index"},
               {"summary_use_proj", true},
               {"task_specific_params", {{"text-generation", {{"do_sample", true}, {"max_length", 50}}}}},
               {"tie_word_embeddings", true},
               {"torch_dtype", torch_dtype(s.dtype)},
               {"vocab_size", s.vocab}};
}

ojson llama32_config(const Shape& s) {
  return ojson{{"architectures", {"LlamaForCausalLM"}},
               {"attention_bias", false},
               {"attention_dropout", 0.0},
               {"bos_token_id", 128000},
               {"eos_token_id", 128001},
               {"head_dim", s.head_dim},
               {"hidden_act", "silu"},
               {"hidden_size", s.hidden},
               {"initializer_range", 0.02},
               {"intermediate_size", s.intermediate},
               {"max_position_embeddings", 131072},
               {"mlp_bias", false},
               {"model_type", "llama"},
               {"num_attention_heads", s.heads},
               {"num_hidden_layers", s.layers},
               {"num_key_value_heads", s.kv_heads},
               {"pretraining_tp", 1},
               {"rms_norm_eps", 1e-05},
               {"rope_scaling",
                {{"factor", 32.0},
                 {"high_freq_factor", 4.0},
                 {"low_freq_factor", 1.0},
                 {"original_max_position_embeddings", 8192},
                 {"rope_type", "llama3"}}},
               {"rope_theta", 500000.0},
               {"tie_word_embeddings", true},
               {"torch_dtype", torch_dtype(s.dtype)},
               {"transformers_version", "4.45.0.dev0"},
               {"use_cache", true},
               {"vocab_size", s.vocab}};
}

ojson qwen25_config(const Shape& s) {
  return ojson{{"architectures", {"Qwen2ForCausalLM"}},
               {"attention_dropout", 0.0},
               {"bos_token_id", 151643},
               {"eos_token_id", 151643},
               {"hidden_act", "silu"},
               {"hidden_size", s.hidden},
               {"initializer_range", 0.02},
               {"intermediate_size", s.intermediate},
               {"max_position_embeddings", 32768},
               {"max_window_layers", s.layers},
               {"model_type", "qwen2"},
               {"num_attention_heads", s.heads},
               {"num_hidden_layers", s.layers},
               {"num_key_value_heads", s.kv_heads},
               {"rms_norm_eps", 1e-06},
               {"rope_theta", 1000000.0},
               {"sliding_window", 32768},
               {"tie_word_embeddings", true},
               {"torch_dtype", torch_dtype(s.dtype)},
               {"transformers_version", "4.40.1"},
               {"use_cache", true},
               {"use_mrope", false},
               {"use_sliding_window", false},
               {"vocab_size", s.vocab}};
}

ojson mistral7b_config(const Shape& s) {
  return ojson{{"architectures", {"MistralForCausalLM"}},
               {"bos_token_id", 1},
               {"eos_token_id", 2},
               {"hidden_act", "silu"},
               {"hidden_size", s.hidden},
               {"initializer_range", 0.02},
               {"intermediate_size", s.intermediate},
               {"max_position_embeddings", 32768},
               {"model_type", "mistral"},
               {"num_attention_heads", s.heads},
               {"num_hidden_layers", s.layers},
               {"num_key_value_heads", s.kv_heads},
               {"rms_norm_eps", 1e-05},
               {"rope_theta", 10000.0},
               {"sliding_window", 4096},
               {"tie_word_embeddings", false},
               {"torch_dtype", torch_dtype(s.dtype)},
               {"transformers_version", "4.34.0.dev0"},
               {"use_cache", true},
               {"vocab_size", s.vocab}};
}

// ---- config.json of the tiny fixtures (../shared/data/fixtures/*/config.json) ----

ojson tiny_gpt2_config(const Shape& s) {
  return ojson{{"architectures", {"GPT2LMHeadModel"}},
               {"model_type", "gpt2"},
               {"vocab_size", s.vocab},
               {"n_positions", s.positions},
               {"n_ctx", s.positions},
               {"n_embd", s.hidden},
               {"n_layer", s.layers},
               {"n_head", s.heads},
               {"n_inner", nullptr},
               {"activation_function", "gelu_new"},
               {"layer_norm_epsilon", 1e-05},
               {"initializer_range", 0.02},
               {"scale_attn_weights", true},
               {"bos_token_id", 0},
               {"eos_token_id", 0},
               {"tie_word_embeddings", true},
               {"torch_dtype", torch_dtype(s.dtype)}};
}

ojson tiny_llama_config(const Shape& s) {
  return ojson{{"architectures", {"LlamaForCausalLM"}},
               {"model_type", "llama"},
               {"vocab_size", s.vocab},
               {"hidden_size", s.hidden},
               {"intermediate_size", s.intermediate},
               {"num_hidden_layers", s.layers},
               {"num_attention_heads", s.heads},
               {"num_key_value_heads", s.kv_heads},
               {"hidden_act", "silu"},
               {"max_position_embeddings", 131072},
               {"rms_norm_eps", 1e-05},
               {"rope_theta", 500000.0},
               {"rope_scaling",
                {{"factor", 8.0},
                 {"low_freq_factor", 1.0},
                 {"high_freq_factor", 4.0},
                 {"original_max_position_embeddings", 8192},
                 {"rope_type", "llama3"}}},
               {"attention_bias", false},
               {"mlp_bias", false},
               {"tie_word_embeddings", true},
               {"bos_token_id", 1},
               {"eos_token_id", 2},
               {"torch_dtype", torch_dtype(s.dtype)}};
}

ojson tiny_qwen2_config(const Shape& s) {
  return ojson{{"architectures", {"Qwen2ForCausalLM"}},
               {"model_type", "qwen2"},
               {"vocab_size", s.vocab},
               {"hidden_size", s.hidden},
               {"intermediate_size", s.intermediate},
               {"num_hidden_layers", s.layers},
               {"num_attention_heads", s.heads},
               {"num_key_value_heads", s.kv_heads},
               {"hidden_act", "silu"},
               {"max_position_embeddings", 32768},
               {"rms_norm_eps", 1e-06},
               {"rope_theta", 1000000.0},
               {"use_sliding_window", false},
               {"sliding_window", 32768},
               {"max_window_layers", s.layers},
               {"tie_word_embeddings", true},
               {"bos_token_id", 1},
               {"eos_token_id", 2},
               {"torch_dtype", torch_dtype(s.dtype)}};
}

ojson tiny_mistral_config(const Shape& s) {
  return ojson{{"architectures", {"MistralForCausalLM"}},
               {"model_type", "mistral"},
               {"vocab_size", s.vocab},
               {"hidden_size", s.hidden},
               {"intermediate_size", s.intermediate},
               {"num_hidden_layers", s.layers},
               {"num_attention_heads", s.heads},
               {"num_key_value_heads", s.kv_heads},
               {"hidden_act", "silu"},
               {"max_position_embeddings", 32768},
               {"rms_norm_eps", 1e-05},
               {"rope_theta", 10000.0},
               {"sliding_window", 4096},
               {"tie_word_embeddings", false},
               {"bos_token_id", 1},
               {"eos_token_id", 2},
               {"torch_dtype", torch_dtype(s.dtype)}};
}

using io::DType;
// clang-format off
const Known kKnown[] = {
  //                           kind          L    d     H   Hkv d_h   inter  vocab   pos   tied   bias   dtype
  {"gpt2",          {Kind::GPT2,    12,  768,  12, 12,  64,  3072, 50257,  1024, true,  true,  DType::F32},  gpt2_config},
  {"llama-3.2-1b",  {Kind::Llama,   16, 2048,  32,  8,  64,  8192, 128256, 0,    true,  false, DType::BF16}, llama32_config},
  {"llama-3.2-3b",  {Kind::Llama,   28, 3072,  24,  8, 128,  8192, 128256, 0,    true,  false, DType::BF16}, llama32_config},
  {"qwen2.5-3b",    {Kind::Qwen2,   36, 2048,  16,  2, 128, 11008, 151936, 0,    true,  true,  DType::BF16}, qwen25_config},
  {"mistral-7b",    {Kind::Mistral, 32, 4096,  32,  8, 128, 14336, 32000,  0,    false, false, DType::BF16}, mistral7b_config},
  {"tiny-gpt2",     {Kind::GPT2,     2,   64,   4,  4,  16,   256,   300,  128,  true,  true,  DType::F32},  tiny_gpt2_config},
  {"tiny-llama",    {Kind::Llama,    3,   64,   8,  2,   8,   128,   300,  0,    true,  false, DType::BF16}, tiny_llama_config},
  {"tiny-qwen2",    {Kind::Qwen2,    2,   64,   4,  2,  16,   128,   300,  0,    true,  true,  DType::BF16}, tiny_qwen2_config},
  {"tiny-mistral",  {Kind::Mistral,  2,   64,   4,  1,  16,   128,   300,  0,    false, false, DType::F16},  tiny_mistral_config},
};
// clang-format on

void add(std::vector<PlannedTensor>& v, std::string name, std::vector<int64_t> shape,
         Init init = Init::Normal) {
  PlannedTensor t;
  t.name = std::move(name);
  t.shape = std::move(shape);
  t.init = init;
  if (init == Init::CausalMask) t.parameter = false;
  v.push_back(std::move(t));
}

// GPT-2 (HF GPT2LMHeadModel without the `transformer.` prefix; lm_head tied to wte).
std::vector<PlannedTensor> gpt2_tensors(const Shape& s) {
  const int64_t d = s.hidden, ff = s.intermediate, P = s.positions;
  std::vector<PlannedTensor> v;
  add(v, "wte.weight", {s.vocab, d});
  add(v, "wpe.weight", {P, d});
  for (int l = 0; l < s.layers; ++l) {
    const std::string p = "h." + std::to_string(l) + ".";
    add(v, p + "ln_1.weight", {d}, Init::Ones);
    add(v, p + "ln_1.bias", {d}, Init::Zeros);
    add(v, p + "attn.bias", {1, 1, P, P}, Init::CausalMask);
    add(v, p + "attn.c_attn.weight", {d, 3 * d});
    add(v, p + "attn.c_attn.bias", {3 * d});
    add(v, p + "attn.c_proj.weight", {d, d});
    add(v, p + "attn.c_proj.bias", {d});
    add(v, p + "ln_2.weight", {d}, Init::Ones);
    add(v, p + "ln_2.bias", {d}, Init::Zeros);
    add(v, p + "mlp.c_fc.weight", {d, ff});
    add(v, p + "mlp.c_fc.bias", {ff});
    add(v, p + "mlp.c_proj.weight", {ff, d});
    add(v, p + "mlp.c_proj.bias", {d});
  }
  add(v, "ln_f.weight", {d}, Init::Ones);
  add(v, "ln_f.bias", {d}, Init::Zeros);
  return v;
}

// Llama / Qwen2 / Mistral (HF *ForCausalLM).
std::vector<PlannedTensor> llama_tensors(const Shape& s) {
  const int64_t d = s.hidden, q = int64_t{s.heads} * s.head_dim, kv = int64_t{s.kv_heads} * s.head_dim,
                ff = s.intermediate;
  std::vector<PlannedTensor> v;
  add(v, "model.embed_tokens.weight", {s.vocab, d});
  for (int l = 0; l < s.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(v, p + "input_layernorm.weight", {d}, Init::Ones);
    add(v, p + "self_attn.q_proj.weight", {q, d});
    add(v, p + "self_attn.k_proj.weight", {kv, d});
    add(v, p + "self_attn.v_proj.weight", {kv, d});
    if (s.qkv_bias) {
      add(v, p + "self_attn.q_proj.bias", {q});
      add(v, p + "self_attn.k_proj.bias", {kv});
      add(v, p + "self_attn.v_proj.bias", {kv});
    }
    add(v, p + "self_attn.o_proj.weight", {d, q});
    add(v, p + "post_attention_layernorm.weight", {d}, Init::Ones);
    add(v, p + "mlp.gate_proj.weight", {ff, d});
    add(v, p + "mlp.up_proj.weight", {ff, d});
    add(v, p + "mlp.down_proj.weight", {d, ff});
  }
  add(v, "model.norm.weight", {d}, Init::Ones);
  if (!s.tied) add(v, "lm_head.weight", {s.vocab, d});
  return v;
}

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;

inline uint64_t mix64(uint64_t z) {  // splitmix64 finaliser
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

}  // namespace

int64_t PlannedTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t CheckpointPlan::parameter_count() const {
  int64_t n = 0;
  for (const auto& t : tensors)
    if (t.parameter) n += t.numel();
  return n;
}

std::size_t CheckpointPlan::total_bytes() const {
  std::size_t n = 0;
  for (const auto& t : tensors) n += static_cast<std::size_t>(t.numel()) * io::dtype_size(dtype);
  return n;
}

std::vector<io::TensorSpec> CheckpointPlan::specs() const {
  std::vector<io::TensorSpec> v;
  v.reserve(tensors.size());
  for (const auto& t : tensors) v.push_back({t.name, dtype, t.shape});
  return v;
}

std::vector<std::string> known_checkpoints() {
  std::vector<std::string> v;
  for (const auto& k : kKnown) v.emplace_back(k.name);
  return v;
}

io::DType parse_checkpoint_dtype(std::string_view s) {
  const std::string l = lower(s);
  if (l == "bf16" || l == "bfloat16") return io::DType::BF16;
  if (l == "f32" || l == "float32" || l == "fp32") return io::DType::F32;
  if (l == "f16" || l == "float16" || l == "fp16") return io::DType::F16;
  throw InputError("--dtype '" + std::string(s) + "': expected bf16, f32 or f16");
}

CheckpointPlan plan_checkpoint(std::string_view like, std::optional<io::DType> dtype,
                               std::optional<int> layers) {
  const std::string name = lower(like);
  const Known* known = nullptr;
  for (const auto& k : kKnown)
    if (name == k.name) known = &k;
  if (!known) {
    std::string list;
    for (const auto& k : kKnown) list += (list.empty() ? "" : ", ") + std::string(k.name);
    throw InputError("--like '" + std::string(like) + "': unknown model (known: " + list + ")");
  }
  Shape s = known->shape;
  if (dtype) {
    if (*dtype != io::DType::F32 && *dtype != io::DType::F16 && *dtype != io::DType::BF16)
      throw InputError("--dtype " + std::string(io::dtype_name(*dtype)) + ": expected bf16, f32 or f16");
    s.dtype = *dtype;
  }
  if (layers) {
    if (*layers < 1) throw InputError("--layers " + std::to_string(*layers) + ": must be at least 1");
    s.layers = *layers;
  }
  CheckpointPlan plan;
  plan.like = known->name;
  plan.dtype = s.dtype;
  plan.config = known->config(s);
  plan.tensors = s.kind == Kind::GPT2 ? gpt2_tensors(s) : llama_tensors(s);
  return plan;
}

uint64_t tensor_key(uint64_t seed, std::string_view tensor_name) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (char c : tensor_name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return mix64(mix64(seed + kGolden) ^ h);
}

double standard_normal_at(uint64_t key, uint64_t index) {
  // Elements 2j and 2j+1 are the cosine and sine halves of one Box-Muller pair drawn
  // from the j-th splitmix64 output of the stream.
  const uint64_t z = mix64(key + (index / 2 + 1) * kGolden);
  const double u1 = (static_cast<double>(z >> 32) + 0.5) * 0x1p-32;  // (0, 1)
  const double u2 = static_cast<double>(z & 0xffffffffu) * 0x1p-32;  // [0, 1)
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double a = 2.0 * std::numbers::pi * u2;
  return (index & 1) ? r * std::sin(a) : r * std::cos(a);
}

void fill_values(const PlannedTensor& t, uint64_t seed, uint64_t offset, std::span<float> out) {
  switch (t.init) {
    case Init::Ones:
      std::fill(out.begin(), out.end(), 1.0f);
      return;
    case Init::Zeros:
      std::fill(out.begin(), out.end(), 0.0f);
      return;
    case Init::CausalMask: {
      const uint64_t n = static_cast<uint64_t>(t.shape.back());
      for (std::size_t i = 0; i < out.size(); ++i) {
        const uint64_t e = offset + i, row = (e / n) % n, col = e % n;
        out[i] = col <= row ? 1.0f : 0.0f;
      }
      return;
    }
    case Init::Normal: {
      const uint64_t key = tensor_key(seed, t.name);
      const std::size_t n = out.size();
      std::size_t k = 0;
      if (n > 0 && (offset & 1)) {  // a chunk starting on the sine half of a pair
        out[0] = static_cast<float>(t.stddev * standard_normal_at(key, offset));
        k = 1;
      }
      // Whole pairs: one draw, one log and sqrt for both halves (same values as
      // standard_normal_at element by element).
      for (; k + 1 < n; k += 2) {
        const uint64_t z = mix64(key + ((offset + k) / 2 + 1) * kGolden);
        const double u1 = (static_cast<double>(z >> 32) + 0.5) * 0x1p-32;
        const double u2 = static_cast<double>(z & 0xffffffffu) * 0x1p-32;
        const double r = std::sqrt(-2.0 * std::log(u1));
        const double a = 2.0 * std::numbers::pi * u2;
        out[k] = static_cast<float>(t.stddev * (r * std::cos(a)));
        out[k + 1] = static_cast<float>(t.stddev * (r * std::sin(a)));
      }
      if (k < n) out[k] = static_cast<float>(t.stddev * standard_normal_at(key, offset + k));
      return;
    }
  }
}

namespace {

void encode(io::DType dtype, std::span<const float> in, std::byte* out) {
  switch (dtype) {
    case io::DType::F32:
      std::memcpy(out, in.data(), in.size() * 4);
      return;
    case io::DType::BF16:
      for (std::size_t i = 0; i < in.size(); ++i) {
        const uint16_t h = io::float_to_bf16(in[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
      return;
    case io::DType::F16:
      for (std::size_t i = 0; i < in.size(); ++i) {
        const uint16_t h = io::float_to_f16(in[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
      return;
    default:
      throw InputError("make-checkpoint: unsupported dtype " + std::string(io::dtype_name(dtype)));
  }
}

}  // namespace

std::vector<fs::path> write_checkpoint(const CheckpointPlan& plan, const fs::path& dir,
                                       const MakeCheckpointOptions& options) {
  const std::vector<io::TensorSpec> specs = plan.specs();
  const std::size_t esize = io::dtype_size(plan.dtype);
  const int threads = options.threads > 0
                          ? options.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  std::vector<float> values;  // one chunk of float values, reused

  auto fill = [&](std::size_t index, std::size_t byte_offset, std::span<std::byte> out) {
    const PlannedTensor& t = plan.tensors[index];
    const std::size_t n = out.size() / esize, first = byte_offset / esize;
    if (values.size() < n) values.resize(n);
    // Work split into contiguous pieces; the values depend only on the element index.
    const std::size_t pieces =
        (t.init == Init::Normal && n >= (1u << 16)) ? static_cast<std::size_t>(threads) : 1;
    auto work = [&](std::size_t p) {
      const std::size_t b = n * p / pieces, e = n * (p + 1) / pieces;
      std::span<float> v(values.data() + b, e - b);
      fill_values(t, options.seed, first + b, v);
      encode(plan.dtype, v, out.data() + b * esize);
    };
    if (pieces == 1) {
      work(0);
    } else {
      std::vector<std::thread> pool;
      for (std::size_t p = 1; p < pieces; ++p) pool.emplace_back(work, p);
      work(0);
      for (auto& th : pool) th.join();
    }
  };

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw InputError(dir.string() + ": cannot create folder: " + ec.message());
  fs::remove(dir / "config.json", ec);  // stale from an earlier run: written again last
  io::CheckpointWriteOptions wo;
  wo.max_shard_bytes = options.max_shard_bytes;
  wo.chunk_bytes = options.chunk_bytes;
  wo.progress = options.progress;
  std::vector<fs::path> files = io::write_checkpoint_tensors(dir, specs, fill, wo);
  // config.json last: a folder with a config is a complete checkpoint.
  io::write_text_file_atomic(dir / "config.json", plan.config.dump(2) + "\n");
  files.push_back(dir / "config.json");
  return files;
}

}  // namespace logitrank::model
