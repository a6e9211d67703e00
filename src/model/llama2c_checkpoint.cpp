// llama2.c legacy ("v0") checkpoints, memory-mapped: a 28-byte header of 7 int32
// (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size (negative = separate
// classifier), seq_len), then float32 tensors: token_embedding [V, d], rms_att [n, d],
// wq [n, d, d], wk [n, kv, d], wv [n, kv, d], wo [n, d, d], rms_ffn [n, d],
// w1 [n, hid, d], w2 [n, d, hid], w3 [n, hid, d], rms_final [d],
// (freq_cis_real, freq_cis_imag [seq_len, d_h/2]), (wcls [V, d] when V < 0).
// The tensors are exposed under Hugging Face Llama names; llama2.c rotates interleaved
// pairs (2i, 2i+1), so the q/k rows are permuted into the rotate_half basis as they are
// converted (like transformers' convert_llama_weights_to_hf).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "io/error.h"
#include "model/checkpoints.h"
#include "model/config.h"
#include "model/transformer.h"

namespace logitrank::model::detail {

namespace fs = std::filesystem;

namespace {

class Llama2cSource final : public WeightSource {
 public:
  explicit Llama2cSource(fs::path file) : file_(std::move(file)) {}
  ~Llama2cSource() override {
    if (map_) ::munmap(map_, size_);
  }
  const io::TensorView* find(std::string_view name) const override {
    auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second;
  }
  std::string where() const override { return file_.string(); }
  std::vector<fs::path> files() const override { return {file_}; }
  std::size_t bytes() const override { return size_; }

