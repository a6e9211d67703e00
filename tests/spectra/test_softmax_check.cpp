// Softmax stability of truncation: the certified bound holds on every golden head and rank,
// and the curve agrees with an independent dense computation (full SVD of the L x L field).
#include <gtest/gtest.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "golden_data.h"
#include "random_matrix.h"
#include "spectra/field_spectrum.h"
#include "spectra/softmax_check.h"

namespace ls = logitrank::spectra;
namespace lt = logitrank::testing;

namespace {

// Reference numbers for one rank, straight from the definitions (row-major L x L inputs).
struct Reference {
  double tv_full = 0, tv_causal = 0, bound_full = 0, bound_causal = 0;
};

double tv(const double* x, const double* y, int n) {
  const double mx = *std::max_element(x, x + n), my = *std::max_element(y, y + n);
  double sx = 0, sy = 0;
  for (int j = 0; j < n; ++j) sx += std::exp(x[j] - mx), sy += std::exp(y[j] - my);
  double l1 = 0;
  for (int j = 0; j < n; ++j) l1 += std::abs(std::exp(x[j] - mx) / sx - std::exp(y[j] - my) / sy);
  return 0.5 * l1;
}

double osc_bound(const double* x, const double* y, int n) {
  double hi = -INFINITY, lo = INFINITY;
  for (int j = 0; j < n; ++j) hi = std::max(hi, x[j] - y[j]), lo = std::min(lo, x[j] - y[j]);
  return std::tanh((hi - lo) / 4);
}

Reference reference(const std::vector<double>& e, const std::vector<double>& er, int L) {
  Reference r;
  for (int i = 0; i < L; ++i) {
    const double* x = e.data() + i * L;
    const double* y = er.data() + i * L;
    r.tv_full = std::max(r.tv_full, tv(x, y, L));
    r.tv_causal = std::max(r.tv_causal, tv(x, y, i + 1));
    r.bound_full = std::max(r.bound_full, osc_bound(x, y, L));
    r.bound_causal = std::max(r.bound_causal, osc_bound(x, y, i + 1));
  }
  return r;
}

// Full SVD of the dense field, E~ = U diag(s) V^T (row-major), for independent truncations.
struct DenseSvd {
  std::vector<double> u, s, vt;
};

DenseSvd dense_svd(std::vector<double> e, int L) {
  DenseSvd out{std::vector<double>(L * L), std::vector<double>(L), std::vector<double>(L * L)};
  const int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'A', L, L, e.data(), L, out.s.data(), out.u.data(), L,
                                  out.vt.data(), L);
  if (info != 0) throw std::runtime_error("dgesdd failed");
  return out;
}

std::vector<double> truncate(const DenseSvd& svd, int L, int r) {
  std::vector<double> er(L * L, 0.0);
  for (int t = 0; t < std::min(r, L); ++t)
    for (int i = 0; i < L; ++i) {
      const double a = svd.u[i * L + t] * svd.s[t];
      for (int j = 0; j < L; ++j) er[i * L + j] += a * svd.vt[t * L + j];
    }
  return er;
}

}  // namespace

// On every golden head, for r = 0 .. d_h + 1:
//   tv_full <= bound_full + 1e-12 and (independently computed) tv_causal <= causal bound + 1e-12,
//   where 1e-12 absorbs rounding in both sides (they are O(1) quantities);
//   the curve equals the dense reference within 1e-9 absolute, whenever the truncation is
//   well defined (sigma_r - sigma_{r+1} > 1e-6 sigma_1, else E~_r is not unique);
//   at r >= rank(E~) (= min(d_h, L - 1)) TV and the bound are <= 1e-12.
TEST(SoftmaxCheck, BoundHoldsOnEveryGoldenHeadAndRank) {
  const auto dirs = lt::golden_dirs();
  ASSERT_GE(dirs.size(), 8u) << "expected every fixture and model golden under " << lt::data_dir();
  int points = 0;
  for (const auto& dir : dirs) {
    const lt::GoldenSet g(dir);
    const int L = g.seq_len(), dh = g.head_dim();
    std::vector<int> ranks(dh + 2);
    std::iota(ranks.begin(), ranks.end(), 0);
    double worst_excess = -INFINITY, worst_diff = 0, tight = 0;
    for (int l = 0; l < g.n_layers(); ++l)
      for (int h = 0; h < g.n_heads(); ++h) {
        SCOPED_TRACE(g.name() + " layer " + std::to_string(l) + " head " + std::to_string(h));
        const auto q = g.q(l, h), k = g.k(l, g.kv_group(h));
        const auto curve = ls::softmax_truncation_curve(q, k, L, dh, ranks);
        ASSERT_EQ(curve.size(), ranks.size());
        const auto field = ls::centered_field(q, k, L, dh);
        const DenseSvd svd = dense_svd(field, L);
        const int rank = std::min(dh, L - 1);
        for (std::size_t t = 0; t < ranks.size(); ++t) {
          const int r = ranks[t];
          const auto& pt = curve[t];
          SCOPED_TRACE("r = " + std::to_string(r));
          EXPECT_EQ(pt.rank, r);
          EXPECT_LE(pt.tv_full, pt.bound_full + 1e-12);
          const Reference ref = reference(field, truncate(svd, L, r), L);
          EXPECT_LE(pt.tv_causal, ref.bound_causal + 1e-12);
          EXPECT_LE(ref.tv_causal, ref.bound_causal + 1e-12);
          worst_excess =
              std::max({worst_excess, pt.tv_full - pt.bound_full, pt.tv_causal - ref.bound_causal});
          if (pt.bound_full > 1e-9) tight = std::max(tight, pt.tv_full / pt.bound_full);
          const bool well_defined = r == 0 || r >= rank || svd.s[r - 1] - svd.s[r] > 1e-6 * svd.s[0];
          if (well_defined) {
            EXPECT_NEAR(pt.tv_full, ref.tv_full, 1e-9);
            EXPECT_NEAR(pt.tv_causal, ref.tv_causal, 1e-9);
            EXPECT_NEAR(pt.bound_full, ref.bound_full, 1e-9);
            worst_diff =
                std::max({worst_diff, std::abs(pt.tv_full - ref.tv_full),
                          std::abs(pt.tv_causal - ref.tv_causal), std::abs(pt.bound_full - ref.bound_full)});
          }
          if (r >= rank) {
            EXPECT_LE(pt.tv_full, 1e-12);
            EXPECT_LE(pt.tv_causal, 1e-12);
            EXPECT_LE(pt.bound_full, 1e-12);
          }
          ++points;
        }
      }
    std::printf(
        "[ softmax  ] %-32s max(TV - bound) %.2e (must be <= 1e-12), max TV/bound %.3f, "
        "max |curve - dense ref| %.2e (tol 1e-9)\n",
        g.name().c_str(), worst_excess, tight, worst_diff);
  }
  EXPECT_GT(points, 0);
}

