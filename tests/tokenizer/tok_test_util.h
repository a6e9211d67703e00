#pragma once
// Shared helpers for the tokenizer tests: cached tokenizers, JSON and file loading.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "test_data.h"
#include "tokenizer/tokenizer.h"

namespace logitrank::tokenizer::test {

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing test data " << p;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline nlohmann::json load_json(const std::filesystem::path& p) { return nlohmann::json::parse(slurp(p)); }

// Tokenizers are opened once per test binary (the big JSON files take a while to parse).
inline const Tokenizer& cached(const std::filesystem::path& p) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  static std::mutex mu;
  std::lock_guard lock(mu);
  auto& slot = cache[p.string()];
  if (!slot) slot = Tokenizer::open(p);
  return *slot;
}

inline std::vector<int32_t> ids_of(const nlohmann::json& a) { return a.get<std::vector<int32_t>>(); }

inline std::vector<int32_t> with_bos(const Tokenizer& t, std::vector<int32_t> ids) {
  if (auto b = t.bos_id()) ids.insert(ids.begin(), *b);
  return ids;
}

}  // namespace logitrank::tokenizer::test
