// ScaLAPACK pdgesvd on the distributed dense field vs the exact factored path, on every
// golden head and on random fields. Run under mpirun with 1, 2 and 3 ranks (tests/CMakeLists.txt).
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "../spectra/golden_data.h"
#include "../spectra/random_matrix.h"
#include "dist/blacs_grid.h"
#include "dist/scalapack_svd.h"
#include "spectra/field_spectrum.h"

namespace ld = logitrank::dist;
namespace ls = logitrank::spectra;
namespace lt = logitrank::testing;

namespace {

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

// max_i |a_i - b_i| / sigma_1(b)
double max_rel_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < b.size(); ++i) worst = std::max(worst, std::abs(a.at(i) - b[i]) / b.at(0));
  return worst;
}

}  // namespace

TEST(BlacsGrid, NearSquareShapes) {
  const int expect[][3] = {{1, 1, 1}, {2, 1, 2}, {3, 1, 3},  {4, 2, 2},
                           {6, 2, 3}, {7, 1, 7}, {12, 3, 4}, {16, 4, 4}};
  for (const auto& e : expect) {
    const auto s = ld::near_square_grid(e[0]);
    EXPECT_EQ(s.rows, e[1]) << e[0] << " ranks";
    EXPECT_EQ(s.cols, e[2]) << e[0] << " ranks";
  }
}

