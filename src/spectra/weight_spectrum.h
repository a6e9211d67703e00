#pragma once
// Singular values of the learned interaction M_h = W_Q,h^T W_K,g (d x d), rank <= d_h.
#include <span>
#include <vector>

namespace logitrank::spectra {

// wq, wk: the d_h x d blocks (rows of the projection weight in (out, in) layout),
// row-major, float64. Exact path via thin QR of W_Q,h^T and W_K,g^T (d x d_h each)
// and the SVD of R_Q R_K^T. Returns d_h values, descending (zeros past d when d < d_h).
// Throws std::invalid_argument on a shape mismatch, std::domain_error on NaN/Inf.
std::vector<double> weight_sv(std::span<const double> wq, std::span<const double> wk, int dh, int d);

// Reference: forms the d x d product and runs dgesdd; returns the leading d_h values.
std::vector<double> weight_sv_dense(std::span<const double> wq, std::span<const double> wk, int dh, int d);

}  // namespace logitrank::spectra
