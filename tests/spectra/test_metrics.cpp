// compute_metrics: hand-checked edge cases, and the golden.json metrics of every golden.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "golden_data.h"
#include "spectra/metrics.h"

namespace ls = logitrank::spectra;
using logitrank::SpectrumMetrics;

namespace {

void expect_all_zero(const SpectrumMetrics& m) {
  EXPECT_EQ(m.k80, 0);
  EXPECT_EQ(m.k90, 0);
  EXPECT_EQ(m.k95, 0);
  EXPECT_EQ(m.k99, 0);
  EXPECT_EQ(m.erank, 0.0);
  EXPECT_EQ(m.pr, 0.0);
  EXPECT_EQ(m.stable_rank, 0.0);
  EXPECT_EQ(m.numerical_rank, 0);
}

}  // namespace

TEST(Metrics, EmptySpectrumIsAllZero) { expect_all_zero(ls::compute_metrics({})); }

TEST(Metrics, AllZeroSpectrumIsAllZero) {
  const std::vector<double> sv(7, 0.0);
  expect_all_zero(ls::compute_metrics(sv));
  EXPECT_EQ(ls::energy_rank(sv, 0.9), 0);
}

TEST(Metrics, OneNonzeroValue) {
  for (const std::vector<double>& sv : {std::vector<double>{3.5}, std::vector<double>{3.5, 0, 0, 0}}) {
    const SpectrumMetrics m = ls::compute_metrics(sv);
    EXPECT_EQ(m.k80, 1);
    EXPECT_EQ(m.k90, 1);
    EXPECT_EQ(m.k95, 1);
    EXPECT_EQ(m.k99, 1);
    EXPECT_EQ(m.erank, 1.0);
    EXPECT_EQ(m.pr, 1.0);
    EXPECT_EQ(m.stable_rank, 1.0);
    EXPECT_EQ(m.numerical_rank, 1);
  }
}

TEST(Metrics, FlatSpectrum) {
  // c_k = k/4 exactly: 0.25, 0.5, 0.75, 1.0 -> every threshold needs all four.
  const std::vector<double> sv(4, 1.0);
  const SpectrumMetrics m = ls::compute_metrics(sv);
  EXPECT_EQ(m.k80, 4);
  EXPECT_EQ(m.k90, 4);
  EXPECT_EQ(m.k95, 4);
  EXPECT_EQ(m.k99, 4);
  EXPECT_NEAR(m.erank, 4.0, 1e-14);
  EXPECT_EQ(m.pr, 4.0);
  EXPECT_EQ(m.stable_rank, 4.0);
  EXPECT_EQ(m.numerical_rank, 4);
}

TEST(Metrics, ThresholdHitExactlyCountsAsReached) {
  // sigma^2 = 9, 4, 1 x 7: total 20, c_k = 9/20, 13/20, 14/20, 15/20, 16/20 = 0.8 (k = 5),
  // 17/20, 18/20 = 0.9 (k = 7), 19/20 = 0.95 (k = 8), 20/20 (k = 9). The quotients are
  // correctly rounded like the literals 0.8, 0.9, 0.95, so the ties are exact ties.
  const std::vector<double> sv{3, 2, 1, 1, 1, 1, 1, 1, 1};
  const SpectrumMetrics m = ls::compute_metrics(sv);
  EXPECT_EQ(m.k80, 5);
  EXPECT_EQ(m.k90, 7);
  EXPECT_EQ(m.k95, 8);
  EXPECT_EQ(m.k99, 9);
  EXPECT_EQ(ls::energy_rank(sv, 0.45), 1);
  EXPECT_EQ(ls::energy_rank(sv, 0.65), 2);
  EXPECT_EQ(ls::energy_rank(sv, 1.0), 9);
  // {2, 1}: c_1 = 4/5 == 0.8.
  EXPECT_EQ(ls::compute_metrics(std::vector<double>{2, 1}).k80, 1);
  // The same ties on a spectrum scaled by a power of two (exact), far from 1.
  std::vector<double> scaled(sv);
  for (double& v : scaled) v = std::ldexp(v, -40);
  EXPECT_EQ(ls::compute_metrics(scaled).k80, 5);
}

