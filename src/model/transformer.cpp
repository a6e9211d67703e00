// Validation, layer-by-layer weight conversion and the float32 forward pass shared by all
// families. GPT-2: LayerNorm, Conv1D c_attn [d, 3d] + bias, causal softmax attention,
// c_proj, GELU MLP. Llama/Qwen2/Mistral: RMSNorm, q/k/v (+bias), RoPE (rotate_half), GQA,
// causal (sliding-window) attention, o_proj, SwiGLU MLP.
#include "model/transformer.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "io/error.h"
#include "model/kernels.h"
#include "model/rope.h"

namespace logitrank::model::detail {

namespace fs = std::filesystem;

namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string o = "[";
  for (std::size_t i = 0; i < s.size(); ++i) o += (i ? ", " : "") + std::to_string(s[i]);
  return o + "]";
}

bool is_float(io::DType t) {
  return t == io::DType::F32 || t == io::DType::BF16 || t == io::DType::F16 || t == io::DType::F64;
}

[[noreturn]] void non_finite(const io::TensorView& t, std::size_t index, double value) {
  throw InputError(t.file.string() + ": tensor '" + t.name + "' has a non-finite value (" +
                   (std::isnan(value) ? "nan" : "inf") + ") at element " + std::to_string(index));
}

// Row of the interleaved-pair (llama2.c / Meta) layout that lands at rotate_half row `r`.
std::size_t interleaved_source_row(std::size_t r, std::size_t dh) {
  const std::size_t half = dh / 2, head = r / dh, within = r % dh;
  const std::size_t a = within / half, i = within % half;
  return head * dh + 2 * i + a;
}

}  // namespace

TransformerModel::TransformerModel(ModelConfig cfg, ForwardSettings settings,
                                   std::unique_ptr<WeightSource> src, ModelInfo info)
    : cfg_(std::move(cfg)), set_(std::move(settings)), src_(std::move(src)), info_(std::move(info)) {
  if (cfg_.family == Family::GPT2 && src_->find("transformer.wte.weight")) gpt2_prefix_ = "transformer.";
  if (set_.layer_window.size() != static_cast<std::size_t>(cfg_.n_layers))
    set_.layer_window.assign(static_cast<std::size_t>(cfg_.n_layers), cfg_.sliding_window);
  has_qkv_bias_ = cfg_.qkv_bias;
  validate_tensors();
  const auto* emb =
      src_->find(cfg_.family == Family::GPT2 ? gpt2_prefix_ + "wte.weight" : "model.embed_tokens.weight");
  cfg_.storage_dtype = std::string(io::dtype_name(emb->dtype));
  if (cfg_.family != Family::GPT2)
    inv_freq_ = rope_inv_freq(cfg_.rope_theta, cfg_.head_dim, cfg_.rope_scaling);
}

std::vector<fs::path> TransformerModel::files() const {
  std::vector<fs::path> out = info_.meta_files;
  for (const auto& f : src_->files()) out.push_back(f);
  return out;
}

std::string TransformerModel::gpt2(int layer, const char* suffix) const {
  return gpt2_prefix_ + "h." + std::to_string(layer) + "." + suffix;
}
std::string TransformerModel::llama(int layer, const char* suffix) const {
  return "model.layers." + std::to_string(layer) + "." + suffix;
}

