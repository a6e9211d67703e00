#include "model/blas_threads.h"

#include <unistd.h>

#include <cstdlib>

namespace logitrank::model {

void ensure_short_blas_spin(char** argv) {
  if (std::getenv("OPENBLAS_THREAD_TIMEOUT") != nullptr) return;
  if (setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0) != 0) return;
  execv("/proc/self/exe", argv);  // returns only on failure: carry on with the spin as it is
}

}  // namespace logitrank::model
