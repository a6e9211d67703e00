#include "spectra/dense_linalg.h"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace logitrank::spectra::detail {

namespace {

void check_info(std::string_view routine, lapack_int info) {
  if (info != 0)
    throw std::runtime_error(std::string(routine) + " failed (info = " + std::to_string(info) + ")");
}

}  // namespace

void check_shape(std::string_view what, std::span<const double> values, int rows, int cols) {
  if (rows < 1 || cols < 1 ||
      values.size() != static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols))
    throw std::invalid_argument(std::string(what) + ": expected " + std::to_string(rows) + " x " +
                                std::to_string(cols) + " values, got " + std::to_string(values.size()));
}

void check_finite(std::string_view what, std::span<const double> values) {
  for (double v : values)
    if (!std::isfinite(v)) throw std::domain_error(std::string(what) + ": non-finite value");
}

ColMatrix from_row_major(std::span<const double> values, int rows, int cols) {
  ColMatrix m(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) m(i, j) = values[static_cast<std::size_t>(i) * cols + j];
  return m;
}

ColMatrix thin_qr(ColMatrix a, ColMatrix* u) {
  const int m = a.rows, n = a.cols, p = std::min(m, n);
  std::vector<double> tau(static_cast<std::size_t>(p));
  check_info("dgeqrf", LAPACKE_dgeqrf(LAPACK_COL_MAJOR, m, n, a.data.data(), a.ld(), tau.data()));
  ColMatrix r(p, n);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i <= std::min(j, p - 1); ++i) r(i, j) = a(i, j);
  if (u) {
    // dorgqr wants the m x p leading block of the reflectors.
    ColMatrix q(m, p);
    for (int j = 0; j < p; ++j)
      for (int i = 0; i < m; ++i) q(i, j) = a(i, j);
    check_info("dorgqr", LAPACKE_dorgqr(LAPACK_COL_MAJOR, m, p, p, q.data.data(), q.ld(), tau.data()));
    *u = std::move(q);
  }
  return r;
}

ColMatrix multiply_abt(const ColMatrix& a, const ColMatrix& b, double alpha) {
  if (a.cols != b.cols) throw std::invalid_argument("multiply_abt: inner dimensions differ");
  ColMatrix c(a.rows, b.rows);
  if (c.data.empty() || a.cols == 0) return c;
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, a.rows, b.rows, a.cols, alpha, a.data.data(), a.ld(),
              b.data.data(), b.ld(), 0.0, c.data.data(), c.ld());
  return c;
}

ColMatrix multiply_ab(const ColMatrix& a, const ColMatrix& b) {
  if (a.cols != b.rows) throw std::invalid_argument("multiply_ab: inner dimensions differ");
  ColMatrix c(a.rows, b.cols);
  if (c.data.empty() || a.cols == 0) return c;
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, a.rows, b.cols, a.cols, 1.0, a.data.data(), a.ld(),
              b.data.data(), b.ld(), 0.0, c.data.data(), c.ld());
  return c;
}

std::vector<double> singular_values(ColMatrix a) {
  std::vector<double> s(static_cast<std::size_t>(std::min(a.rows, a.cols)));
  if (s.empty()) return s;
  double dummy = 0;
  check_info("dgesdd", LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', a.rows, a.cols, a.data.data(), a.ld(), s.data(),
                                      &dummy, 1, &dummy, 1));
  return s;
}

Svd thin_svd(ColMatrix a) {
  const int m = a.rows, n = a.cols, p = std::min(m, n);
  Svd out;
  out.s.resize(static_cast<std::size_t>(p));
  out.u = ColMatrix(m, p);
  ColMatrix vt(p, n);
  check_info("dgesdd", LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', m, n, a.data.data(), a.ld(), out.s.data(),
                                      out.u.data.data(), out.u.ld(), vt.data.data(), vt.ld()));
  out.v = ColMatrix(n, p);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < p; ++j) out.v(i, j) = vt(j, i);
  return out;
}

}  // namespace logitrank::spectra::detail
