#pragma once
// Float32 building blocks of the forward passes (row-major [rows, cols] buffers).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace logitrank::model::detail {

// Threads used for the element-wise loops: OpenBLAS's thread count (which honours
// OPENBLAS_NUM_THREADS), at least 1.
int worker_threads();
// Runs f(begin, end) over [0, n) split into contiguous chunks, on up to worker_threads()
// threads; serial when n * cost_per_item is small.
void parallel_for(std::size_t n, std::size_t cost_per_item,
                  const std::function<void(std::size_t, std::size_t)>& f);

// y[rows, out] (+)= x[rows, in] * W^T, W stored (out, in) (Linear).
void linear_out_in(const float* x, int rows, int in, const float* w, int out, float* y, bool accumulate);
// y[rows, out] (+)= x[rows, in] * W, W stored (in, out) (GPT-2 Conv1D).
void linear_in_out(const float* x, int rows, int in, const float* w, int out, float* y, bool accumulate);
// y[r, :] += b for every row.
void add_bias(float* y, int rows, int cols, const float* b);

// LayerNorm with biased variance (statistics in double).
void layer_norm(const float* x, int rows, int cols, const float* w, const float* b, double eps, float* y);
// RMSNorm: x / sqrt(mean(x^2) + eps) * w (statistics in double).
void rms_norm(const float* x, int rows, int cols, const float* w, double eps, float* y);

// GELU in place: tanh approximation (gelu_new) or exact erf.
void gelu(float* x, std::size_t n, bool tanh_approx);
// SwiGLU: out[r, i] = silu(gu[r, i]) * gu[r, inter + i], gu is [rows, 2 * inter].
void swiglu(const float* gu, int rows, int inter, float* out);

// Causal softmax attention for all heads of one layer.
// q, k, v: row-major with leading dimensions ldq/ldk/ldv; head h's query columns start at
// h*dh, kv head g = h / (H/H_kv) at g*dh. out: [L, H*dh]. Query i sees key j iff
// j <= i and (window == 0 or i - window < j). `scores` is scratch (grown to L*L).
void causal_attention(const float* q, int ldq, const float* k, int ldk, const float* v, int ldv, int L, int H,
                      int H_kv, int dh, float scale, int64_t window, float* out, std::vector<float>& scores);

}  // namespace logitrank::model::detail