TEST(BlacsGrid, CoversEveryRankAndPartitionsTheMatrix) {
  ld::BlacsGrid grid(MPI_COMM_WORLD);
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  ASSERT_TRUE(grid.in_grid());
  EXPECT_EQ(grid.rows() * grid.cols(), size);
  // Every global entry of a 37 x 23 matrix with 5 x 5 tiles is owned exactly once.
  ld::DistributedMatrix m(grid, 37, 23, 5, 5);
  std::vector<int> owned(37 * 23, 0);
  for (int j = 0; j < m.local_cols(); ++j)
    for (int i = 0; i < m.local_rows(); ++i) ++owned[m.global_row(i) * 23 + m.global_col(j)];
  MPI_Allreduce(MPI_IN_PLACE, owned.data(), static_cast<int>(owned.size()), MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  for (int c : owned) ASSERT_EQ(c, 1);
}

// Every golden head: scalapack values equal the factored ones within 1e-10 of sigma_1, with
// the default tile (one tile at these L) and with small tiles that spread E~ over all ranks.
TEST(ScalapackSvd, EveryGoldenHeadMatchesFactored) {
  const auto dirs = lt::golden_dirs();
  ASSERT_GE(dirs.size(), 8u) << "expected every fixture and model golden under " << lt::data_dir();
  int heads = 0;
  for (const auto& dir : dirs) {
    const lt::GoldenSet g(dir);
    const int L = g.seq_len(), dh = g.head_dim();
    double worst = 0;
    for (int l = 0; l < g.n_layers(); ++l)
      for (int h = 0; h < g.n_heads(); ++h) {
        SCOPED_TRACE(g.name() + " layer " + std::to_string(l) + " head " + std::to_string(h));
        const auto q = g.q(l, h), k = g.k(l, g.kv_group(h));
        const auto fact = ls::field_sv_factored(q, k, L, dh);
        for (int block : {64, 5}) {
          const auto dist = ld::field_sv_scalapack(MPI_COMM_WORLD, q, k, L, dh, block);
          ASSERT_EQ(dist.size(), fact.size());
          const double e = max_rel_diff(dist, fact);
          EXPECT_LE(e, 1e-10) << "block " << block << " (tol 1e-10 relative to sigma_1)";
          worst = std::max(worst, e);
        }
        ++heads;
      }
    if (world_rank() == 0)
      std::printf("[ scalapack] %-32s max |pdgesvd - factored|/sigma1 %.2e (tol 1e-10)\n", g.name().c_str(),
                  worst);
  }
  EXPECT_GT(heads, 0);
}

TEST(ScalapackSvd, RandomFieldL300) {
  const int L = 300, dh = 16;
  const auto q = lt::random_matrix(L, dh, 11, 1.0, 0.2), k = lt::random_matrix(L, dh, 12, 1.0, 1.5);
  const auto fact = ls::field_sv_factored(q, k, L, dh);
  for (int block : {64, 7, 300}) {
    const auto dist = ld::field_sv_scalapack(MPI_COMM_WORLD, q, k, L, dh, block);
    ASSERT_EQ(dist.size(), fact.size());
    const double e = max_rel_diff(dist, fact);
    EXPECT_LE(e, 1e-10) << "block " << block << " (tol 1e-10 relative to sigma_1)";
    if (world_rank() == 0)
      std::printf("[ scalapack] random L=300 dh=16 block %3d: %.2e (tol 1e-10)\n", block, e);
  }
}

// A sub-communicator (even / odd world ranks) gets its own grid; both halves compute at once.
TEST(ScalapackSvd, SubCommunicators) {
  MPI_Comm half;
  MPI_Comm_split(MPI_COMM_WORLD, world_rank() % 2, world_rank(), &half);
  const int L = 90, dh = 8;
  const auto q = lt::random_matrix(L, dh, 21 + world_rank() % 2), k = lt::random_matrix(L, dh, 31);
  const auto fact = ls::field_sv_factored(q, k, L, dh);
  const auto dist = ld::field_sv_scalapack(half, q, k, L, dh, 8);
  EXPECT_LE(max_rel_diff(dist, fact), 1e-10);
  MPI_Comm_free(&half);
}

// A grid smaller than the communicator: ranks off the grid have no context.
TEST(BlacsGrid, RanksOffAnExplicitGrid) {
  ld::BlacsGrid grid(MPI_COMM_WORLD, ld::GridShape{1, 1});
  EXPECT_EQ(grid.in_grid(), world_rank() == 0);
  if (!grid.in_grid()) {
    EXPECT_THROW(ld::DistributedMatrix(grid, 4, 4, 2, 2), std::logic_error);
  }
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  EXPECT_THROW(ld::BlacsGrid(MPI_COMM_WORLD, ld::GridShape{size + 1, 1}), std::invalid_argument);
}

// Explicit grids on a reused BlacsGrid: column grid (P x 1), and a 1 x 1 grid that leaves
// the other ranks off the grid (they still receive the values).
TEST(ScalapackSvd, ExplicitGridsIncludingRanksOffTheGrid) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int L = 75, dh = 12;
  const auto q = lt::random_matrix(L, dh, 41), k = lt::random_matrix(L, dh, 42, 1.0, -3.0);
  const auto fact = ls::field_sv_factored(q, k, L, dh);
  for (const ld::GridShape shape : {ld::GridShape{size, 1}, ld::GridShape{1, 1}}) {
    const ld::BlacsGrid grid(MPI_COMM_WORLD, shape);
    for (int head = 0; head < 2; ++head) {  // the same grid serves several calls
      const auto dist = ld::field_sv_scalapack(grid, q, k, L, dh, 6);
      ASSERT_EQ(dist.size(), fact.size());
      EXPECT_LE(max_rel_diff(dist, fact), 1e-10) << shape.rows << " x " << shape.cols << " grid";
    }
  }
}

TEST(ScalapackSvd, SmallLBelowHeadDim) {
  const int L = 6, dh = 16;  // min(L, d_h) = L values, the last one ~0 (rank <= L - 1)
  const auto q = lt::random_matrix(L, dh, 13), k = lt::random_matrix(L, dh, 14);
  const auto fact = ls::field_sv_factored(q, k, L, dh);
  const auto dist = ld::field_sv_scalapack(MPI_COMM_WORLD, q, k, L, dh, 2);
  ASSERT_EQ(dist.size(), static_cast<std::size_t>(L));
  EXPECT_LE(max_rel_diff(dist, fact), 1e-10);
}

TEST(ScalapackSvd, RejectsBadShapes) {
  std::vector<double> q(10, 1.0);
  EXPECT_THROW(ld::field_sv_scalapack(MPI_COMM_WORLD, q, q, 3, 4), std::invalid_argument);
}

// Own main: MPI around GoogleTest; only rank 0 prints; the exit status is the worst over ranks.
int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  if (world_rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int status = RUN_ALL_TESTS();
  MPI_Allreduce(MPI_IN_PLACE, &status, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return status;
}
