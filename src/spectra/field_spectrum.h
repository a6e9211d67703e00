#pragma once
// Singular values of the row-centred logit field of one head,
//   E~ = Q K_c^T / sqrt(d_h),  K_c = K - 1 mean(K)^T,
// computed in float64. Q and K are L x d_h, row-major (row = position).
// Every function throws std::invalid_argument when a span does not hold L x d_h values
// (L, d_h >= 1); the spectrum functions throw std::domain_error on NaN/Inf input.
#include <span>
#include <vector>

namespace logitrank::spectra {

// Exact path: thin QR of Q and K_c, SVD of the d_h x d_h core R_q R_k^T / sqrt(d_h).
// O(L d_h^2). Returns min(L, d_h) values, descending.
std::vector<double> field_sv_factored(std::span<const double> q, std::span<const double> k, int L, int dh);

// Reference path: builds the L x L matrix E~ and runs LAPACK dgesdd (values only).
// Returns the leading min(L, d_h) values, descending.
std::vector<double> field_sv_dense(std::span<const double> q, std::span<const double> k, int L, int dh);

// Builds E~ (L x L, row-major) explicitly; used by the dense and softmax paths and by tests.
std::vector<double> centered_field(std::span<const double> q, std::span<const double> k, int L, int dh);

// Keys centred over positions: K_c = K - 1 mean(K)^T (L x d_h, row-major).
std::vector<double> center_keys(std::span<const double> k, int L, int dh);

}  // namespace logitrank::spectra