std::vector<TransformerModel::Spec> TransformerModel::expected_tensors() const {
  const int64_t d = cfg_.hidden, V = cfg_.vocab_size, I = cfg_.intermediate;
  const int64_t qd = static_cast<int64_t>(cfg_.n_heads) * cfg_.head_dim;
  const int64_t kvd = static_cast<int64_t>(cfg_.n_kv_heads) * cfg_.head_dim;
  std::vector<Spec> s;
  const bool want_head = !cfg_.tie_embeddings && cfg_.architecture != "GPT2Model";
  if (want_head || src_->find("lm_head.weight")) s.push_back({"lm_head.weight", {V, d}});
  if (cfg_.family == Family::GPT2) {
    const std::string& p = gpt2_prefix_;
    s.push_back({p + "wte.weight", {V, d}});
    s.push_back({p + "wpe.weight", {cfg_.max_positions, d}});
    for (int l = 0; l < cfg_.n_layers; ++l) {
      s.push_back({gpt2(l, "ln_1.weight"), {d}});
      s.push_back({gpt2(l, "ln_1.bias"), {d}});
      s.push_back({gpt2(l, "attn.c_attn.weight"), {d, 3 * d}});
      s.push_back({gpt2(l, "attn.c_attn.bias"), {3 * d}});
      s.push_back({gpt2(l, "attn.c_proj.weight"), {d, d}});
      s.push_back({gpt2(l, "attn.c_proj.bias"), {d}});
      s.push_back({gpt2(l, "ln_2.weight"), {d}});
      s.push_back({gpt2(l, "ln_2.bias"), {d}});
      s.push_back({gpt2(l, "mlp.c_fc.weight"), {d, I}});
      s.push_back({gpt2(l, "mlp.c_fc.bias"), {I}});
      s.push_back({gpt2(l, "mlp.c_proj.weight"), {I, d}});
      s.push_back({gpt2(l, "mlp.c_proj.bias"), {d}});
    }
    s.push_back({p + "ln_f.weight", {d}});
    s.push_back({p + "ln_f.bias", {d}});
    return s;
  }
  s.push_back({"model.embed_tokens.weight", {V, d}});
  for (int l = 0; l < cfg_.n_layers; ++l) {
    s.push_back({llama(l, "input_layernorm.weight"), {d}});
    s.push_back({llama(l, "self_attn.q_proj.weight"), {qd, d}});
    s.push_back({llama(l, "self_attn.k_proj.weight"), {kvd, d}});
    s.push_back({llama(l, "self_attn.v_proj.weight"), {kvd, d}});
    s.push_back({llama(l, "self_attn.o_proj.weight"), {d, qd}});
    if (cfg_.qkv_bias) {
      s.push_back({llama(l, "self_attn.q_proj.bias"), {qd}});
      s.push_back({llama(l, "self_attn.k_proj.bias"), {kvd}});
      s.push_back({llama(l, "self_attn.v_proj.bias"), {kvd}});
    }
    if (set_.o_bias) s.push_back({llama(l, "self_attn.o_proj.bias"), {d}});
    s.push_back({llama(l, "post_attention_layernorm.weight"), {d}});
    s.push_back({llama(l, "mlp.gate_proj.weight"), {I, d}});
    s.push_back({llama(l, "mlp.up_proj.weight"), {I, d}});
    s.push_back({llama(l, "mlp.down_proj.weight"), {d, I}});
    if (set_.mlp_bias) {
      s.push_back({llama(l, "mlp.gate_proj.bias"), {I}});
      s.push_back({llama(l, "mlp.up_proj.bias"), {I}});
      s.push_back({llama(l, "mlp.down_proj.bias"), {d}});
    }
  }
  s.push_back({"model.norm.weight", {d}});
  return s;
}

void TransformerModel::validate_tensors() const {
  for (const auto& spec : expected_tensors()) {
    const io::TensorView* t = src_->find(spec.name);
    if (!t)
      throw InputError(src_->where() + ": tensor '" + spec.name + "' not found (required by " +
                       info_.config_file.string() + ", " + cfg_.architecture + ")");
    if (!is_float(t->dtype))
      throw InputError(t->file.string() + ": tensor '" + spec.name + "' has dtype " +
                       std::string(io::dtype_name(t->dtype)) + "; expected F32, F16, BF16 or F64");
    if (t->shape != spec.shape)
      throw InputError(t->file.string() + ": tensor '" + spec.name + "' has shape " + shape_str(t->shape) +
                       " but " + info_.config_file.string() + " implies " + shape_str(spec.shape));
  }
}

const io::TensorView& TransformerModel::tensor(const std::string& name) const {
  const io::TensorView* t = src_->find(name);
  if (!t) throw InputError(src_->where() + ": tensor '" + name + "' not found");
  return *t;
}

