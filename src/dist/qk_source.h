#pragma once
// Precomputed queries and keys (--qk): a safetensors file with layer.<l>.q [H, L, d_h] and
// layer.<l>.k [H_kv, L, d_h] (F32 or F64) for l = 0..n-1, optional input_ids (I64). Other
// tensors (the fixtures' field_sv, weight_sv, logits) are ignored.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "model/model.h"

namespace logitrank::io {
class SafetensorsFile;
}

namespace logitrank::dist {

class QkSource {
 public:
  // Opens and validates the whole file; InputError (one line, naming file and tensor) for:
  // no layers, a layer with q but no k (or a gap in the layer numbers), a tensor that is not
  // rank 3 or not F32/F64, q/k shapes that disagree (L, d_h) or differ across layers,
  // H not divisible by H_kv, NaN/Inf anywhere in q or k (first bad index named).
  explicit QkSource(const std::filesystem::path& path);
  ~QkSource();
  QkSource(const QkSource&) = delete;
  QkSource& operator=(const QkSource&) = delete;

  const std::filesystem::path& path() const { return path_; }
  int n_layers() const { return n_layers_; }
  int n_heads() const { return n_heads_; }
  int n_kv_heads() const { return n_kv_heads_; }
  int seq_len() const { return seq_len_; }
  int head_dim() const { return head_dim_; }
  const std::vector<int64_t>& input_ids() const { return input_ids_; }  // empty if absent

  // Queries and keys of one layer in float64.
  model::LayerQK layer(int l) const;

 private:
  std::filesystem::path path_;
  std::unique_ptr<io::SafetensorsFile> file_;
  int n_layers_ = 0, n_heads_ = 0, n_kv_heads_ = 0, seq_len_ = 0, head_dim_ = 0;
  std::vector<int64_t> input_ids_;
};

}  // namespace logitrank::dist
