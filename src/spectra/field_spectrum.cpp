#include "spectra/field_spectrum.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "spectra/dense_linalg.h"

namespace logitrank::spectra {

using detail::ColMatrix;

std::vector<double> center_keys(std::span<const double> k, int L, int dh) {
  detail::check_shape("center_keys: K", k, L, dh);
  std::vector<double> mean(static_cast<std::size_t>(dh), 0.0);
  for (int j = 0; j < L; ++j)
    for (int c = 0; c < dh; ++c) mean[c] += k[static_cast<std::size_t>(j) * dh + c];
  for (double& m : mean) m /= L;
  std::vector<double> kc(k.begin(), k.end());
  for (int j = 0; j < L; ++j)
    for (int c = 0; c < dh; ++c) kc[static_cast<std::size_t>(j) * dh + c] -= mean[c];
  return kc;
}

// The definition, not the identity: E = Q K^T / sqrt(d_h), then each row minus its mean.
// The factored path relies on the identity E~ = Q K_c^T / sqrt(d_h); building the reference
// from the definition is what lets the tests check that identity.
std::vector<double> centered_field(std::span<const double> q, std::span<const double> k, int L, int dh) {
  detail::check_shape("centered_field: Q", q, L, dh);
  detail::check_shape("centered_field: K", k, L, dh);
  std::vector<double> e(static_cast<std::size_t>(L) * L);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L, L, dh, 1.0 / std::sqrt(static_cast<double>(dh)),
              q.data(), dh, k.data(), dh, 0.0, e.data(), L);
  for (int i = 0; i < L; ++i) {
    double* row = e.data() + static_cast<std::size_t>(i) * L;
    double mean = 0.0;
    for (int j = 0; j < L; ++j) mean += row[j];
    mean /= L;
    for (int j = 0; j < L; ++j) row[j] -= mean;
  }
  return e;
}

std::vector<double> field_sv_factored(std::span<const double> q, std::span<const double> k, int L, int dh) {
  detail::check_shape("field_sv_factored: Q", q, L, dh);
  detail::check_shape("field_sv_factored: K", k, L, dh);
  detail::check_finite("field_sv_factored: Q", q);
  detail::check_finite("field_sv_factored: K", k);
  // Q = U_q R_q and K_c = U_k R_k with R of shape min(L, d_h) x d_h (trapezoidal when L < d_h);
  // E~ = U_q (R_q R_k^T / sqrt(d_h)) U_k^T, and U_q, U_k have orthonormal columns, so the
  // min(L, d_h) x min(L, d_h) core carries every nonzero singular value of E~.
  const ColMatrix r_q = detail::thin_qr(detail::from_row_major(q, L, dh));
  const ColMatrix r_k = detail::thin_qr(detail::from_row_major(center_keys(k, L, dh), L, dh));
  return detail::singular_values(detail::multiply_abt(r_q, r_k, 1.0 / std::sqrt(static_cast<double>(dh))));
}

std::vector<double> field_sv_dense(std::span<const double> q, std::span<const double> k, int L, int dh) {
  detail::check_shape("field_sv_dense: Q", q, L, dh);
  detail::check_shape("field_sv_dense: K", k, L, dh);
  detail::check_finite("field_sv_dense: Q", q);
  detail::check_finite("field_sv_dense: K", k);
  // E~ is row-major L x L; read as column-major it is E~^T, which has the same singular values.
  ColMatrix e;
  e.rows = e.cols = L;
  e.data = centered_field(q, k, L, dh);
  std::vector<double> s = detail::singular_values(std::move(e));
  s.resize(static_cast<std::size_t>(std::min(L, dh)));
  return s;
}

}  // namespace logitrank::spectra
