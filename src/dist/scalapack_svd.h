#pragma once
// Distributed reference path for a field spectrum: ScaLAPACK pdgesvd on the dense L x L
// row-centred field, spread block-cyclically over the ranks of a communicator.
#include <mpi.h>

#include <span>
#include <vector>

namespace logitrank::dist {

// Collective over comm. Every rank passes the same Q and K (L x d_h, row-major). Each rank
// builds only its own block-cyclic tiles of E~ = Q K_c^T / sqrt(d_h) (no rank holds the
// full L x L field), pdgesvd computes the singular values (jobu = jobvt = 'N') on a
// near-square grid of all ranks, and every rank returns the leading min(L, d_h) values,
// descending (broadcast from rank 0 of comm). block: the square tile size (>= 1).
std::vector<double> field_sv_scalapack(MPI_Comm comm, std::span<const double> q, std::span<const double> k, int L,
                                       int dh, int block = 64);

}  // namespace logitrank::dist
