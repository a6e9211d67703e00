#include "model/rope.h"

#include <cmath>
#include <numbers>

namespace logitrank::model::detail {

std::vector<double> rope_inv_freq(double theta, int head_dim, const RopeScaling& rs) {
  const int half = head_dim / 2;
  std::vector<double> inv(static_cast<std::size_t>(half));
  for (int i = 0; i < half; ++i) inv[i] = 1.0 / std::pow(theta, static_cast<double>(2 * i) / head_dim);
  if (!rs.enabled) return inv;
  const double orig = rs.original_max_position_embeddings;
  const double low_wl = orig / rs.low_freq_factor;
  const double high_wl = orig / rs.high_freq_factor;
  for (double& f : inv) {
    const double wavelen = 2 * std::numbers::pi / f;
    if (wavelen < high_wl) continue;  // high frequency: unchanged
    if (wavelen > low_wl) {           // low frequency: scaled
      f = f / rs.factor;
      continue;
    }
    const double s = (orig / wavelen - rs.low_freq_factor) / (rs.high_freq_factor - rs.low_freq_factor);
    f = (1 - s) * f / rs.factor + s * f;
  }
  return inv;
}

RopeTable::RopeTable(std::span<const double> inv_freq, int seq_len)
    : seq_len_(seq_len), half_(static_cast<int>(inv_freq.size())) {
  cos_.resize(static_cast<std::size_t>(seq_len) * half_);
  sin_.resize(cos_.size());
  for (int p = 0; p < seq_len; ++p)
    for (int i = 0; i < half_; ++i) {
      const double a = p * inv_freq[i];
      cos_[static_cast<std::size_t>(p) * half_ + i] = std::cos(a);
      sin_[static_cast<std::size_t>(p) * half_ + i] = std::sin(a);
    }
}

void RopeTable::apply(float* x, int ld, int n_heads) const {
  const int dh = 2 * half_;
  for (int p = 0; p < seq_len_; ++p) {
    const double* c = cos_.data() + static_cast<std::size_t>(p) * half_;
    const double* s = sin_.data() + static_cast<std::size_t>(p) * half_;
    float* row = x + static_cast<std::size_t>(p) * ld;
    for (int h = 0; h < n_heads; ++h) {
      float* v = row + static_cast<std::size_t>(h) * dh;
      for (int i = 0; i < half_; ++i) {
        const double x1 = v[i], x2 = v[i + half_];
        v[i] = static_cast<float>(x1 * c[i] - x2 * s[i]);
        v[i + half_] = static_cast<float>(x2 * c[i] + x1 * s[i]);
      }
    }
  }
}

}  // namespace logitrank::model::detail
