#include "model/kernels.h"

#include <cblas.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>

namespace logitrank::model::detail {

int worker_threads() { return std::max(1, openblas_get_num_threads()); }

namespace {

// exp(x) for float32, ~2 ulp, written so the loops using it vectorise (libm expf does
// not without -ffast-math). x is clamped to [-87, 88]: exp(-87) ~ 1.6e-38 stands for 0.
inline float fast_exp(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  const float n = std::floor(x * 1.44269504088896341f + 0.5f);
  const float r = (x - n * 0.693145751953125f) - n * 1.428606765330187045e-06f;  // |r| <= ln2/2
  float p = 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  return p * std::bit_cast<float>((static_cast<int32_t>(n) + 127) << 23);
}

// The element-wise loops below are compiled for AVX-512, AVX2 and the baseline, and the
// loader picks the best the CPU has (GCC target_clones): the portable baseline (SSE2) has
// no vector floor, so fast_exp's loops would not vectorise at all there, and a binary built
// on a login node must still run on older compute nodes. Floating-point contraction is off
// (ISO C++ mode), so every clone computes the same bits.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LOGITRANK_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LOGITRANK_SIMD_CLONES
#endif

// Softmax of row[0, n) in place (max-subtracted), 16 independent lanes so it vectorises.
LOGITRANK_SIMD_CLONES void softmax_inplace(float* row, std::size_t n) {
  constexpr std::size_t W = 16;
  float acc[W];
  for (auto& a : acc) a = row[0];
  std::size_t j = 0;
  for (; j + W <= n; j += W)
    for (std::size_t k = 0; k < W; ++k) acc[k] = acc[k] < row[j + k] ? row[j + k] : acc[k];
  for (; j < n; ++j) acc[0] = acc[0] < row[j] ? row[j] : acc[0];
  float m = acc[0];
  for (auto a : acc) m = m < a ? a : m;
  for (auto& a : acc) a = 0.0f;
  j = 0;
  for (; j + W <= n; j += W)
    for (std::size_t k = 0; k < W; ++k) {
      const float e = fast_exp(row[j + k] - m);
      row[j + k] = e;
      acc[k] += e;
    }
  double sum = 0;
  for (; j < n; ++j) {
    row[j] = fast_exp(row[j] - m);
    sum += row[j];
  }
  for (auto a : acc) sum += a;
  const float inv = static_cast<float>(1.0 / sum);
  for (j = 0; j < n; ++j) row[j] *= inv;
}

// GELU with the tanh approximation over x[b, e):
// 0.5 v (1 + tanh(u)) = v * sigmoid(2u): one exp, no cancellation (libm tanhf is slow).
LOGITRANK_SIMD_CLONES void gelu_tanh_range(float* x, std::size_t b, std::size_t e) {
  const float k = 0.7978845608028654f;  // sqrt(2/pi)
  for (std::size_t i = b; i < e; ++i) {
    const float v = x[i];
    const float u = k * (v + 0.044715f * v * v * v);
    x[i] = v / (1.0f + fast_exp(-2.0f * u));
  }
}

// out[i] = silu(g[i]) * u[i] for i < n.
LOGITRANK_SIMD_CLONES void silu_mul(const float* g, const float* u, int n, float* out) {
  for (int i = 0; i < n; ++i) out[i] = g[i] / (1.0f + fast_exp(-g[i])) * u[i];
}

}  // namespace

namespace {

// A persistent pool: parallel_for runs many times per layer, and creating threads each
// time costs more than the small element-wise loops it splits. Workers sleep on a
// condition variable between jobs (no spinning next to OpenBLAS's threads).
class Pool {
 public:
  static Pool& get() {
    static Pool* pool = new Pool;  // never destroyed: idle workers just end with the process
    return *pool;
  }

  // Runs task(t) for every t in [0, n); the caller takes part. Serialised between callers.
  void run(std::size_t n, const std::function<void(std::size_t)>& task) {
    std::lock_guard<std::mutex> caller(run_mutex_);
    {
      std::lock_guard<std::mutex> lk(m_);
      while (threads_.size() + 1 < n) threads_.emplace_back([this] { work(); });
      task_ = &task;
      n_ = n;
      next_ = 0;
      pending_ = n;
      ++generation_;
    }
    cv_work_.notify_all();
    drain();
    std::unique_lock<std::mutex> lk(m_);
    cv_done_.wait(lk, [this] { return pending_ == 0; });
    task_ = nullptr;
  }

