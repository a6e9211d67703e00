#pragma once
// Distributed reference path for a field spectrum: ScaLAPACK pdgesvd on the dense L x L
// row-centred field, spread block-cyclically over the ranks of a communicator.
#include <mpi.h>

#include <span>
#include <vector>

#include "dist/blacs_grid.h"

namespace logitrank::dist {

// Collective over comm. Every rank passes the same Q and K (L x d_h, row-major). Each rank
// builds only its own block-cyclic tiles of E~ = Q K_c^T / sqrt(d_h) (no rank holds the
// full L x L field), pdgesvd computes the singular values (jobu = jobvt = 'N') on a
// near-square grid of all ranks, and every rank returns the leading min(L, d_h) values,
// descending (broadcast from rank 0 of comm). block: the square tile size (>= 1).
std::vector<double> field_sv_scalapack(MPI_Comm comm, std::span<const double> q, std::span<const double> k,
                                       int L, int dh, int block = 64);

// The same on an existing grid (reusable across heads; any shape). Collective over the
// grid's communicator; ranks off the grid pass through and receive the broadcast values.
std::vector<double> field_sv_scalapack(const BlacsGrid& grid, std::span<const double> q,
                                       std::span<const double> k, int L, int dh, int block = 64);

}  // namespace logitrank::dist
