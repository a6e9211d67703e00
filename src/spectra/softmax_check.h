#pragma once
// Softmax stability of rank-r truncation of E~ (SCIENCE.md, Proposition 4.1).
#include <span>
#include <vector>

#include "io/head_record.h"

namespace logitrank::spectra {

// For each r in ranks: TV(r) = max_i 1/2 ||softmax(E~_i) - softmax(E~_{r,i})||_1 over full
// rows and over causal rows (j <= i), and the certified bound max_i tanh(osc(E~_i - E~_{r,i}) / 4)
// for full rows. q, k: L x d_h row-major. Ranks above rank(E~) give TV = 0 (up to rounding,
// ~1e-16); rank 0 compares with uniform attention. Throws std::invalid_argument on a bad
// shape or a negative rank, std::domain_error on non-finite input.
// Cost: E~ is built once (8 L^2 bytes); E~_r comes from the factored SVD in 256-row blocks,
// O(L^2 r) per rank, so no second L x L buffer is needed.
std::vector<SoftmaxPoint> softmax_truncation_curve(std::span<const double> q, std::span<const double> k,
                                                   int L, int dh, std::span<const int> ranks);

}  // namespace logitrank::spectra
