#pragma once
// Spectral metrics of one singular-value spectrum (SCIENCE.md, "Spectral metrics").
#include <span>

#include "io/head_record.h"

namespace logitrank::spectra {

// sv: singular values, descending, >= 0. Any length (including 0). An unsorted spectrum is
// sorted first; a negative or non-finite value throws std::invalid_argument.
// c_k is (running sum of sigma^2) / (total) in double, compared with p directly, so an
// energy fraction exactly equal to p (e.g. 16/20 for p = 0.8) counts as reached.
// Edge cases: an all-zero or empty spectrum gives every k = 0, erank = pr =
// stable_rank = 0 and numerical_rank = 0.
SpectrumMetrics compute_metrics(std::span<const double> sv);

// Smallest k (1-based) with c_k >= p; 0 for an all-zero spectrum.
int energy_rank(std::span<const double> sv, double p);

// erank(weight) / erank(field) and k90(weight) / k90(field); NaN when the field value is 0.
double erank_gap(const SpectrumMetrics& weight, const SpectrumMetrics& field);
double k90_gap(const SpectrumMetrics& weight, const SpectrumMetrics& field);

}  // namespace logitrank::spectra
