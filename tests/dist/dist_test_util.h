#pragma once
// Helpers for the dist tests: temp folders and synthetic --qk files.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "io/error.h"
#include "io/safetensors.h"

namespace logitrank::testing {

inline std::filesystem::path temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() /
           ("logitrank_test_dist_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

// Deterministic pseudo-random values in [-1, 1).
inline std::vector<double> pseudo_random(std::size_t n, uint64_t seed) {
  std::vector<double> v(n);
  uint64_t s = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  for (auto& x : v) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    x = static_cast<double>(s >> 11) / static_cast<double>(1ULL << 53) * 2.0 - 1.0;
  }
  return v;
}

struct QkSpec {
  int layers = 2, H = 4, Hkv = 2, L = 12, dh = 4;
};

// Writes layer.<l>.q / layer.<l>.k (F64) for a spec; `edit` may change the writer's inputs.
inline void write_qk(
    const std::filesystem::path& path, const QkSpec& s,
    const std::function<void(int layer, std::vector<double>& q, std::vector<double>& k)>& edit = {}) {
  io::SafetensorsWriter w;
  for (int l = 0; l < s.layers; ++l) {
    auto q = pseudo_random(static_cast<std::size_t>(s.H) * s.L * s.dh, 100 + l);
    auto k = pseudo_random(static_cast<std::size_t>(s.Hkv) * s.L * s.dh, 200 + l);
    if (edit) edit(l, q, k);
    w.add_f64("layer." + std::to_string(l) + ".q", {s.H, s.L, s.dh}, q);
    w.add_f64("layer." + std::to_string(l) + ".k", {s.Hkv, s.L, s.dh}, k);
  }
  w.write(path);
}

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

}  // namespace logitrank::testing
