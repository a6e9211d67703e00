// MPI for the dist unit tests: initialised once (singleton, no mpirun needed), finalised at exit.
#include <gtest/gtest.h>
#include <mpi.h>

namespace {

class MpiEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    int init = 0;
    MPI_Initialized(&init);
    if (!init) MPI_Init(nullptr, nullptr);
  }
  void TearDown() override {
    int fin = 0;
    MPI_Finalized(&fin);
    if (!fin) MPI_Finalize();
  }
};

[[maybe_unused]] ::testing::Environment* const g_mpi =
    ::testing::AddGlobalTestEnvironment(new MpiEnvironment);

}  // namespace
