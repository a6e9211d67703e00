// `logitrank inspect PATH`: a checkpoint summary (family, sizes, rope, dtypes, bytes, files),
// or, for a bare .safetensors file, its tensor list (name, dtype, shape).
#include <mpi.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "commands.h"
#include "io/error.h"
#include "io/safetensors.h"
#include "model/model.h"

namespace logitrank::app {

namespace {

namespace fs = std::filesystem;

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string gib(std::size_t b) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f GiB", double(b) / double(1ull << 30));
  return buf;
}

int inspect_safetensors(const fs::path& path) {
  io::SafetensorsFile f(path);
  const auto names = f.names();
  std::map<std::string, int> per_dtype;
  std::size_t bytes = 0;
  std::printf("file: %s\n", path.string().c_str());
  for (const auto& [k, v] : f.metadata()) std::printf("metadata: %s = %s\n", k.c_str(), v.c_str());
  std::printf("tensors: %zu\n", names.size());
  for (const auto& n : names) {
    const io::TensorView& t = f.at(n);
    std::printf("  %s %s %s\n", n.c_str(), std::string(io::dtype_name(t.dtype)).c_str(),
                shape_str(t.shape).c_str());
    ++per_dtype[std::string(io::dtype_name(t.dtype))];
    bytes += t.nbytes;
  }
  std::string dt;
  for (const auto& [k, v] : per_dtype) dt += (dt.empty() ? "" : ", ") + k + " x " + std::to_string(v);
  std::printf("dtypes: %s\n", dt.empty() ? "-" : dt.c_str());
  std::printf("tensor_bytes: %zu (%s)\n", bytes, gib(bytes).c_str());
  return 0;
}

int inspect_model(const fs::path& path) {
  auto m = model::Model::open(path);
  const model::ModelConfig& c = m->config();
  std::printf("path: %s\n", path.string().c_str());
  std::printf("family: %s\n", model::family_name(c.family).c_str());
  std::printf("architecture: %s\n", c.architecture.c_str());
  std::printf("layers: %d\n", c.n_layers);
  std::printf("heads: %d\n", c.n_heads);
  std::printf("kv_heads: %d\n", c.n_kv_heads);
  std::printf("hidden: %d\n", c.hidden);
  std::printf("head_dim: %d\n", c.head_dim);
  std::printf("intermediate: %d\n", c.intermediate);
  std::printf("vocab: %lld\n", static_cast<long long>(c.vocab_size));
  std::printf("max_positions: %lld\n", static_cast<long long>(c.max_positions));
  std::printf("norm_eps: %g\n", c.norm_eps);
  if (c.family == model::Family::GPT2) {
    std::printf("rope_theta: none (learned positions)\n");
  } else {
    std::printf("rope_theta: %g\n", c.rope_theta);
    if (c.rope_scaling.enabled)
      std::printf(
          "rope_scaling: llama3 factor %g low_freq_factor %g high_freq_factor %g "
          "original_max_position_embeddings %g\n",
          c.rope_scaling.factor, c.rope_scaling.low_freq_factor, c.rope_scaling.high_freq_factor,
          c.rope_scaling.original_max_position_embeddings);
    else
      std::printf("rope_scaling: none\n");
  }
  std::printf("qkv_bias: %s\n", c.qkv_bias ? "true" : "false");
  std::printf("tie_embeddings: %s\n", c.tie_embeddings ? "true" : "false");
  if (c.sliding_window > 0)
    std::printf("sliding_window: %lld\n", static_cast<long long>(c.sliding_window));
  else
    std::printf("sliding_window: none\n");
  std::printf("storage_dtype: %s\n", c.storage_dtype.c_str());

  // Tensors per dtype (Hugging Face folders and .safetensors; a llama2.c .bin has none).
  std::size_t n_tensors = 0;
  std::map<std::string, int> per_dtype;
  int64_t params = 0;
  std::size_t tensor_bytes = 0;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    auto store = io::TensorStore::open(path);
    tensor_bytes = store->total_bytes();
    for (const auto& n : store->names()) {
      const io::TensorView& t = store->at(n);
      ++per_dtype[std::string(io::dtype_name(t.dtype))];
      ++n_tensors;
      // GPT-2's causal-mask buffers are not parameters.
      const bool buffer =
          n.size() > 10 && n.compare(n.size() - 10, 10, ".attn.bias") == 0 && t.shape.size() == 4;
      if (!buffer) params += t.numel();
    }
  }
  if (n_tensors) {
    std::string dt;
    for (const auto& [k, v] : per_dtype) dt += (dt.empty() ? "" : ", ") + k + " x " + std::to_string(v);
    std::printf("tensors: %zu\n", n_tensors);
    std::printf("dtypes: %s\n", dt.c_str());
    std::printf("parameters: %lld\n", static_cast<long long>(params));
    std::printf("tensor_bytes: %zu (%s)\n", tensor_bytes, gib(tensor_bytes).c_str());
  }
  const std::size_t bytes = m->checkpoint_bytes();
  std::printf("checkpoint_bytes: %zu (%s)\n", bytes, gib(bytes).c_str());
  const auto files = m->files();
  std::printf("files: %zu\n", files.size());
  for (const auto& f : files) std::printf("  %s\n", f.string().c_str());
  return 0;
}

}  // namespace

Handler add_inspect_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("inspect",
                                     "checkpoint summary: family, layers, heads, kv heads, d, d_h, dtypes, "
                                     "bytes; or a .safetensors file's tensors");
  sub->add_option("PATH", *path, "checkpoint folder, llama2.c .bin, or .safetensors file")->required();
  return [path]() -> int {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank != 0) return 0;  // a single-process command
    const fs::path p(*path);
    std::error_code ec;
    if (!fs::exists(p, ec)) throw InputError(p.string() + ": no such file or folder");
    if (fs::is_regular_file(p, ec) && p.extension() == ".safetensors") return inspect_safetensors(p);
    return inspect_model(p);
  };
}

}  // namespace logitrank::app