void TransformerModel::load(const std::string& name, float* dst, int permute_heads) const {
  const io::TensorView& t = tensor(name);
  if (!is_float(t.dtype))
    throw InputError(t.file.string() + ": tensor '" + name + "' is not a floating-point tensor");
  const std::size_t n = static_cast<std::size_t>(t.numel());
  // Every tensor is checked for NaN/Inf the first time it is converted (in the same pass).
  const bool check = !verified_.contains(name);
  std::atomic<std::size_t> first_bad{n};
  auto scan = [&](std::size_t b, std::size_t e) {
    if (!check) return;
    for (std::size_t i = b; i < e; ++i)
      if (!std::isfinite(dst[i])) {
        std::size_t cur = first_bad.load();
        while (i < cur && !first_bad.compare_exchange_weak(cur, i)) {
        }
        return;
      }
  };
  if (permute_heads == 0) {
    parallel_for(n, 3, [&](std::size_t b, std::size_t e) {
      constexpr std::size_t kBlock = 1 << 14;  // convert and scan while the block is in cache
      for (std::size_t i = b; i < e; i += kBlock) {
        const std::size_t j = std::min(e, i + kBlock);
        io::convert_range(t, i, std::span<float>(dst + i, j - i));
        scan(i, j);
      }
    });
  } else {
    const std::size_t rows = static_cast<std::size_t>(t.shape.at(0)), cols = n / rows;
    const std::size_t dh = rows / static_cast<std::size_t>(permute_heads);
    parallel_for(rows, cols * 3, [&](std::size_t r0, std::size_t r1) {
      for (std::size_t r = r0; r < r1; ++r) {
        io::convert_range(t, interleaved_source_row(r, dh) * cols, std::span<float>(dst + r * cols, cols));
        scan(r * cols, (r + 1) * cols);
      }
    });
  }
  const std::size_t bad = first_bad.load();
  if (bad < n) {
    // report the tensor's own element index (rows may have been permuted)
    std::size_t src = bad;
    if (permute_heads) {
      const std::size_t rows = static_cast<std::size_t>(t.shape.at(0)), cols = n / rows;
      src = interleaved_source_row(bad / cols, rows / static_cast<std::size_t>(permute_heads)) * cols +
            bad % cols;
    }
    non_finite(t, src, dst[bad]);
  }
  if (check) verified_.insert(name);
}

void TransformerModel::load_double(const std::string& name, std::size_t offset, std::span<double> out) const {
  const io::TensorView& t = tensor(name);
  io::convert_range(t, offset, out);
  for (std::size_t i = 0; i < out.size(); ++i)
    if (!std::isfinite(out[i])) non_finite(t, offset + i, out[i]);
}

void TransformerModel::allocate_buffers() {
  if (!w_.norm1_w.empty()) return;
  const std::size_t d = cfg_.hidden, I = cfg_.intermediate;
  const std::size_t qd = static_cast<std::size_t>(cfg_.n_heads) * cfg_.head_dim;
  const std::size_t kvd = static_cast<std::size_t>(cfg_.n_kv_heads) * cfg_.head_dim;
  w_.norm1_w.resize(d);
  w_.norm2_w.resize(d);
  if (cfg_.family == Family::GPT2) {
    w_.norm1_b.resize(d);
    w_.norm2_b.resize(d);
    w_.w_qkv.resize(d * 3 * d);
    w_.b_qkv.resize(3 * d);
    w_.w_o.resize(d * d);
    w_.b_o.resize(d);
    w_.w_up.resize(d * I);
    w_.b_up.resize(I);
    w_.w_down.resize(I * d);
    w_.b_down.resize(d);
  } else {
    w_.w_qkv.resize((qd + 2 * kvd) * d);
    if (has_qkv_bias_) w_.b_qkv.resize(qd + 2 * kvd);
    w_.w_o.resize(d * qd);
    if (set_.o_bias) w_.b_o.resize(d);
    w_.w_up.resize(2 * I * d);
    w_.w_down.resize(d * I);
    if (set_.mlp_bias) {
      w_.b_up.resize(2 * I);
      w_.b_down.resize(d);
    }
  }
}

void TransformerModel::load_attention(int l) {
  if (cfg_.family == Family::GPT2) {
    load(gpt2(l, "ln_1.weight"), w_.norm1_w.data());
    load(gpt2(l, "ln_1.bias"), w_.norm1_b.data());
    load(gpt2(l, "attn.c_attn.weight"), w_.w_qkv.data());
    load(gpt2(l, "attn.c_attn.bias"), w_.b_qkv.data());
    return;
  }
  const std::size_t d = cfg_.hidden;
  const std::size_t qd = static_cast<std::size_t>(cfg_.n_heads) * cfg_.head_dim;
  const std::size_t kvd = static_cast<std::size_t>(cfg_.n_kv_heads) * cfg_.head_dim;
  const int pq = info_.interleaved_qk_rows ? cfg_.n_heads : 0;
  const int pk = info_.interleaved_qk_rows ? cfg_.n_kv_heads : 0;
  load(llama(l, "input_layernorm.weight"), w_.norm1_w.data());
  load(llama(l, "self_attn.q_proj.weight"), w_.w_qkv.data(), pq);
  load(llama(l, "self_attn.k_proj.weight"), w_.w_qkv.data() + qd * d, pk);
  load(llama(l, "self_attn.v_proj.weight"), w_.w_qkv.data() + (qd + kvd) * d);
  if (has_qkv_bias_) {
    load(llama(l, "self_attn.q_proj.bias"), w_.b_qkv.data(), pq);
    load(llama(l, "self_attn.k_proj.bias"), w_.b_qkv.data() + qd, pk);
    load(llama(l, "self_attn.v_proj.bias"), w_.b_qkv.data() + qd + kvd);
  }
}

