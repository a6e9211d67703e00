// Field spectra: factored and dense paths against the float64 goldens of every fixture
// and model, against each other, and on shapes the fixtures do not cover.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "golden_data.h"
#include "random_matrix.h"
#include "spectra/field_spectrum.h"
#include "spectra/metrics.h"

namespace ls = logitrank::spectra;
namespace lt = logitrank::testing;

namespace {

// max_i |a_i - b_i| / scale over the first n values.
double max_rel_diff(const std::vector<double>& a, const std::vector<double>& b, std::size_t n, double scale) {
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, std::abs(a.at(i) - b.at(i)) / scale);
  return worst;
}

}  // namespace

TEST(FieldSpectrum, EveryGoldenHeadFactoredAndDense) {
  const auto dirs = lt::golden_dirs();
  ASSERT_GE(dirs.size(), 8u) << "expected every fixture and model golden under " << lt::data_dir();
  int heads = 0;
  for (const auto& dir : dirs) {
    const lt::GoldenSet g(dir);
    const int L = g.seq_len(), dh = g.head_dim();
    const std::size_t n = static_cast<std::size_t>(std::min(L, dh));
    double worst_fact = 0, worst_dense = 0, worst_pair = 0;
    for (int l = 0; l < g.n_layers(); ++l)
      for (int h = 0; h < g.n_heads(); ++h) {
        SCOPED_TRACE(g.name() + " layer " + std::to_string(l) + " head " + std::to_string(h));
        const auto q = g.q(l, h), k = g.k(l, g.kv_group(h));
        const auto golden = g.field_sv(l, h);
        const auto fact = ls::field_sv_factored(q, k, L, dh);
        const auto dense = ls::field_sv_dense(q, k, L, dh);
        ASSERT_EQ(fact.size(), n);
        ASSERT_EQ(dense.size(), n);
        ASSERT_GT(golden.at(0), 0.0);
        const double s1 = golden[0];
        const double e_fact = max_rel_diff(fact, golden, n, s1);
        const double e_dense = max_rel_diff(dense, golden, n, s1);
        const double e_pair = max_rel_diff(fact, dense, n, s1);
        EXPECT_LE(e_fact, 1e-9) << "factored vs golden field_sv, relative to sigma_1";
        EXPECT_LE(e_dense, 1e-9) << "dense vs golden field_sv, relative to sigma_1";
        EXPECT_LE(e_pair, 1e-10) << "factored vs dense, relative to sigma_1";
        worst_fact = std::max(worst_fact, e_fact);
        worst_dense = std::max(worst_dense, e_dense);
        worst_pair = std::max(worst_pair, e_pair);

        // Metrics of the factored spectrum equal golden.json (computed there on the padded
        // L-value spectrum): k's and numerical rank exact, the rest 1e-9 relative.
        const auto m = ls::compute_metrics(fact);
        const auto& e = g.head_json(l, h).at("field");
        logitrank::testing::expect_metrics_equal_golden(m, e);
        ++heads;
      }
    std::printf(
        "[ golden   ] %-32s max |sv - golden|/sigma1: factored %.2e, dense %.2e (tol 1e-9); "
        "factored vs dense %.2e (tol 1e-10)\n",
        g.name().c_str(), worst_fact, worst_dense, worst_pair);
  }
  EXPECT_GT(heads, 0);
}

TEST(FieldSpectrum, CenteredFieldRowsSumToZeroAndMatchIdentity) {
  const int L = 37, dh = 8;
  const auto q = lt::random_matrix(L, dh, 1, 1.0, 0.5), k = lt::random_matrix(L, dh, 2, 1.0, 2.0);
  const auto e = ls::centered_field(q, k, L, dh);
  const auto kc = ls::center_keys(k, L, dh);
  double worst_sum = 0, worst_identity = 0, scale = 0;
  for (double v : e) scale = std::max(scale, std::abs(v));
  for (int i = 0; i < L; ++i) {
    double s = 0;
    for (int j = 0; j < L; ++j) {
      s += e[i * L + j];
      double dot = 0;
      for (int c = 0; c < dh; ++c) dot += q[i * dh + c] * kc[j * dh + c];
      worst_identity = std::max(worst_identity, std::abs(dot / std::sqrt(double(dh)) - e[i * L + j]));
    }
    worst_sum = std::max(worst_sum, std::abs(s));
  }
  EXPECT_LE(worst_sum, 1e-12 * scale * L);
  EXPECT_LE(worst_identity, 1e-12 * scale);  // E - rowmean(E) == Q K_c^T / sqrt(d_h)
  for (int c = 0; c < dh; ++c) {
    double s = 0;
    for (int j = 0; j < L; ++j) s += kc[j * dh + c];
    EXPECT_NEAR(s, 0.0, 1e-12 * L);
  }
}

// Shapes beyond the fixtures: L < d_h (trapezoidal R factors), L = d_h, L = 1, wide keys
// with a large mean (the centring must remove it).
TEST(FieldSpectrum, FactoredMatchesDenseOnOtherShapes) {
  struct Shape {
    int L, dh;
  };
  for (const Shape s :
       {Shape{5, 16}, Shape{16, 16}, Shape{17, 16}, Shape{1, 4}, Shape{2, 3}, Shape{200, 32}}) {
    SCOPED_TRACE("L=" + std::to_string(s.L) + " dh=" + std::to_string(s.dh));
    const auto q = lt::random_matrix(s.L, s.dh, 10 + s.L, 1.0, 0.3);
    const auto k = lt::random_matrix(s.L, s.dh, 20 + s.dh, 1.0, 5.0);
    const auto fact = ls::field_sv_factored(q, k, s.L, s.dh);
    const auto dense = ls::field_sv_dense(q, k, s.L, s.dh);
    ASSERT_EQ(fact.size(), static_cast<std::size_t>(std::min(s.L, s.dh)));
    ASSERT_EQ(dense.size(), fact.size());
    EXPECT_TRUE(std::is_sorted(fact.begin(), fact.end(), std::greater<>()));
    const double s1 = std::max(dense[0], 1e-300);
    for (std::size_t i = 0; i < fact.size(); ++i) EXPECT_NEAR(fact[i], dense[i], 1e-10 * s1) << "value " << i;
    // rank(E~) <= min(d_h, L - 1): the smallest value vanishes when L <= d_h.
    if (s.L <= s.dh) {
      EXPECT_LE(fact.back(), 1e-12 * std::max(fact[0], 1.0));
    }
  }
}

TEST(FieldSpectrum, ConstantKeysGiveZeroField) {
  const int L = 10, dh = 4;
  const auto q = lt::random_matrix(L, dh, 3);
  std::vector<double> k(L * dh);
  for (int j = 0; j < L; ++j)
    for (int c = 0; c < dh; ++c) k[j * dh + c] = 0.25 * c - 1.0;  // same key at every position
  for (double v : ls::field_sv_factored(q, k, L, dh)) EXPECT_EQ(v, 0.0);
  const auto m = ls::compute_metrics(ls::field_sv_factored(q, k, L, dh));
  EXPECT_EQ(m.k90, 0);
  EXPECT_EQ(m.erank, 0.0);
}

TEST(FieldSpectrum, RejectsBadShapesAndNonFinite) {
  std::vector<double> q(12, 1.0), k(12, 1.0);
  EXPECT_THROW(ls::field_sv_factored(q, k, 4, 4), std::invalid_argument);
  EXPECT_THROW(ls::field_sv_dense(q, k, 0, 12), std::invalid_argument);
  k[3] = NAN;
  EXPECT_THROW(ls::field_sv_factored(q, k, 3, 4), std::domain_error);
}
