// Forward kernels vs naive double-precision references (the fixtures' windows are too
// short to reach the blocked and sliding-window paths of the attention).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "model/kernels.h"

using namespace logitrank::model::detail;

namespace {

// out[i, h*dh..] = sum_j softmax_j(scale * q_i . k_j over visible j) v_j, in double.
std::vector<double> naive_attention(const std::vector<float>& q, const std::vector<float>& k,
                                    const std::vector<float>& v, int L, int H, int Hkv, int dh, double scale,
                                    int64_t window) {
  std::vector<double> out(static_cast<std::size_t>(L) * H * dh, 0.0);
  const int rep = H / Hkv;
  for (int h = 0; h < H; ++h) {
    const int g = h / rep;
    for (int i = 0; i < L; ++i) {
      std::vector<double> s(static_cast<std::size_t>(L), -INFINITY);
      double m = -INFINITY;
      for (int j = 0; j <= i; ++j) {
        if (window > 0 && !(i - window < j)) continue;
        double d = 0;
        for (int c = 0; c < dh; ++c)
          d += static_cast<double>(q[static_cast<std::size_t>(i) * H * dh + h * dh + c]) *
               k[static_cast<std::size_t>(j) * Hkv * dh + g * dh + c];
        s[j] = d * scale;
        m = std::max(m, s[j]);
      }
      double sum = 0;
      for (int j = 0; j <= i; ++j)
        if (std::isfinite(s[j])) sum += std::exp(s[j] - m);
      for (int j = 0; j <= i; ++j) {
        if (!std::isfinite(s[j])) continue;
        const double p = std::exp(s[j] - m) / sum;
        for (int c = 0; c < dh; ++c)
          out[static_cast<std::size_t>(i) * H * dh + h * dh + c] +=
              p * v[static_cast<std::size_t>(j) * Hkv * dh + g * dh + c];
      }
    }
  }
  return out;
}

}  // namespace

TEST(Kernels, BlockedCausalAttentionWithAndWithoutWindow) {
  const int L = 600, H = 4, Hkv = 2, dh = 8;  // 600 > 256: three query blocks
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> q(static_cast<std::size_t>(L) * H * dh), k(static_cast<std::size_t>(L) * Hkv * dh),
      v(k.size());
  for (auto& x : q) x = nd(rng);
  for (auto& x : k) x = nd(rng);
  for (auto& x : v) x = nd(rng);
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  std::vector<float> scores;
  for (int64_t window : {int64_t{0}, int64_t{1}, int64_t{100}, int64_t{300}, int64_t{600}, int64_t{4096}}) {
    std::vector<float> out(static_cast<std::size_t>(L) * H * dh, -1.0f);
    causal_attention(q.data(), H * dh, k.data(), Hkv * dh, v.data(), Hkv * dh, L, H, Hkv, dh, scale, window,
                     out.data(), scores);
    const auto ref = naive_attention(q, k, v, L, H, Hkv, dh, scale, window);
    double worst = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) worst = std::max(worst, std::abs(out[i] - ref[i]));
    EXPECT_LE(worst, 1e-5) << "window " << window;  // float32 vs double, |v| ~ 1
  }
}

TEST(Kernels, NormsAndActivations) {
  const int rows = 3, cols = 5;
  std::vector<float> x = {1, 2, 3, 4, 5, -1, 0, 1, 0, -1, 10, 10, 10, 10, 10.5f};
  std::vector<float> w = {1, 2, 1, 0.5f, 1}, b = {0, 1, 0, 0, -1}, y(x.size());
  layer_norm(x.data(), rows, cols, w.data(), b.data(), 1e-5, y.data());
  for (int r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int c = 0; c < cols; ++c) mean += x[r * cols + c];
    mean /= cols;
    for (int c = 0; c < cols; ++c) var += (x[r * cols + c] - mean) * (x[r * cols + c] - mean);
    var /= cols;  // biased
    for (int c = 0; c < cols; ++c)
      EXPECT_NEAR(y[r * cols + c], (x[r * cols + c] - mean) / std::sqrt(var + 1e-5) * w[c] + b[c], 1e-5);
  }
  rms_norm(x.data(), rows, cols, w.data(), 1e-6, y.data());
  for (int r = 0; r < rows; ++r) {
    double ss = 0;
    for (int c = 0; c < cols; ++c) ss += x[r * cols + c] * x[r * cols + c];
    for (int c = 0; c < cols; ++c)
      EXPECT_NEAR(y[r * cols + c], x[r * cols + c] / std::sqrt(ss / cols + 1e-6) * w[c], 1e-5);
  }
  std::vector<float> gx = {-3, -0.5f, 0, 0.5f, 3};
  auto g2 = gx;
  gelu(g2.data(), g2.size(), true);
  for (std::size_t i = 0; i < gx.size(); ++i) {
    const double t = gx[i];
    EXPECT_NEAR(g2[i], 0.5 * t * (1 + std::tanh(std::sqrt(2 / M_PI) * (t + 0.044715 * t * t * t))), 1e-6);
  }
  std::vector<float> gu = {1, -2, 3, 4};  // rows 1, inter 2: gate {1,-2}, up {3,4}
  std::vector<float> o(2);
  swiglu(gu.data(), 1, 2, o.data());
  EXPECT_NEAR(o[0], 1 / (1 + std::exp(-1.0)) * 3, 1e-6);
  EXPECT_NEAR(o[1], -2 / (1 + std::exp(2.0)) * 4, 1e-6);
}

TEST(Kernels, ParallelForCoversRangeAndPropagatesErrors) {
  std::vector<int> hit(1000000, 0);
  parallel_for(hit.size(), 100, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) hit[i]++;
  });
  for (int h : hit) ASSERT_EQ(h, 1);
  // the chunk holding the last element throws, whichever thread (or the caller) runs it
  EXPECT_THROW(parallel_for(hit.size(), 100,
                            [&](std::size_t, std::size_t e) {
                              if (e == hit.size()) throw std::runtime_error("x");
                            }),
               std::runtime_error);
}

TEST(Kernels, GeluAndSiluAccurateOverWideRange) {
  // gelu/silu use a vectorisable exp; compare with libm in double over [-100, 100]
  std::vector<float> x;
  for (float v = -100.0f; v <= 100.0f; v += 0.0137f) x.push_back(v);
  auto g = x;
  gelu(g.data(), g.size(), true);
  std::vector<float> gu(2 * x.size()), o(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    gu[i] = x[i];
    gu[x.size() + i] = 1.0f;
  }
  swiglu(gu.data(), 1, static_cast<int>(x.size()), o.data());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double t = x[i];
    const double ref = 0.5 * t * (1 + std::tanh(std::sqrt(2 / M_PI) * (t + 0.044715 * t * t * t)));
    ASSERT_NEAR(g[i], ref, 4e-7 * std::max(1.0, std::abs(ref))) << t;
    const double s = t / (1 + std::exp(-t));
    ASSERT_NEAR(o[i], s, 4e-7 * std::max(1.0, std::abs(s))) << t;
    ASSERT_TRUE(std::isfinite(g[i]) && std::isfinite(o[i]));
  }
}