void TransformerModel::load_rest(int l) {
  if (cfg_.family == Family::GPT2) {
    load(gpt2(l, "attn.c_proj.weight"), w_.w_o.data());
    load(gpt2(l, "attn.c_proj.bias"), w_.b_o.data());
    load(gpt2(l, "ln_2.weight"), w_.norm2_w.data());
    load(gpt2(l, "ln_2.bias"), w_.norm2_b.data());
    load(gpt2(l, "mlp.c_fc.weight"), w_.w_up.data());
    load(gpt2(l, "mlp.c_fc.bias"), w_.b_up.data());
    load(gpt2(l, "mlp.c_proj.weight"), w_.w_down.data());
    load(gpt2(l, "mlp.c_proj.bias"), w_.b_down.data());
    return;
  }
  const std::size_t d = cfg_.hidden, I = cfg_.intermediate;
  load(llama(l, "self_attn.o_proj.weight"), w_.w_o.data());
  if (set_.o_bias) load(llama(l, "self_attn.o_proj.bias"), w_.b_o.data());
  load(llama(l, "post_attention_layernorm.weight"), w_.norm2_w.data());
  load(llama(l, "mlp.gate_proj.weight"), w_.w_up.data());
  load(llama(l, "mlp.up_proj.weight"), w_.w_up.data() + I * d);
  load(llama(l, "mlp.down_proj.weight"), w_.w_down.data());
  if (set_.mlp_bias) {
    load(llama(l, "mlp.gate_proj.bias"), w_.b_up.data());
    load(llama(l, "mlp.up_proj.bias"), w_.b_up.data() + I);
    load(llama(l, "mlp.down_proj.bias"), w_.b_down.data());
  }
}

void TransformerModel::embed(std::span<const int32_t> ids) {
  const std::size_t d = cfg_.hidden;
  const io::TensorView& wte =
      tensor(cfg_.family == Family::GPT2 ? gpt2_prefix_ + "wte.weight" : "model.embed_tokens.weight");
  for (std::size_t p = 0; p < ids.size(); ++p) {
    const std::size_t off = static_cast<std::size_t>(ids[p]) * d;
    float* row = x_.data() + p * d;
    io::convert_range(wte, off, std::span<float>(row, d));
    for (std::size_t c = 0; c < d; ++c)
      if (!std::isfinite(row[c])) non_finite(wte, off + c, row[c]);
  }
  if (cfg_.family != Family::GPT2) return;
  const io::TensorView& wpe = tensor(gpt2_prefix_ + "wpe.weight");
  std::vector<float> pos(d);
  for (std::size_t p = 0; p < ids.size(); ++p) {
    io::convert_range(wpe, p * d, pos);
    float* row = x_.data() + p * d;
    for (std::size_t c = 0; c < d; ++c) {
      if (!std::isfinite(pos[c])) non_finite(wpe, p * d + c, pos[c]);
      row[c] += pos[c];
    }
  }
}

