#pragma once
// Helpers shared by the bench_* programs (header only: each bench/*.cpp is its own executable).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "model/make_checkpoint.h"

namespace logitrank::bench {

// A rows x cols matrix of standard normal values, row-major, reproducible from `seed`.
inline std::vector<double> random_matrix(int rows, int cols, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> dist(0.0, 1.0);
  std::vector<double> m(static_cast<std::size_t>(rows) * cols);
  for (double& v : m) v = dist(gen);
  return m;
}

inline double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Peak resident set size of this process so far, in bytes (ru_maxrss is in KiB on Linux).
inline std::size_t peak_rss_bytes() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<std::size_t>(ru.ru_maxrss) * 1024;
}

// A field of /proc/self/status in bytes ("VmRSS", "RssAnon", "RssFile", "VmHWM"), 0 if absent.
inline std::size_t proc_status_bytes(const std::string& key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key + ":", 0) == 0)
      return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10) * 1024;
  return 0;
}

// A make-checkpoint folder for `like` under `dir`, generated if it is not already there
// (a complete folder has config.json, written last). Generated in a child process so
// that the generator's buffers never count in this process's peak RSS.
inline void ensure_checkpoint(const std::filesystem::path& dir, const std::string& like,
                              logitrank::io::DType dtype) {
  namespace fs = std::filesystem;
  const auto plan = logitrank::model::plan_checkpoint(like, dtype);
  std::error_code ec;
  if (fs::exists(dir / "config.json", ec)) {
    std::size_t bytes = 0;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().extension() == ".safetensors") bytes += e.file_size();
    if (bytes >= plan.total_bytes()) {
      std::fprintf(stderr, "using existing %s (%s)\n", dir.c_str(), like.c_str());
      return;
    }
  }
  std::fprintf(stderr, "generating %s: make-checkpoint --like %s --dtype %s (%.2f GB) ...\n", dir.c_str(),
               like.c_str(), std::string(logitrank::io::dtype_name(dtype)).c_str(),
               double(plan.total_bytes()) / 1e9);
  std::fflush(stderr);
  const double t0 = now_s();
  const pid_t pid = fork();
  if (pid == 0) {
    try {
      logitrank::model::MakeCheckpointOptions options;
      options.seed = 0;
      logitrank::model::write_checkpoint(plan, dir, options);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "make-checkpoint failed: %s\n", e.what());
      _exit(1);
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "could not generate %s\n", dir.c_str());
    std::exit(1);
  }
  std::fprintf(stderr, "generated in %.1f s\n", now_s() - t0);
}

}  // namespace logitrank::bench