  fs::path file_;
  void* map_ = nullptr;
  std::size_t size_ = 0;
  std::map<std::string, io::TensorView, std::less<>> tensors_;
};

[[noreturn]] void bad(const fs::path& f, const std::string& what) {
  throw InputError(f.string() + ": " + what);
}

}  // namespace

std::unique_ptr<Model> open_llama2c(const fs::path& file) {
  auto src = std::make_unique<Llama2cSource>(file);
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) bad(file, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    bad(file, "cannot stat");
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < 28) {
    ::close(fd);
    bad(file, "file is " + std::to_string(size) + " bytes, too short for a llama2.c header (28 bytes)");
  }
  void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);
  if (m == MAP_FAILED) bad(file, std::string("cannot mmap: ") + std::strerror(err));
  src->map_ = m;
  src->size_ = size;
  const auto* base = static_cast<const std::byte*>(m);

  int32_t h[7];
  std::memcpy(h, base, sizeof h);
  if (static_cast<uint32_t>(h[0]) == 0x616b3432u)
    bad(file, "llama2.c version-" + std::to_string(h[1]) +
                  " export (magic 'ak42') is not supported; export the legacy (version 0) format");
  const int64_t dim = h[0], hidden = h[1], n_layers = h[2], n_heads = h[3], n_kv = h[4], seq_len = h[6];
  const bool shared = h[5] > 0;
  const int64_t vocab = h[5] < 0 ? -static_cast<int64_t>(h[5]) : h[5];
  const std::string header = "header (dim " + std::to_string(dim) + ", hidden_dim " + std::to_string(hidden) +
                             ", n_layers " + std::to_string(n_layers) + ", n_heads " +
                             std::to_string(n_heads) + ", n_kv_heads " + std::to_string(n_kv) +
                             ", vocab_size " + std::to_string(h[5]) + ", seq_len " + std::to_string(seq_len) +
                             ")";
  auto in_range = [](int64_t v, int64_t hi) { return v > 0 && v <= hi; };
  if (!in_range(dim, 1 << 16) || !in_range(hidden, 1 << 18) || !in_range(n_layers, 1 << 10) ||
      !in_range(n_heads, 1 << 12) || !in_range(n_kv, 1 << 12) || !in_range(vocab, 1 << 22) ||
      !in_range(seq_len, 1 << 24))
    bad(file, "implausible llama2.c " + header + " (not a llama2.c checkpoint?)");
  if (dim % n_heads != 0) bad(file, header + ": dim is not divisible by n_heads");
  if (n_heads % n_kv != 0) bad(file, header + ": n_heads is not divisible by n_kv_heads");
  const int64_t dh = dim / n_heads, kv_dim = n_kv * dh;
  if (dh % 2 != 0) bad(file, header + ": head size " + std::to_string(dh) + " is odd");

  ModelConfig cfg;
  cfg.family = Family::Llama;
  cfg.architecture = "llama2.c";
  cfg.n_layers = static_cast<int>(n_layers);
  cfg.n_heads = static_cast<int>(n_heads);
  cfg.n_kv_heads = static_cast<int>(n_kv);
  cfg.hidden = static_cast<int>(dim);
  cfg.head_dim = static_cast<int>(dh);
  cfg.intermediate = static_cast<int>(hidden);
  cfg.vocab_size = vocab;
  cfg.max_positions = seq_len;
  cfg.norm_eps = 1e-5;
  cfg.rope_theta = 10000;
  cfg.tie_embeddings = shared;
  cfg.storage_dtype = "F32";
  validate_config(cfg, file);

  // Lay the tensors out in file order.
  struct Block {
    std::string what;                // llama2.c name, for messages
    std::vector<std::string> names;  // HF name per layer (or one)
    std::vector<int64_t> shape;      // per name
  };
  auto per_layer = [&](const std::string& what, const char* suffix, std::vector<int64_t> shape) {
    Block b{what, {}, std::move(shape)};
    for (int64_t l = 0; l < n_layers; ++l)
      b.names.push_back("model.layers." + std::to_string(l) + "." + suffix);
    return b;
  };
  std::vector<Block> blocks;
  blocks.push_back({"token_embedding_table", {"model.embed_tokens.weight"}, {vocab, dim}});
  blocks.push_back(per_layer("rms_att_weight", "input_layernorm.weight", {dim}));
  blocks.push_back(per_layer("wq", "self_attn.q_proj.weight", {dim, dim}));
  blocks.push_back(per_layer("wk", "self_attn.k_proj.weight", {kv_dim, dim}));
  blocks.push_back(per_layer("wv", "self_attn.v_proj.weight", {kv_dim, dim}));
  blocks.push_back(per_layer("wo", "self_attn.o_proj.weight", {dim, dim}));
  blocks.push_back(per_layer("rms_ffn_weight", "post_attention_layernorm.weight", {dim}));
  blocks.push_back(per_layer("w1", "mlp.gate_proj.weight", {hidden, dim}));
  blocks.push_back(per_layer("w2", "mlp.down_proj.weight", {dim, hidden}));
  blocks.push_back(per_layer("w3", "mlp.up_proj.weight", {hidden, dim}));
  blocks.push_back({"rms_final_weight", {"model.norm.weight"}, {dim}});
  uint64_t base_floats = 0;
  for (const auto& b : blocks) {
    uint64_t n = 1;
    for (int64_t s : b.shape) n *= static_cast<uint64_t>(s);
    base_floats += n * b.names.size();
  }
  const uint64_t freq_floats = static_cast<uint64_t>(seq_len) * dh;  // real + imag, d_h/2 each
  const uint64_t cls_floats = static_cast<uint64_t>(vocab) * dim;
  const uint64_t base_bytes = 28 + 4 * base_floats;
  const uint64_t with_freq = base_bytes + 4 * freq_floats;
  // A file shorter than its fixed tensors: name the tensor it ends inside.
  auto name_truncated_tensor = [&] {
    if (size >= base_bytes) return;
    uint64_t off = 28;
    for (const auto& b : blocks)
      for (const auto& n : b.names) {
        uint64_t cnt = 1;
        for (int64_t s : b.shape) cnt *= static_cast<uint64_t>(s);
        if (off + 4 * cnt > size)
          bad(file, "truncated: tensor '" + b.what + "' (" + n + ") ends at byte " +
                        std::to_string(off + 4 * cnt) + " but the file has " + std::to_string(size) +
                        " bytes (" + header + ")");
        off += 4 * cnt;
      }
  };
  bool has_freq = false;
  if (shared) {
    if (size == with_freq)
      has_freq = true;
    else if (size != base_bytes) {
      name_truncated_tensor();
      bad(file, "file is " + std::to_string(size) + " bytes but its " + header + " implies " +
                    std::to_string(with_freq) + " (with freq_cis tables) or " + std::to_string(base_bytes) +
                    " (without); truncated or not a llama2.c v0 checkpoint");
    }
  } else {
    if (size == with_freq + 4 * cls_floats)
      has_freq = true;
    else if (size != base_bytes + 4 * cls_floats) {
      name_truncated_tensor();
      bad(file, "file is " + std::to_string(size) + " bytes but its " + header + " implies " +
                    std::to_string(with_freq + 4 * cls_floats) +
                    " (with freq_cis tables and classifier 'wcls') or " +
                    std::to_string(base_bytes + 4 * cls_floats) +
                    " (classifier without freq_cis); truncated or not a llama2.c v0 checkpoint");
    }
  }
  if (has_freq) {
    blocks.push_back({"freq_cis_real", {"llama2c.freq_cis_real"}, {seq_len, dh / 2}});
    blocks.push_back({"freq_cis_imag", {"llama2c.freq_cis_imag"}, {seq_len, dh / 2}});
  }
  if (!shared) blocks.push_back({"wcls", {"lm_head.weight"}, {vocab, dim}});
  uint64_t off = 28;
  for (const auto& b : blocks) {
    uint64_t cnt = 1;
    for (int64_t s : b.shape) cnt *= static_cast<uint64_t>(s);
    for (const auto& n : b.names) {
      io::TensorView t;
      t.name = n;
      t.dtype = io::DType::F32;
      t.shape = b.shape;
      t.data = base + off;
      t.nbytes = static_cast<std::size_t>(4 * cnt);
      t.file = file;
      src->tensors_.emplace(n, std::move(t));
      off += 4 * cnt;
    }
  }

  ModelInfo info;
  info.name = file.stem().string();
  info.config_file = file;
  info.interleaved_qk_rows = true;
  std::error_code ec;
  const fs::path dir = file.parent_path();
  for (const std::string& t :
       {std::string("tokenizer.bin"), "tok" + std::to_string(vocab) + ".bin", std::string("tokenizer.model")})
    if (fs::exists(dir / t, ec)) {
      info.tokenizer = dir / t;
      break;
    }
  ForwardSettings settings;
  settings.layer_window.assign(static_cast<std::size_t>(n_layers), 0);
  settings.bos_token_id = 1;
  return std::make_unique<TransformerModel>(std::move(cfg), std::move(settings), std::move(src),
                                            std::move(info));
}

}  // namespace logitrank::model::detail
