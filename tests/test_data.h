#pragma once
// Where the tests find ../shared/data: $LOGITRANK_DATA, else the folder configured at
// build time. A test whose data is missing fails (it must never pass by selecting nothing).
#include <cstdlib>
#include <filesystem>
#include <string>

namespace logitrank::testing {

inline std::filesystem::path data_dir() {
  if (const char* env = std::getenv("LOGITRANK_DATA"); env && *env) return env;
  return LOGITRANK_DATA_DEFAULT;
}

inline std::filesystem::path fixtures_dir() { return data_dir() / "fixtures"; }

}  // namespace logitrank::testing
