#include "spectra/softmax_check.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "spectra/dense_linalg.h"
#include "spectra/field_spectrum.h"

namespace logitrank::spectra {

using detail::ColMatrix;

namespace {

// 1/2 ||softmax(x) - softmax(y)||_1 over the first n entries, max-shifted so exp never overflows.
// ex, ey: scratch of length >= n.
double softmax_tv(const double* x, const double* y, int n, double* ex, double* ey) {
  const double mx = *std::max_element(x, x + n);
  const double my = *std::max_element(y, y + n);
  double sx = 0.0, sy = 0.0;
  for (int j = 0; j < n; ++j) {
    ex[j] = std::exp(x[j] - mx);
    ey[j] = std::exp(y[j] - my);
    sx += ex[j];
    sy += ey[j];
  }
  double l1 = 0.0;
  for (int j = 0; j < n; ++j) l1 += std::abs(ex[j] / sx - ey[j] / sy);
  return 0.5 * l1;
}

// The rank-r truncation of E~ in factored form: E~_r = X[:, :r] Y[:, :r]^T with
// X = U_q A S and Y = U_k B, where A S B^T is the SVD of the core R_q R_k^T / sqrt(d_h).
struct TruncationFactors {
  ColMatrix x, y;  // L x p each, p = min(L, d_h)
};

TruncationFactors truncation_factors(std::span<const double> q, std::span<const double> k, int L, int dh) {
  ColMatrix u_q, u_k;
  const ColMatrix r_q = detail::thin_qr(detail::from_row_major(q, L, dh), &u_q);
  const ColMatrix r_k = detail::thin_qr(detail::from_row_major(center_keys(k, L, dh), L, dh), &u_k);
  detail::Svd core =
      detail::thin_svd(detail::multiply_abt(r_q, r_k, 1.0 / std::sqrt(static_cast<double>(dh))));
  for (int j = 0; j < core.u.cols; ++j)
    for (int i = 0; i < core.u.rows; ++i) core.u(i, j) *= core.s[j];
  return {detail::multiply_ab(u_q, core.u), detail::multiply_ab(u_k, core.v)};
}

}  // namespace

std::vector<SoftmaxPoint> softmax_truncation_curve(std::span<const double> q, std::span<const double> k,
                                                   int L, int dh, std::span<const int> ranks) {
  detail::check_shape("softmax_truncation_curve: Q", q, L, dh);
  detail::check_shape("softmax_truncation_curve: K", k, L, dh);
  detail::check_finite("softmax_truncation_curve: Q", q);
  detail::check_finite("softmax_truncation_curve: K", k);
  for (int r : ranks)
    if (r < 0) throw std::invalid_argument("softmax_truncation_curve: negative rank");

  const std::vector<double> field = centered_field(q, k, L, dh);  // row-major L x L
  const TruncationFactors f = truncation_factors(q, k, L, dh);
  const int p = f.x.cols;

  std::vector<SoftmaxPoint> curve(ranks.size());
  for (std::size_t t = 0; t < ranks.size(); ++t) curve[t].rank = ranks[t];

  // Rows in blocks so E~_r never needs a full L x L buffer of its own.
  const int block = std::max(1, std::min(L, 256));
  std::vector<double> trunc(static_cast<std::size_t>(block) * L);  // block rows of E~_r, row-major
  std::vector<double> ex(static_cast<std::size_t>(L)), ey(static_cast<std::size_t>(L));
  for (int i0 = 0; i0 < L; i0 += block) {
    const int b = std::min(block, L - i0);
    for (std::size_t t = 0; t < ranks.size(); ++t) {
      const int r = std::min(ranks[t], p);
      if (r == 0) {
        std::fill(trunc.begin(), trunc.end(), 0.0);
      } else {
        // Column-major L x b result = Y[:, :r] X[i0:i0+b, :r]^T, i.e. row-major b x L rows of E~_r.
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, L, b, r, 1.0, f.y.data.data(), f.y.ld(),
                    f.x.data.data() + i0, f.x.ld(), 0.0, trunc.data(), L);
      }
      SoftmaxPoint& pt = curve[t];
      for (int ib = 0; ib < b; ++ib) {
        const int i = i0 + ib;
        const double* x = field.data() + static_cast<std::size_t>(i) * L;
        const double* y = trunc.data() + static_cast<std::size_t>(ib) * L;
        pt.tv_full = std::max(pt.tv_full, softmax_tv(x, y, L, ex.data(), ey.data()));
        pt.tv_causal = std::max(pt.tv_causal, softmax_tv(x, y, i + 1, ex.data(), ey.data()));
        double dmax = x[0] - y[0], dmin = dmax;
        for (int j = 1; j < L; ++j) {
          dmax = std::max(dmax, x[j] - y[j]);
          dmin = std::min(dmin, x[j] - y[j]);
        }
        pt.bound_full = std::max(pt.bound_full, std::tanh((dmax - dmin) / 4.0));
      }
    }
  }
  return curve;
}

}  // namespace logitrank::spectra