  static thread_local bool inside;

 private:
  // Claims and runs tasks of the current job until none is left.
  void drain() {
    for (;;) {
      std::size_t t;
      const std::function<void(std::size_t)>* task;
      {
        std::lock_guard<std::mutex> lk(m_);
        if (!task_ || next_ >= n_) return;
        t = next_++;
        task = task_;
      }
      (*task)(t);
      std::lock_guard<std::mutex> lk(m_);
      if (--pending_ == 0) cv_done_.notify_all();
    }
  }

  void work() {
    inside = true;
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lk(m_);
        cv_work_.wait(lk, [&] { return generation_ != seen; });
        seen = generation_;
      }
      drain();
    }
  }

  std::mutex run_mutex_, m_;
  std::condition_variable cv_work_, cv_done_;
  std::vector<std::thread> threads_;
  const std::function<void(std::size_t)>* task_ = nullptr;
  std::size_t n_ = 0, next_ = 0, pending_ = 0;
  uint64_t generation_ = 0;
};

thread_local bool Pool::inside = false;

}  // namespace

void parallel_for(std::size_t n, std::size_t cost_per_item,
                  const std::function<void(std::size_t, std::size_t)>& f) {
  const std::size_t total = n * std::max<std::size_t>(cost_per_item, 1);
  std::size_t nt = static_cast<std::size_t>(worker_threads());
  nt = std::min(nt, std::max<std::size_t>(1, total / (1 << 15)));
  nt = std::min(nt, n);
  if (nt <= 1 || Pool::inside) {  // small, or already on a pool thread: run here
    if (n) f(0, n);
    return;
  }
  std::vector<std::exception_ptr> errors(nt);
  const std::size_t chunk = (n + nt - 1) / nt;
  Pool::get().run(nt, [&](std::size_t t) {
    const std::size_t b = t * chunk, e = std::min(n, b + chunk);
    if (b >= e) return;
    try {
      f(b, e);
    } catch (...) {
      errors[t] = std::current_exception();
    }
  });
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

void linear_out_in(const float* x, int rows, int in, const float* w, int out, float* y, bool accumulate) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, in, 1.0f, x, in, w, in,
              accumulate ? 1.0f : 0.0f, y, out);
}

void linear_in_out(const float* x, int rows, int in, const float* w, int out, float* y, bool accumulate) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, out, in, 1.0f, x, in, w, out,
              accumulate ? 1.0f : 0.0f, y, out);
}

void add_bias(float* y, int rows, int cols, const float* b) {
  for (int r = 0; r < rows; ++r) {
    float* row = y + static_cast<std::size_t>(r) * cols;
    for (int c = 0; c < cols; ++c) row[c] += b[c];
  }
}

void layer_norm(const float* x, int rows, int cols, const float* w, const float* b, double eps, float* y) {
  parallel_for(static_cast<std::size_t>(rows), static_cast<std::size_t>(cols),
               [&](std::size_t r0, std::size_t r1) {
                 for (std::size_t r = r0; r < r1; ++r) {
                   const float* xr = x + r * cols;
                   float* yr = y + r * cols;
                   double mean = 0;
                   for (int c = 0; c < cols; ++c) mean += xr[c];
                   mean /= cols;
                   double var = 0;
                   for (int c = 0; c < cols; ++c) var += (xr[c] - mean) * (xr[c] - mean);
                   var /= cols;
                   const double inv = 1.0 / std::sqrt(var + eps);
                   for (int c = 0; c < cols; ++c)
                     yr[c] = static_cast<float>((xr[c] - mean) * inv * w[c] + b[c]);
                 }
               });
}

void rms_norm(const float* x, int rows, int cols, const float* w, double eps, float* y) {
  parallel_for(static_cast<std::size_t>(rows), static_cast<std::size_t>(cols),
               [&](std::size_t r0, std::size_t r1) {
                 for (std::size_t r = r0; r < r1; ++r) {
                   const float* xr = x + r * cols;
                   float* yr = y + r * cols;
                   double ss = 0;
                   for (int c = 0; c < cols; ++c) ss += static_cast<double>(xr[c]) * xr[c];
                   const double inv = 1.0 / std::sqrt(ss / cols + eps);
                   for (int c = 0; c < cols; ++c) yr[c] = static_cast<float>(xr[c] * inv * w[c]);
                 }
               });
}

