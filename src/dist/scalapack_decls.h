#pragma once
// Prototypes of the BLACS C interface and the ScaLAPACK Fortran routines we call
// (libscalapack-openmpi ships no C header). Fortran character arguments carry a hidden
// length (gfortran: size_t, after all other arguments).
#include <mpi.h>

#include <cstddef>

extern "C" {
void Cblacs_pinfo(int* mypnum, int* nprocs);
int Csys2blacs_handle(MPI_Comm comm);
void Cfree_blacs_system_handle(int handle);
void Cblacs_gridinit(int* context, const char* order, int nprow, int npcol);
void Cblacs_gridinfo(int context, int* nprow, int* npcol, int* myrow, int* mycol);
void Cblacs_gridexit(int context);

int numroc_(const int* n, const int* nb, const int* iproc, const int* isrcproc, const int* nprocs);
void descinit_(int* desc, const int* m, const int* n, const int* mb, const int* nb, const int* irsrc,
               const int* icsrc, const int* ictxt, const int* lld, int* info);
void pdgesvd_(const char* jobu, const char* jobvt, const int* m, const int* n, double* a, const int* ia,
              const int* ja, const int* desca, double* s, double* u, const int* iu, const int* ju,
              const int* descu, double* vt, const int* ivt, const int* jvt, const int* descvt, double* work,
              const int* lwork, int* info, std::size_t jobu_len, std::size_t jobvt_len);
}
