#include "dist/scalapack_svd.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "dist/blacs_grid.h"
#include "dist/scalapack_decls.h"
#include "spectra/field_spectrum.h"

namespace logitrank::dist {

namespace {

// Rows `index(0..n-1)` of a row-major L x dh array, gathered column-major (n x dh).
template <class Index>
std::vector<double> gather_rows(std::span<const double> a, int dh, int n, Index index) {
  std::vector<double> out(static_cast<std::size_t>(std::max(1, n)) * dh);
  for (int i = 0; i < n; ++i) {
    const std::size_t g = static_cast<std::size_t>(index(i));
    for (int c = 0; c < dh; ++c) out[i + static_cast<std::size_t>(c) * std::max(1, n)] = a[g * dh + c];
  }
  return out;
}

std::vector<double> grid_singular_values(const BlacsGrid& grid, std::span<const double> q,
                                         std::span<const double> k, int L, int dh, int block) {
  const std::vector<double> kc = spectra::center_keys(k, L, dh);
  DistributedMatrix field(grid, L, L, block, block);

  // Local tiles of E~ = Q K_c^T / sqrt(d_h): one GEMM of this process's rows of Q against
  // its columns of K_c, written straight into the local column-major storage.
  const int mloc = field.local_rows(), nloc = field.local_cols();
  if (mloc > 0 && nloc > 0) {
    const auto q_loc = gather_rows(q, dh, mloc, [&](int i) { return field.global_row(i); });
    const auto k_loc =
        gather_rows(std::span<const double>(kc), dh, nloc, [&](int j) { return field.global_col(j); });
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, mloc, nloc, dh,
                1.0 / std::sqrt(static_cast<double>(dh)), q_loc.data(), std::max(1, mloc), k_loc.data(),
                std::max(1, nloc), 0.0, field.local_data(), field.lld());
  }

  // Values only: U and VT are not referenced, the field's descriptor stands in for theirs.
  const char job = 'N';
  const int one = 1;
  std::vector<double> s(static_cast<std::size_t>(L));
  double dummy = 0.0;
  int info = 0, lwork = -1;
  std::vector<double> work(1);
  pdgesvd_(&job, &job, &L, &L, field.local_data(), &one, &one, field.descriptor(), s.data(), &dummy, &one,
           &one, field.descriptor(), &dummy, &one, &one, field.descriptor(), work.data(), &lwork, &info, 1,
           1);
  if (info != 0)
    throw std::runtime_error("pdgesvd workspace query failed (info = " + std::to_string(info) + ")");
  lwork = static_cast<int>(work[0]) + 1;
  work.assign(static_cast<std::size_t>(lwork), 0.0);
  pdgesvd_(&job, &job, &L, &L, field.local_data(), &one, &one, field.descriptor(), s.data(), &dummy, &one,
           &one, field.descriptor(), &dummy, &one, &one, field.descriptor(), work.data(), &lwork, &info, 1,
           1);
  if (info != 0) throw std::runtime_error("pdgesvd failed (info = " + std::to_string(info) + ")");

  s.resize(static_cast<std::size_t>(std::min(L, dh)));
  return s;
}

}  // namespace

std::vector<double> field_sv_scalapack(MPI_Comm comm, std::span<const double> q, std::span<const double> k,
                                       int L, int dh, int block) {
  const BlacsGrid grid(comm);
  return field_sv_scalapack(grid, q, k, L, dh, block);
}

std::vector<double> field_sv_scalapack(const BlacsGrid& grid, std::span<const double> q,
                                       std::span<const double> k, int L, int dh, int block) {
  if (L < 1 || dh < 1 || block < 1 || q.size() != static_cast<std::size_t>(L) * dh ||
      k.size() != static_cast<std::size_t>(L) * dh)
    throw std::invalid_argument("field_sv_scalapack: expected Q and K of " + std::to_string(L) + " x " +
                                std::to_string(dh) + " values and block >= 1");
  std::vector<double> s(static_cast<std::size_t>(std::min(L, dh)));
  if (grid.in_grid()) s = grid_singular_values(grid, q, k, L, dh, block);
  // pdgesvd leaves the values on every grid process; rank 0 of the communicator is on the
  // grid (row-major grids start there), and its copy makes every rank agree bit for bit.
  MPI_Bcast(s.data(), static_cast<int>(s.size()), MPI_DOUBLE, 0, grid.comm());
  return s;
}

}  // namespace logitrank::dist
