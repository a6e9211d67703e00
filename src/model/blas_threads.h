#pragma once
// Process-level OpenBLAS settings that must be in place before the library starts.

namespace logitrank::model {

// OpenBLAS's worker threads keep spinning for 2^28 cycles after every call (its
// THREAD_TIMEOUT) before they sleep. Between two GEMMs the forward runs its own
// element-wise loops (softmax, GELU, norms) on the same cores, and the spinning threads
// took those cores: with 2 threads the forward ran at 48% of sgemm's rate instead of ~60%.
// OpenBLAS reads OPENBLAS_THREAD_TIMEOUT only when it is loaded, so when the variable is
// unset this sets it to 2^4 cycles and re-executes the program once, before MPI_Init.
// A user's own setting is kept; if re-executing fails the program simply goes on.
void ensure_short_blas_spin(char** argv);

}  // namespace logitrank::model
