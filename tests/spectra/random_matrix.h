#pragma once
// Seeded Gaussian test matrices (row-major), shared by the spectra and ScaLAPACK tests.
#include <random>
#include <vector>

namespace logitrank::testing {

inline std::vector<double> random_matrix(int rows, int cols, unsigned seed, double scale = 1.0,
                                         double shift = 0.0) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> dist(shift, scale);
  std::vector<double> m(static_cast<std::size_t>(rows) * cols);
  for (double& v : m) v = dist(gen);
  return m;
}

}  // namespace logitrank::testing
