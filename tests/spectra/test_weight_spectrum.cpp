// Weight-interaction spectra M_h = W_Q,h^T W_K,g: QR path vs dense product, and against the
// golden weight_sv of every fixture/model using the checkpoint's own weights.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "golden_data.h"
#include "io/safetensors.h"
#include "random_matrix.h"
#include "spectra/metrics.h"
#include "spectra/weight_spectrum.h"

namespace ls = logitrank::spectra;
namespace lt = logitrank::testing;

TEST(WeightSpectrum, QrPathMatchesDenseOnRandomBlocks) {
  struct Shape {
    int dh, d;
  };
  for (const Shape s : {Shape{16, 64}, Shape{64, 768}, Shape{8, 8}, Shape{16, 10}, Shape{1, 5}}) {
    SCOPED_TRACE("dh=" + std::to_string(s.dh) + " d=" + std::to_string(s.d));
    const auto wq = lt::random_matrix(s.dh, s.d, 100 + s.d, 0.02);
    const auto wk = lt::random_matrix(s.dh, s.d, 200 + s.dh, 0.02);
    const auto qr = ls::weight_sv(wq, wk, s.dh, s.d);
    const auto dense = ls::weight_sv_dense(wq, wk, s.dh, s.d);
    ASSERT_EQ(qr.size(), static_cast<std::size_t>(s.dh));
    ASSERT_EQ(dense.size(), qr.size());
    EXPECT_TRUE(std::is_sorted(qr.begin(), qr.end(), std::greater<>()));
    for (std::size_t i = 0; i < qr.size(); ++i)
      EXPECT_NEAR(qr[i], dense[i], 1e-10 * dense[0]) << "value " << i << " (tol 1e-10 relative to sigma_1)";
    // d < d_h: rank(M_h) <= d, the remaining values are zero.
    for (int i = s.d; i < s.dh; ++i) EXPECT_EQ(qr[i], 0.0);
  }
}

TEST(WeightSpectrum, RejectsBadShapes) {
  std::vector<double> w(10, 0.1);
  EXPECT_THROW(ls::weight_sv(w, w, 3, 4), std::invalid_argument);
  EXPECT_THROW(ls::weight_sv_dense(w, w, 0, 10), std::invalid_argument);
}

namespace {

// W_Q,h and W_K,g as row-major d_h x d blocks, read from a checkpoint (SCIENCE.md / fixtures
// README): Linear q_proj/k_proj rows, or GPT-2's Conv1D c_attn [d, 3d] columns transposed.
struct HeadWeights {
  std::vector<double> wq, wk;
};

const logitrank::io::TensorView& find_either(const logitrank::io::TensorStore& store,
                                             const std::string& name) {
  if (const auto* t = store.find(name)) return *t;
  return store.at("transformer." + name);
}

HeadWeights head_weights(const logitrank::io::TensorStore& store, const std::string& family, int layer,
                         int head, int kv, int dh, int d) {
  HeadWeights w{std::vector<double>(static_cast<std::size_t>(dh) * d),
                std::vector<double>(static_cast<std::size_t>(dh) * d)};
  if (family == "gpt2") {
    const auto& t = find_either(store, "h." + std::to_string(layer) + ".attn.c_attn.weight");
    std::vector<double> all(static_cast<std::size_t>(t.numel()));
    logitrank::io::convert_to(t, all);
    const int cols = 3 * d;
    for (int r = 0; r < dh; ++r)
      for (int c = 0; c < d; ++c) {
        w.wq[r * d + c] = all[static_cast<std::size_t>(c) * cols + head * dh + r];
        w.wk[r * d + c] = all[static_cast<std::size_t>(c) * cols + d + kv * dh + r];
      }
  } else {
    const std::string base = "model.layers." + std::to_string(layer) + ".self_attn.";
    logitrank::io::convert_range(store.at(base + "q_proj.weight"), static_cast<std::size_t>(head) * dh * d,
                                 w.wq);
    logitrank::io::convert_range(store.at(base + "k_proj.weight"), static_cast<std::size_t>(kv) * dh * d,
                                 w.wk);
  }
  return w;
}

}  // namespace

// Golden weight_sv from the checkpoint weights (F32/BF16/F16 converted exactly to double):
// QR path and dense path within 1e-9 of sigma_1 of the golden, and the metrics of the QR
// spectrum equal golden.json's weight metrics (k's and numerical rank exact, rest 1e-9 rel).
TEST(WeightSpectrum, EveryGoldenHeadFromCheckpointWeights) {
  const auto dirs = lt::golden_dirs();
  ASSERT_GE(dirs.size(), 8u) << "expected every fixture and model golden under " << lt::data_dir();
  int heads = 0;
  for (const auto& dir : dirs) {
    const lt::GoldenSet g(dir);
    const auto store = logitrank::io::TensorStore::open(dir);
    const std::string family = g.json().at("family");
    const int dh = g.head_dim(), d = g.hidden_size();
    double worst_qr = 0, worst_dense = 0;
    for (int l = 0; l < g.n_layers(); ++l)
      for (int h = 0; h < g.n_heads(); ++h) {
        SCOPED_TRACE(g.name() + " layer " + std::to_string(l) + " head " + std::to_string(h));
        const HeadWeights w = head_weights(*store, family, l, h, g.kv_group(h), dh, d);
        const auto golden = g.weight_sv(l, h);
        const auto qr = ls::weight_sv(w.wq, w.wk, dh, d);
        const auto dense = ls::weight_sv_dense(w.wq, w.wk, dh, d);
        ASSERT_EQ(qr.size(), golden.size());
        for (std::size_t i = 0; i < qr.size(); ++i) {
          worst_qr = std::max(worst_qr, std::abs(qr[i] - golden[i]) / golden[0]);
          worst_dense = std::max(worst_dense, std::abs(dense[i] - golden[i]) / golden[0]);
          EXPECT_NEAR(qr[i], golden[i], 1e-9 * golden[0]) << "value " << i;
          EXPECT_NEAR(dense[i], golden[i], 1e-9 * golden[0]) << "value " << i;
        }
        const auto m = ls::compute_metrics(qr);
        const auto& e = g.head_json(l, h).at("weight");
        logitrank::testing::expect_metrics_equal_golden(m, e);
        ++heads;
      }
    std::printf("[ golden   ] %-32s max |weight_sv - golden|/sigma1: QR %.2e, dense %.2e (tol 1e-9)\n",
                g.name().c_str(), worst_qr, worst_dense);
  }
  EXPECT_GT(heads, 0);
}