void gelu(float* x, std::size_t n, bool tanh_approx) {
  parallel_for(n, 8, [&](std::size_t b, std::size_t e) {
    if (tanh_approx) {
      gelu_tanh_range(x, b, e);
    } else {
      for (std::size_t i = b; i < e; ++i) {
        const float v = x[i];
        x[i] = 0.5f * v * (1.0f + std::erf(v * 0.7071067811865476f));
      }
    }
  });
}

void swiglu(const float* gu, int rows, int inter, float* out) {
  parallel_for(static_cast<std::size_t>(rows), static_cast<std::size_t>(inter) * 4,
               [&](std::size_t r0, std::size_t r1) {
                 for (std::size_t r = r0; r < r1; ++r) {
                   const float* g = gu + r * 2 * inter;
                   const float* u = g + inter;
                   float* o = out + r * inter;
                   silu_mul(g, u, inter, o);
                 }
               });
}

void causal_attention(const float* q, int ldq, const float* k, int ldk, const float* v, int ldv, int L, int H,
                      int H_kv, int dh, float scale, int64_t window, float* out, std::vector<float>& scores) {
  const std::size_t LL = static_cast<std::size_t>(L) * L;
  if (scores.size() < LL) scores.resize(LL);
  float* S = scores.data();
  const int rep = H / H_kv;
  const int ldo = H * dh;
  // Query rows in blocks of B: block [r0, r1) needs keys [lo(r0), r1) only, so about half
  // of the L x L products are skipped while every GEMM stays large.
  const int B = std::min(L, 256);
  auto key_lo = [&](int64_t i) -> int64_t { return window > 0 && i >= window ? i - window + 1 : 0; };
  const int nt = std::max(1, std::min(worker_threads(), L));
  for (int h = 0; h < H; ++h) {
    const int g = h / rep;
    const float* qh = q + static_cast<std::size_t>(h) * dh;
    const float* kg = k + static_cast<std::size_t>(g) * dh;
    const float* vg = v + static_cast<std::size_t>(g) * dh;
    // S[r0:r1, lo:r1] = scale * Q_h[r0:r1] K_g[lo:r1]^T
    for (int r0 = 0; r0 < L; r0 += B) {
      const int r1 = std::min(L, r0 + B);
      const int lo = static_cast<int>(key_lo(r0));
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r1 - r0, r1 - lo, dh, scale,
                  qh + static_cast<std::size_t>(r0) * ldq, ldq, kg + static_cast<std::size_t>(lo) * ldk, ldk,
                  0.0f, S + static_cast<std::size_t>(r0) * L + lo, L);
    }
    // causal (and sliding-window) softmax per row; masked entries inside the block's key
    // range become 0. Rows are dealt round-robin so the threads get equal work.
    parallel_for(static_cast<std::size_t>(nt), LL / static_cast<std::size_t>(nt) + 1,
                 [&](std::size_t t0, std::size_t t1) {
                   for (std::size_t t = t0; t < t1; ++t)
                     for (int64_t i = static_cast<int64_t>(t); i < L; i += nt) {
                       float* row = S + static_cast<std::size_t>(i) * L;
                       const int64_t blo = key_lo(i / B * B), bhi = std::min<int64_t>(L, (i / B + 1) * B);
                       const int64_t lo = key_lo(i);
                       softmax_inplace(row + lo, static_cast<std::size_t>(i - lo + 1));
                       for (int64_t j = blo; j < lo; ++j) row[j] = 0.0f;
                       for (int64_t j = i + 1; j < bhi; ++j) row[j] = 0.0f;
                     }
                 });
    // O_h[r0:r1] = P[r0:r1, lo:r1] V_g[lo:r1]
    for (int r0 = 0; r0 < L; r0 += B) {
      const int r1 = std::min(L, r0 + B);
      const int lo = static_cast<int>(key_lo(r0));
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r1 - r0, dh, r1 - lo, 1.0f,
                  S + static_cast<std::size_t>(r0) * L + lo, L, vg + static_cast<std::size_t>(lo) * ldv, ldv,
                  0.0f, out + static_cast<std::size_t>(r0) * ldo + static_cast<std::size_t>(h) * dh, ldo);
    }
  }
}

}  // namespace logitrank::model::detail