void TransformerModel::forward_qk(std::span<const int32_t> ids, std::span<const int> layers,
                                  const std::function<void(const LayerQK&)>& sink) {
  const fs::path& cf = info_.config_file;
  if (ids.empty()) throw InputError(info_.name + ": empty token window");
  if (ids.size() > (std::size_t{1} << 20))
    throw InputError(info_.name + ": window of " + std::to_string(ids.size()) + " tokens is too long");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (layers[i] < 0 || layers[i] >= cfg_.n_layers)
      throw InputError(cf.string() + ": layer " + std::to_string(layers[i]) +
                       " is out of range (the model has " + std::to_string(cfg_.n_layers) + " layers)");
    if (i > 0 && layers[i] <= layers[i - 1])
      throw InputError(cf.string() + ": requested layers must be ascending and unique (" +
                       std::to_string(layers[i - 1]) + " then " + std::to_string(layers[i]) + ")");
  }
  for (std::size_t p = 0; p < ids.size(); ++p)
    if (ids[p] < 0 || ids[p] >= cfg_.vocab_size)
      throw InputError(cf.string() + ": token id " + std::to_string(ids[p]) + " at position " +
                       std::to_string(p) + " is out of range (vocab_size " + std::to_string(cfg_.vocab_size) +
                       ")");
  if (cfg_.family == Family::GPT2 && static_cast<int64_t>(ids.size()) > cfg_.max_positions)
    throw InputError(cf.string() + ": window of " + std::to_string(ids.size()) +
                     " tokens exceeds n_positions " + std::to_string(cfg_.max_positions));
  if (layers.empty()) return;

  const int L = static_cast<int>(ids.size());
  const int d = cfg_.hidden, H = cfg_.n_heads, Hkv = cfg_.n_kv_heads, dh = cfg_.head_dim,
            I = cfg_.intermediate;
  const int qd = H * dh, kvd = Hkv * dh, ld = qd + 2 * kvd;
  const bool gpt = cfg_.family == Family::GPT2;
  const std::size_t Ls = static_cast<std::size_t>(L);
  allocate_buffers();
  auto grow = [](std::vector<float>& v, std::size_t n) {
    if (v.size() < n) v.resize(n);
  };
  grow(x_, Ls * d);
  grow(h_, Ls * d);
  grow(qkv_, Ls * ld);
  grow(attn_, Ls * qd);
  grow(mlp_, Ls * (gpt ? I : 2 * I));
  if (!gpt) grow(mlp2_, Ls * I);
  embed(ids);
  std::unique_ptr<RopeTable> rope;
  if (!gpt) rope = std::make_unique<RopeTable>(inv_freq_, L);

  const int last = layers.back();
  std::size_t next = 0;
  for (int l = 0; l <= last; ++l) {
    // attention input: norm, then q|k|v = x_norm W (+ b), rotary on q and k
    load_attention(l);
    if (gpt) {
      layer_norm(x_.data(), L, d, w_.norm1_w.data(), w_.norm1_b.data(), cfg_.norm_eps, h_.data());
      linear_in_out(h_.data(), L, d, w_.w_qkv.data(), ld, qkv_.data(), false);
      add_bias(qkv_.data(), L, ld, w_.b_qkv.data());
    } else {
      rms_norm(x_.data(), L, d, w_.norm1_w.data(), cfg_.norm_eps, h_.data());
      linear_out_in(h_.data(), L, d, w_.w_qkv.data(), ld, qkv_.data(), false);
      if (has_qkv_bias_) add_bias(qkv_.data(), L, ld, w_.b_qkv.data());
      rope->apply(qkv_.data(), ld, H);
      rope->apply(qkv_.data() + qd, ld, Hkv);
    }
    if (layers[next] == l) {  // hand Q [H, L, d_h] and K [H_kv, L, d_h] to the caller, in float64
      out_.layer = l;
      out_.n_heads = H;
      out_.n_kv_heads = Hkv;
      out_.seq_len = L;
      out_.head_dim = dh;
      out_.q.resize(static_cast<std::size_t>(H) * Ls * dh);
      out_.k.resize(static_cast<std::size_t>(Hkv) * Ls * dh);
      for (int h = 0; h < H; ++h)
        for (int p = 0; p < L; ++p) {
          const float* src =
              qkv_.data() + static_cast<std::size_t>(p) * ld + static_cast<std::size_t>(h) * dh;
          double* dst = out_.q.data() + (static_cast<std::size_t>(h) * L + p) * dh;
          for (int i = 0; i < dh; ++i) dst[i] = src[i];
        }
      for (int g = 0; g < Hkv; ++g)
        for (int p = 0; p < L; ++p) {
          const float* src =
              qkv_.data() + static_cast<std::size_t>(p) * ld + qd + static_cast<std::size_t>(g) * dh;
          double* dst = out_.k.data() + (static_cast<std::size_t>(g) * L + p) * dh;
          for (int i = 0; i < dh; ++i) dst[i] = src[i];
        }
      sink(out_);
      ++next;
    }
    if (l == last) break;

    // attention and the rest of the block
    load_rest(l);
    float scale = 1.0f;
    if (!gpt || set_.scale_attn_weights) scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(dh)));
    if (gpt && set_.scale_attn_by_inverse_layer_idx) scale /= static_cast<float>(l + 1);
    const int64_t window = gpt ? 0 : set_.layer_window[static_cast<std::size_t>(l)];
    causal_attention(qkv_.data(), ld, qkv_.data() + qd, ld, qkv_.data() + qd + kvd, ld, L, H, Hkv, dh, scale,
                     window, attn_.data(), scores_);
    if (gpt) {
      linear_in_out(attn_.data(), L, d, w_.w_o.data(), d, x_.data(), true);
      add_bias(x_.data(), L, d, w_.b_o.data());
      layer_norm(x_.data(), L, d, w_.norm2_w.data(), w_.norm2_b.data(), cfg_.norm_eps, h_.data());
      linear_in_out(h_.data(), L, d, w_.w_up.data(), I, mlp_.data(), false);
      add_bias(mlp_.data(), L, I, w_.b_up.data());
      gelu(mlp_.data(), Ls * I, set_.gelu_tanh);
      linear_in_out(mlp_.data(), L, I, w_.w_down.data(), d, x_.data(), true);
      add_bias(x_.data(), L, d, w_.b_down.data());
    } else {
      linear_out_in(attn_.data(), L, qd, w_.w_o.data(), d, x_.data(), true);
      if (set_.o_bias) add_bias(x_.data(), L, d, w_.b_o.data());
      rms_norm(x_.data(), L, d, w_.norm2_w.data(), cfg_.norm_eps, h_.data());
      linear_out_in(h_.data(), L, d, w_.w_up.data(), 2 * I, mlp_.data(), false);
      if (set_.mlp_bias) add_bias(mlp_.data(), L, 2 * I, w_.b_up.data());
      swiglu(mlp_.data(), L, I, mlp2_.data());
      linear_out_in(mlp2_.data(), L, I, w_.w_down.data(), d, x_.data(), true);
      if (set_.mlp_bias) add_bias(x_.data(), L, d, w_.b_down.data());
    }
  }
}

