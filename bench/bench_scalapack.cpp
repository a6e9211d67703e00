// ScaLAPACK pdgesvd of the dense row-centred field (one head, random Q, K, d_h = 128) on all
// ranks of MPI_COMM_WORLD, for L in {2048, 4096} (or the L's given on the command line).
//   OPENBLAS_NUM_THREADS=1 mpirun -np P bench_scalapack [L...]
// Environment: BENCH_BLOCK (tile size, default 64), BENCH_GRID_ROWS (grid rows; default near-square).
// Prints the wall time (max over ranks, tile build included), the CPU time of the busiest rank
// (on a shared box the wall time also counts time the ranks were not scheduled), and
// max |pdgesvd - factored| / sigma_1.
#include <mpi.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "bench_common.h"
#include "dist/blacs_grid.h"
#include "dist/scalapack_svd.h"
#include "spectra/field_spectrum.h"

namespace {

// CPU seconds (user + system) this process has used so far.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::vector<int> lengths;
  for (int i = 1; i < argc; ++i) lengths.push_back(std::atoi(argv[i]));
  if (lengths.empty()) lengths = {2048, 4096};
  {
    const int dh = 128;
    const int block = std::getenv("BENCH_BLOCK") ? std::atoi(std::getenv("BENCH_BLOCK")) : 64;
    auto shape = logitrank::dist::near_square_grid(size);
    if (const char* rows = std::getenv("BENCH_GRID_ROWS")) shape = {std::atoi(rows), size / std::atoi(rows)};
    const logitrank::dist::BlacsGrid grid(MPI_COMM_WORLD, shape);
    if (rank == 0)
      std::printf("ranks %d (grid %d x %d), block %d, d_h %d\n%6s %12s %18s %14s\n", size, grid.rows(),
                  grid.cols(), block, dh, "L", "pdgesvd [s]", "max cpu/rank [s]", "max rel diff");
    for (int L : lengths) {
      const auto q = logitrank::bench::random_matrix(L, dh, 3000u + L),
                 k = logitrank::bench::random_matrix(L, dh, 4000u + L);
      MPI_Barrier(MPI_COMM_WORLD);
      const double t0 = MPI_Wtime(), c0 = cpu_seconds();
      const auto sv = logitrank::dist::field_sv_scalapack(grid, q, k, L, dh, block);
      double t = MPI_Wtime() - t0, cpu = cpu_seconds() - c0;
      MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      MPI_Allreduce(MPI_IN_PLACE, &cpu, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      if (rank == 0) {
        const auto fact = logitrank::spectra::field_sv_factored(q, k, L, dh);
        double diff = 0;
        for (std::size_t i = 0; i < fact.size(); ++i)
          diff = std::max(diff, std::abs(sv[i] - fact[i]) / fact[0]);
        std::printf("%6d %12.2f %18.2f %14.2e\n", L, t, cpu, diff);
        std::fflush(stdout);
      }
    }
  }  // the grid is released before MPI_Finalize
  MPI_Finalize();
  return 0;
}
