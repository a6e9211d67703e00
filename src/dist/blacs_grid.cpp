#include "dist/blacs_grid.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "dist/scalapack_decls.h"

namespace logitrank::dist {

GridShape near_square_grid(int nprocs) {
  if (nprocs < 1) throw std::invalid_argument("near_square_grid: nprocs must be >= 1");
  GridShape s{1, nprocs};
  for (int r = 1; r * r <= nprocs; ++r)
    if (nprocs % r == 0) s = {r, nprocs / r};
  return s;
}

BlacsGrid::BlacsGrid(MPI_Comm comm)
    : BlacsGrid(comm, [&] {
        int size = 0;
        MPI_Comm_size(comm, &size);
        return near_square_grid(size);
      }()) {}

BlacsGrid::BlacsGrid(MPI_Comm comm, GridShape shape) : comm_(comm), shape_(shape) {
  int size = 0;
  MPI_Comm_size(comm, &size);
  if (shape.rows < 1 || shape.cols < 1 || shape.rows * shape.cols > size)
    throw std::invalid_argument("BlacsGrid: a " + std::to_string(shape.rows) + " x " +
                                std::to_string(shape.cols) + " grid does not fit " + std::to_string(size) +
                                " ranks");
  // BLACS must have set up its own state before it can translate a communicator.
  int me = 0, nprocs = 0;
  Cblacs_pinfo(&me, &nprocs);
  system_handle_ = Csys2blacs_handle(comm);
  context_ = system_handle_;
  Cblacs_gridinit(&context_, "Row", shape.rows, shape.cols);  // context_ becomes -1 off the grid
  if (context_ >= 0) {
    int rows = 0, cols = 0;
    Cblacs_gridinfo(context_, &rows, &cols, &my_row_, &my_col_);
  }
}

BlacsGrid::~BlacsGrid() {
  // Freeing the handle frees an MPI communicator: not allowed once MPI is finalized
  // (a grid that outlives MPI_Finalize leaks instead of aborting the job).
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  if (context_ >= 0) Cblacs_gridexit(context_);
  if (system_handle_ >= 0) Cfree_blacs_system_handle(system_handle_);
}

DistributedMatrix::DistributedMatrix(const BlacsGrid& grid, int m, int n, int mb, int nb)
    : grid_(&grid), m_(m), n_(n), mb_(mb), nb_(nb) {
  if (m < 1 || n < 1 || mb < 1 || nb < 1)
    throw std::invalid_argument("DistributedMatrix: bad shape or block size");
  if (!grid.in_grid()) throw std::logic_error("DistributedMatrix: this rank is not on the BLACS grid");
  int zero = 0, myrow = grid.my_row(), mycol = grid.my_col(), nprow = grid.rows(), npcol = grid.cols();
  local_rows_ = numroc_(&m_, &mb_, &myrow, &zero, &nprow);
  local_cols_ = numroc_(&n_, &nb_, &mycol, &zero, &npcol);
  int lld = std::max(1, local_rows_), ctxt = grid.context(), info = 0;
  descinit_(desc_.data(), &m_, &n_, &mb_, &nb_, &zero, &zero, &ctxt, &lld, &info);
  if (info != 0) throw std::runtime_error("descinit failed (info = " + std::to_string(info) + ")");
  local_.assign(static_cast<std::size_t>(lld) * std::max(1, local_cols_), 0.0);
}

// Block-cyclic with the first block on process 0: local block b of process p is global
// block b * P + p.
int DistributedMatrix::global_row(int li) const {
  return ((li / mb_) * grid_->rows() + grid_->my_row()) * mb_ + li % mb_;
}
int DistributedMatrix::global_col(int lj) const {
  return ((lj / nb_) * grid_->cols() + grid_->my_col()) * nb_ + lj % nb_;
}

}  // namespace logitrank::dist