TEST(Metrics, HandComputedValues) {
  const std::vector<double> sv{4, 2, 1, 0};
  const SpectrumMetrics m = ls::compute_metrics(sv);
  const double p1 = 4.0 / 7, p2 = 2.0 / 7, p3 = 1.0 / 7;
  EXPECT_NEAR(m.erank, std::exp(-(p1 * std::log(p1) + p2 * std::log(p2) + p3 * std::log(p3))), 1e-14);
  EXPECT_NEAR(m.pr, 21.0 * 21.0 / (256 + 16 + 1), 1e-14);
  EXPECT_NEAR(m.stable_rank, 21.0 / 16.0, 1e-15);
  EXPECT_EQ(m.numerical_rank, 3);
  EXPECT_EQ(m.k80, 2);  // 16/21 = 0.762, 20/21 = 0.952
  EXPECT_EQ(m.k90, 2);
  EXPECT_EQ(m.k95, 2);
  EXPECT_EQ(m.k99, 3);
}

TEST(Metrics, NumericalRankCutoffIsStrict) {
  const std::vector<double> sv{1.0, 2e-10, 1e-10, 5e-11};
  EXPECT_EQ(ls::compute_metrics(sv).numerical_rank, 2);  // 1e-10 is not > 1e-10 * 1
}

TEST(Metrics, ExtremeMagnitudesDoNotOverflow) {
  const std::vector<double> big{1e200, 1e200}, tiny{1e-200, 1e-200};
  for (const auto& sv : {big, tiny}) {
    const SpectrumMetrics m = ls::compute_metrics(sv);
    EXPECT_NEAR(m.pr, 2.0, 1e-14);
    EXPECT_NEAR(m.stable_rank, 2.0, 1e-14);
    EXPECT_NEAR(m.erank, 2.0, 1e-14);
    EXPECT_EQ(m.k99, 2);
  }
}

TEST(Metrics, RejectsNegativeAndNonFinite) {
  EXPECT_THROW(ls::compute_metrics(std::vector<double>{1.0, -0.5}), std::invalid_argument);
  EXPECT_THROW(ls::compute_metrics(std::vector<double>{NAN}), std::invalid_argument);
}

TEST(Metrics, Gaps) {
  SpectrumMetrics w, f;
  w.erank = 12;
  w.k90 = 40;
  f.erank = 3;
  f.k90 = 4;
  EXPECT_DOUBLE_EQ(ls::erank_gap(w, f), 4.0);
  EXPECT_DOUBLE_EQ(ls::k90_gap(w, f), 10.0);
  EXPECT_TRUE(std::isnan(ls::erank_gap(w, SpectrumMetrics{})));
  EXPECT_TRUE(std::isnan(ls::k90_gap(w, SpectrumMetrics{})));
}

// Golden metrics (golden.json) recomputed from the golden spectra (golden.safetensors):
// k's and numerical_rank exact, erank / pr / stable_rank within 1e-9 relative.
// field: the full L-value spectrum (padded with zeros); weight: the d_h stored values
// (the other d - d_h are zero by rank; README: changes < 1e-13 relative, never a k).
TEST(Metrics, GoldenSpectraReproduceGoldenJson) {
  const auto dirs = logitrank::testing::golden_dirs();
  ASSERT_GE(dirs.size(), 8u) << "expected every fixture and model golden under "
                             << logitrank::testing::data_dir();
  int checked = 0;
  for (const auto& dir : dirs) {
    const logitrank::testing::GoldenSet g(dir);
    for (int l = 0; l < g.n_layers(); ++l)
      for (int h = 0; h < g.n_heads(); ++h) {
        const auto& hj = g.head_json(l, h);
        ASSERT_EQ(hj.at("layer").get<int>(), l);
        ASSERT_EQ(hj.at("head").get<int>(), h);
        for (const char* which : {"field", "weight"}) {
          const std::vector<double> sv = std::string(which) == "field" ? g.field_sv(l, h) : g.weight_sv(l, h);
          const SpectrumMetrics m = ls::compute_metrics(sv);
          const auto& e = hj.at(which);
          SCOPED_TRACE(g.name() + " layer " + std::to_string(l) + " head " + std::to_string(h) + " " + which);
          logitrank::testing::expect_metrics_equal_golden(m, e);
          ++checked;
        }
      }
  }
  EXPECT_GT(checked, 0);
}