AttentionWeights TransformerModel::attention_weights(int layer) const {
  if (layer < 0 || layer >= cfg_.n_layers)
    throw InputError(info_.config_file.string() + ": layer " + std::to_string(layer) +
                     " is out of range (the model has " + std::to_string(cfg_.n_layers) + " layers)");
  AttentionWeights aw;
  aw.layer = layer;
  aw.n_heads = cfg_.n_heads;
  aw.n_kv_heads = cfg_.n_kv_heads;
  aw.head_dim = cfg_.head_dim;
  aw.hidden = cfg_.hidden;
  const std::size_t d = cfg_.hidden, dh = cfg_.head_dim;
  const std::size_t qd = static_cast<std::size_t>(cfg_.n_heads) * dh,
                    kvd = static_cast<std::size_t>(cfg_.n_kv_heads) * dh;
  aw.wq.resize(qd * d);
  aw.wk.resize(kvd * d);
  if (cfg_.family == Family::GPT2) {
    // c_attn is Conv1D [d, 3d]: W_Q,h = (columns h*d_h .. of the first d)^T
    std::vector<double> w(d * 3 * d);
    load_double(gpt2(layer, "attn.c_attn.weight"), 0, w);
    for (std::size_t c = 0; c < d; ++c) {
      const double* row = w.data() + c * 3 * d;
      for (std::size_t r = 0; r < qd; ++r) aw.wq[r * d + c] = row[r];
      for (std::size_t r = 0; r < kvd; ++r) aw.wk[r * d + c] = row[d + r];
    }
    return aw;
  }
  const bool perm = info_.interleaved_qk_rows;
  const std::string qn = llama(layer, "self_attn.q_proj.weight"),
                    kn = llama(layer, "self_attn.k_proj.weight");
  for (std::size_t r = 0; r < qd; ++r)
    load_double(qn, (perm ? interleaved_source_row(r, dh) : r) * d,
                std::span<double>(aw.wq.data() + r * d, d));
  for (std::size_t r = 0; r < kvd; ++r)
    load_double(kn, (perm ? interleaved_source_row(r, dh) : r) * d,
                std::span<double>(aw.wk.data() + r * d, d));
  return aw;
}

}  // namespace logitrank::model::detail
