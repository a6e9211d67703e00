#pragma once
// A BLACS process grid over an MPI communicator, and a block-cyclic distributed matrix on it
// (ScaLAPACK descriptor + this process's local tiles). RAII: the grid owns its BLACS context
// and system handle; the matrix owns its descriptor and storage, so no call site handles raw
// descriptor arrays.
#include <mpi.h>

#include <array>
#include <vector>

namespace logitrank::dist {

struct GridShape {
  int rows = 1, cols = 1;
};

// rows x cols == nprocs, rows the largest divisor of nprocs not above sqrt(nprocs)
// (1 -> 1x1, 2 -> 1x2, 3 -> 1x3, 4 -> 2x2, 6 -> 2x3, 12 -> 3x4).
GridShape near_square_grid(int nprocs);

class BlacsGrid {
 public:
  // Row-major grid of the near-square shape over every rank of comm (collective over comm).
  explicit BlacsGrid(MPI_Comm comm);
  // Explicit shape; rows * cols must not exceed the size of comm. Ranks beyond the grid get
  // no context (in_grid() is false) and must not take part in ScaLAPACK calls.
  BlacsGrid(MPI_Comm comm, GridShape shape);
  ~BlacsGrid();
  BlacsGrid(const BlacsGrid&) = delete;
  BlacsGrid& operator=(const BlacsGrid&) = delete;

  MPI_Comm comm() const { return comm_; }
  int context() const { return context_; }
  bool in_grid() const { return context_ >= 0 && my_row_ >= 0; }
  int rows() const { return shape_.rows; }
  int cols() const { return shape_.cols; }
  int my_row() const { return my_row_; }
  int my_col() const { return my_col_; }

 private:
  MPI_Comm comm_;
  GridShape shape_;
  int system_handle_ = -1;
  int context_ = -1;
  int my_row_ = -1, my_col_ = -1;
};

// An m x n matrix distributed block-cyclically (mb x nb blocks, first block on process
// (0, 0)) over a grid; stores this process's local part column-major with leading
// dimension lld(). Indices are 0-based.
class DistributedMatrix {
 public:
  DistributedMatrix(const BlacsGrid& grid, int m, int n, int mb, int nb);

  int rows() const { return m_; }
  int cols() const { return n_; }
  int local_rows() const { return local_rows_; }
  int local_cols() const { return local_cols_; }
  int lld() const { return desc_[8]; }
  // Global index of local row li / local column lj.
  int global_row(int li) const;
  int global_col(int lj) const;

  double* local_data() { return local_.data(); }
  const double* local_data() const { return local_.data(); }
  // The ScaLAPACK descriptor, for passing to p?routines (mutable because Fortran
  // prototypes take int*; ScaLAPACK does not write to it).
  int* descriptor() { return desc_.data(); }

 private:
  const BlacsGrid* grid_;
  int m_, n_, mb_, nb_;
  int local_rows_ = 0, local_cols_ = 0;
  std::array<int, 9> desc_{};
  std::vector<double> local_;
};

}  // namespace logitrank::dist
