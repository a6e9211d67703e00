// Factored vs dense field spectrum for one head with random Q, K (L x d_h).
//   bench_spectra [max_dense_L=4096] [repeats=5]
// Prints a table: time of each path (best of `repeats` for factored, one run for dense),
// the speed ratio, and max |factored - dense| / sigma_1 over the min(L, d_h) values.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "bench_common.h"
#include "spectra/field_spectrum.h"

namespace {

template <class F>
double seconds(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int max_dense_L = argc > 1 ? std::atoi(argv[1]) : 4096;
  const int repeats = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  std::printf("%6s %5s %14s %14s %10s %14s\n", "L", "d_h", "factored [ms]", "dense [ms]", "ratio",
              "max rel diff");
  for (int dh : {64, 128})
    for (int L : {512, 1024, 2048, 4096}) {
      const auto q = logitrank::bench::random_matrix(L, dh, 1000u + L + dh),
                 k = logitrank::bench::random_matrix(L, dh, 2000u + L + dh);
      std::vector<double> fact;
      double t_fact = INFINITY;
      for (int r = 0; r < repeats; ++r)
        t_fact =
            std::min(t_fact, seconds([&] { fact = logitrank::spectra::field_sv_factored(q, k, L, dh); }));
      if (L > max_dense_L) {
        std::printf("%6d %5d %14.3f %14s %10s %14s\n", L, dh, 1e3 * t_fact, "-", "-", "-");
        std::fflush(stdout);
        continue;
      }
      std::vector<double> dense;
      const double t_dense = seconds([&] { dense = logitrank::spectra::field_sv_dense(q, k, L, dh); });
      double diff = 0;
      for (std::size_t i = 0; i < fact.size(); ++i)
        diff = std::max(diff, std::abs(fact[i] - dense[i]) / dense[0]);
      std::printf("%6d %5d %14.3f %14.1f %9.0fx %14.2e\n", L, dh, 1e3 * t_fact, 1e3 * t_dense,
                  t_dense / t_fact, diff);
      std::fflush(stdout);
    }
  return 0;
}
