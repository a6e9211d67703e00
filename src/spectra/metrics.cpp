#include "spectra/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace logitrank::spectra {

namespace {

// The spectrum as a descending copy, scaled by a power of two so that the largest value
// lies in [0.5, 1). Power-of-two scaling is exact, so every ratio below (c_k, p_i, PR,
// stable rank) is bit-for-bit what the unscaled formula gives, but sigma^4 can no longer
// overflow or underflow for extreme magnitudes.
std::vector<double> normalised(std::span<const double> sv) {
  std::vector<double> s(sv.begin(), sv.end());
  for (double v : s)
    if (!(v >= 0.0) || !std::isfinite(v))
      throw std::invalid_argument("compute_metrics: singular values must be finite and >= 0");
  if (!std::is_sorted(s.begin(), s.end(), std::greater<>())) std::sort(s.begin(), s.end(), std::greater<>());
  if (!s.empty() && s.front() > 0.0) {
    int exponent = 0;
    std::frexp(s.front(), &exponent);
    for (double& v : s) v = std::ldexp(v, -exponent);
  }
  return s;
}

// Smallest k with c_k >= p on an already normalised spectrum.
//
// Floating-point choice: c_k is formed as (running sum of sigma_i^2) / (total), both sums
// accumulated in double in the same order, and compared with p directly. The quotient is
// correctly rounded, and the literal p (0.8, 0.9, ...) is the correctly rounded value of
// the exact p, so when the exact energy fraction equals p exactly (e.g. 16/20 = 0.8), the
// computed c_k equals the double p and the tie resolves to ">=" as the definition says.
// Because the running sum at k = n is the very same number as the total, c_n == 1 exactly
// and every p <= 1 finds a k <= n.
int energy_rank_normalised(const std::vector<double>& s, double p) {
  double total = 0.0;
  for (double v : s) total += v * v;
  if (total == 0.0) return 0;
  double running = 0.0;
  for (std::size_t k = 0; k < s.size(); ++k) {
    running += s[k] * s[k];
    if (running / total >= p) return static_cast<int>(k + 1);
  }
  return static_cast<int>(s.size());  // only reachable for p > 1
}

}  // namespace

int energy_rank(std::span<const double> sv, double p) { return energy_rank_normalised(normalised(sv), p); }

SpectrumMetrics compute_metrics(std::span<const double> sv) {
  const std::vector<double> s = normalised(sv);
  SpectrumMetrics m;
  if (s.empty() || s.front() == 0.0) return m;  // empty or all-zero: every metric 0

  m.k80 = energy_rank_normalised(s, 0.80);
  m.k90 = energy_rank_normalised(s, 0.90);
  m.k95 = energy_rank_normalised(s, 0.95);
  m.k99 = energy_rank_normalised(s, 0.99);

  double sum = 0.0, sum2 = 0.0, sum4 = 0.0;
  for (double v : s) {
    sum += v;
    sum2 += v * v;
    sum4 += (v * v) * (v * v);
  }
  double entropy = 0.0;
  for (double v : s) {
    if (v == 0.0) continue;  // 0 ln 0 = 0
    const double p = v / sum;
    entropy -= p * std::log(p);
  }
  m.erank = std::exp(entropy);
  m.pr = sum2 * sum2 / sum4;
  m.stable_rank = sum2 / (s.front() * s.front());

  const double cutoff = 1e-10 * s.front();
  m.numerical_rank =
      static_cast<int>(std::count_if(s.begin(), s.end(), [&](double v) { return v > cutoff; }));
  return m;
}

double erank_gap(const SpectrumMetrics& weight, const SpectrumMetrics& field) {
  if (field.erank == 0.0) return std::numeric_limits<double>::quiet_NaN();
  return weight.erank / field.erank;
}

double k90_gap(const SpectrumMetrics& weight, const SpectrumMetrics& field) {
  if (field.k90 == 0) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(weight.k90) / static_cast<double>(field.k90);
}

}  // namespace logitrank::spectra
