#pragma once
// Rotary position embedding, HF `rotate_half` convention (non-interleaved halves).
// inv_freq, the angles and their cos/sin are computed in double (transformers uses
// float32; the difference is ~1e-7 relative) and the rotation is applied in double to
// the float32 activations, rounding once.
#include <span>
#include <vector>

#include "model/model.h"

namespace logitrank::model::detail {

// inv_freq_i = theta^(-2i/d_h), i < d_h/2, modified by Llama-3 rope_scaling exactly as
// transformers' _compute_llama3_parameters.
std::vector<double> rope_inv_freq(double theta, int head_dim, const RopeScaling& scaling);

class RopeTable {
 public:
  // cos/sin of p * inv_freq_i for p < seq_len.
  RopeTable(std::span<const double> inv_freq, int seq_len);
  // Rotates `n_heads` heads of width 2*inv_freq.size() in each of `seq_len` rows of `x`
  // (row stride `ld` floats, the first head at column 0).
  void apply(float* x, int ld, int n_heads) const;
  int seq_len() const { return seq_len_; }

 private:
  int seq_len_, half_;
  std::vector<double> cos_, sin_;  // [seq_len, half]
};

}  // namespace logitrank::model::detail
