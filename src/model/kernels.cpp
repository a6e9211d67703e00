#include "model/kernels.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <thread>

namespace logitrank::model::detail {

int worker_threads() { return std::max(1, openblas_get_num_threads()); }

void parallel_for(std::size_t n, std::size_t cost_per_item, const std::function<void(std::size_t, std::size_t)>& f) {
  const std::size_t total = n * std::max<std::size_t>(cost_per_item, 1);
  std::size_t nt = static_cast<std::size_t>(worker_threads());
  nt = std::min(nt, std::max<std::size_t>(1, total / (1 << 16)));
  nt = std::min(nt, n);
  if (nt <= 1) {
    if (n) f(0, n);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(nt - 1);
  std::vector<std::exception_ptr> errors(nt);
  const std::size_t chunk = (n + nt - 1) / nt;
  auto run = [&f, &errors](std::size_t t, std::size_t b, std::size_t e) {
    try {
      f(b, e);
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  for (std::size_t t = 1; t < nt; ++t) {
    const std::size_t b = t * chunk, e = std::min(n, b + chunk);
    if (b < e) pool.emplace_back(run, t, b, e);
  }
  run(0, 0, std::min(n, chunk));
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

void linear_out_in(const float* x, int rows, int in, const float* w, int out, float* y, bool accumulate) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, in, 1.0f, x, in, w, in, accumulate ? 1.0f : 0.0f, y,
              out);
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
  parallel_for(static_cast<std::size_t>(rows), static_cast<std::size_t>(cols), [&](std::size_t r0, std::size_t r1) {
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
      for (int c = 0; c < cols; ++c) yr[c] = static_cast<float>((xr[c] - mean) * inv * w[c] + b[c]);
    }
  });
}

void rms_norm(const float* x, int rows, int cols, const float* w, double eps, float* y) {
  parallel_for(static_cast<std::size_t>(rows), static_cast<std::size_t>(cols), [&](std::size_t r0, std::size_t r1) {
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
      const float k = 0.7978845608028654f;  // sqrt(2/pi)
      for (std::size_t i = b; i < e; ++i) {
        const float v = x[i];
        x[i] = 0.5f * v * (1.0f + std::tanh(k * (v + 0.044715f * v * v * v)));
      }
    } else {
      for (std::size_t i = b; i < e; ++i) {
        const float v = x[i];
        x[i] = 0.5f * v * (1.0f + std::erf(v * 0.7071067811865476f));
      }
    }
  });
}

void swiglu(const float* gu, int rows, int inter, float* out) {
  parallel_for(static_cast<std::size_t>(rows), static_cast<std::size_t>(inter) * 4, [&](std::size_t r0, std::size_t r1) {
    for (std::size_t r = r0; r < r1; ++r) {
      const float* g = gu + r * 2 * inter;
      const float* u = g + inter;
      float* o = out + r * inter;
      for (int i = 0; i < inter; ++i) o[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
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
  for (int h = 0; h < H; ++h) {
    const int g = h / rep;
    // S = scale * Q_h K_g^T (the upper triangle is computed and then masked)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L, L, dh, scale, q + static_cast<std::size_t>(h) * dh, ldq,
                k + static_cast<std::size_t>(g) * dh, ldk, 0.0f, S, L);
    // causal (and sliding-window) softmax per row; masked entries become 0
    parallel_for(static_cast<std::size_t>(L), static_cast<std::size_t>(L) * 4, [&](std::size_t i0, std::size_t i1) {
      for (std::size_t i = i0; i < i1; ++i) {
        float* row = S + i * L;
        const std::size_t lo =
            window > 0 && static_cast<int64_t>(i) >= window ? static_cast<std::size_t>(static_cast<int64_t>(i) - window + 1) : 0;
        float m = row[lo];
        for (std::size_t j = lo; j <= i; ++j) m = std::max(m, row[j]);
        double sum = 0;
        for (std::size_t j = lo; j <= i; ++j) {
          row[j] = std::exp(row[j] - m);
          sum += row[j];
        }
        const float inv = static_cast<float>(1.0 / sum);
        for (std::size_t j = 0; j < lo; ++j) row[j] = 0.0f;
        for (std::size_t j = lo; j <= i; ++j) row[j] *= inv;
        for (std::size_t j = i + 1; j < static_cast<std::size_t>(L); ++j) row[j] = 0.0f;
      }
    });
    // O_h = P V_g
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L, dh, L, 1.0f, S, L, v + static_cast<std::size_t>(g) * dh,
                ldv, 0.0f, out + static_cast<std::size_t>(h) * dh, ldo);
  }
}

}  // namespace logitrank::model::detail
