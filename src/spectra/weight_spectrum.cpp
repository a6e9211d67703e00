#include "spectra/weight_spectrum.h"

#include <algorithm>
#include <string>

#include "spectra/dense_linalg.h"

namespace logitrank::spectra {

using detail::ColMatrix;

namespace {

// A row-major d_h x d block read as column-major is its transpose, d x d_h: W^T for free.
ColMatrix transposed_block(std::span<const double> w, int dh, int d) {
  ColMatrix t;
  t.rows = d;
  t.cols = dh;
  t.data.assign(w.begin(), w.end());
  return t;
}

void check_inputs(const char* what, std::span<const double> wq, std::span<const double> wk, int dh, int d) {
  detail::check_shape(std::string(what) + ": W_Q,h", wq, dh, d);
  detail::check_shape(std::string(what) + ": W_K,g", wk, dh, d);
  detail::check_finite(std::string(what) + ": W_Q,h", wq);
  detail::check_finite(std::string(what) + ": W_K,g", wk);
}

}  // namespace

std::vector<double> weight_sv(std::span<const double> wq, std::span<const double> wk, int dh, int d) {
  check_inputs("weight_sv", wq, wk, dh, d);
  // M_h = W_Q^T W_K = U_Q (R_Q R_K^T) U_K^T with W_Q^T = U_Q R_Q, W_K^T = U_K R_K (d x d_h each).
  const ColMatrix r_q = detail::thin_qr(transposed_block(wq, dh, d));
  const ColMatrix r_k = detail::thin_qr(transposed_block(wk, dh, d));
  std::vector<double> s = detail::singular_values(detail::multiply_abt(r_q, r_k));
  s.resize(static_cast<std::size_t>(dh), 0.0);  // d < d_h: the rest are zero by rank
  return s;
}

std::vector<double> weight_sv_dense(std::span<const double> wq, std::span<const double> wk, int dh, int d) {
  check_inputs("weight_sv_dense", wq, wk, dh, d);
  std::vector<double> s =
      detail::singular_values(detail::multiply_abt(transposed_block(wq, dh, d), transposed_block(wk, dh, d)));
  s.resize(static_cast<std::size_t>(dh), 0.0);
  return s;
}

}  // namespace logitrank::spectra