// L above the 256-row block of the implementation: several row blocks, a ragged last one.
TEST(SoftmaxCheck, ManyRowBlocksMatchDenseReference) {
  const int L = 600, dh = 8;
  const auto q = lt::random_matrix(L, dh, 51, 1.5), k = lt::random_matrix(L, dh, 52, 1.5, 0.7);
  const int ranks[] = {0, 3, 8, 9};
  const auto curve = ls::softmax_truncation_curve(q, k, L, dh, ranks);
  const auto field = ls::centered_field(q, k, L, dh);
  const DenseSvd svd = dense_svd(field, L);
  for (std::size_t t = 0; t < std::size(ranks); ++t) {
    SCOPED_TRACE("r = " + std::to_string(ranks[t]));
    const Reference ref = reference(field, truncate(svd, L, ranks[t]), L);
    EXPECT_NEAR(curve[t].tv_full, ref.tv_full, 1e-9);
    EXPECT_NEAR(curve[t].tv_causal, ref.tv_causal, 1e-9);
    EXPECT_NEAR(curve[t].bound_full, ref.bound_full, 1e-9);
    EXPECT_LE(curve[t].tv_full, curve[t].bound_full + 1e-12);
    EXPECT_LE(curve[t].tv_causal, ref.bound_causal + 1e-12);
  }
  EXPECT_GT(curve[1].tv_full, 1e-6);   // a real truncation error at r = 3
  EXPECT_LE(curve[2].tv_full, 1e-12);  // r = d_h reproduces the field
}

TEST(SoftmaxCheck, RankZeroComparesWithUniformAttention) {
  const int L = 12, dh = 4;
  const auto q = lt::random_matrix(L, dh, 7, 2.0), k = lt::random_matrix(L, dh, 8, 2.0);
  const int r0[] = {0};
  const auto curve = ls::softmax_truncation_curve(q, k, L, dh, r0);
  const auto field = ls::centered_field(q, k, L, dh);
  const Reference ref = reference(field, std::vector<double>(L * L, 0.0), L);
  EXPECT_NEAR(curve[0].tv_full, ref.tv_full, 1e-12);
  EXPECT_NEAR(curve[0].tv_causal, ref.tv_causal, 1e-12);
  EXPECT_NEAR(curve[0].bound_full, ref.bound_full, 1e-12);
  EXPECT_GT(curve[0].tv_full, 0.0);
}

TEST(SoftmaxCheck, LargeLogitsStayFinite) {
  // Logits of order 1e3: a naive exp would overflow.
  const int L = 40, dh = 8;
  const auto q = lt::random_matrix(L, dh, 9, 60.0), k = lt::random_matrix(L, dh, 10, 60.0);
  const int ranks[] = {1, 2, 4, 8};
  for (const auto& pt : ls::softmax_truncation_curve(q, k, L, dh, ranks)) {
    EXPECT_TRUE(std::isfinite(pt.tv_full));
    EXPECT_TRUE(std::isfinite(pt.tv_causal));
    EXPECT_LE(pt.tv_full, pt.bound_full + 1e-12);
    EXPECT_LE(pt.tv_full, 1.0);
  }
}

TEST(SoftmaxCheck, RejectsNegativeRank) {
  const auto q = lt::random_matrix(4, 2, 1), k = lt::random_matrix(4, 2, 2);
  const int bad[] = {-1};
  EXPECT_THROW(ls::softmax_truncation_curve(q, k, 4, 2, bad), std::invalid_argument);
}
