#pragma once
// Small column-major float64 helpers over LAPACKE/CBLAS shared by the spectral paths.
// Internal to src/spectra (and usable by src/dist): no MPI, no model.
#include <span>
#include <string_view>
#include <vector>

namespace logitrank::spectra::detail {

// A column-major matrix: element (i, j) at data[i + j * rows].
struct ColMatrix {
  int rows = 0, cols = 0;
  std::vector<double> data;

  ColMatrix() = default;
  ColMatrix(int r, int c) : rows(r), cols(c), data(static_cast<std::size_t>(r) * c, 0.0) {}
  double& operator()(int i, int j) { return data[i + static_cast<std::size_t>(j) * rows]; }
  double operator()(int i, int j) const { return data[i + static_cast<std::size_t>(j) * rows]; }
  int ld() const { return rows > 0 ? rows : 1; }
};

// Throws std::invalid_argument unless values.size() == rows * cols, rows >= 1, cols >= 1.
void check_shape(std::string_view what, std::span<const double> values, int rows, int cols);
// Throws std::domain_error when a value is NaN or infinite (LAPACK would return garbage).
void check_finite(std::string_view what, std::span<const double> values);

// A row-major rows x cols array as a column-major matrix (a copy).
ColMatrix from_row_major(std::span<const double> values, int rows, int cols);

// Thin QR, A = U R: returns R, min(m, n) x n, upper trapezoidal (zeros below the diagonal).
// When u is non-null it receives U, m x min(m, n), with orthonormal columns.
ColMatrix thin_qr(ColMatrix a, ColMatrix* u = nullptr);

// C = alpha * A * B^T.
ColMatrix multiply_abt(const ColMatrix& a, const ColMatrix& b, double alpha = 1.0);
// C = A * B.
ColMatrix multiply_ab(const ColMatrix& a, const ColMatrix& b);

// Singular values (descending) of A, LAPACK dgesdd with jobz = 'N'. A is consumed.
std::vector<double> singular_values(ColMatrix a);

// Thin SVD A = U diag(s) V^T via dgesdd jobz = 'S': U is m x p, V is n x p, p = min(m, n).
struct Svd {
  ColMatrix u, v;
  std::vector<double> s;
};
Svd thin_svd(ColMatrix a);

}  // namespace logitrank::spectra::detail
