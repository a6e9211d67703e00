#pragma once
// Test-only access to the float64 goldens (fixtures/*/ and models/*/golden.safetensors +
// golden.json). A deliberately tiny safetensors reader (u64 header length, JSON header,
// F64 payload) so these tests do not depend on src/io; it reads whole files into memory
// and knows only what the goldens use.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/head_record.h"
#include "test_data.h"

namespace logitrank::testing {

struct GoldenTensor {
  std::vector<int64_t> shape;
  std::vector<double> values;  // F64 only
};

class GoldenSet {
 public:
  explicit GoldenSet(const std::filesystem::path& dir) : dir_(dir) {
    std::ifstream f(dir / "golden.safetensors", std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + (dir / "golden.safetensors").string());
    uint64_t n = 0;
    f.read(reinterpret_cast<char*>(&n), 8);
    std::string header(n, '\0');
    f.read(header.data(), static_cast<std::streamsize>(n));
    const auto h = nlohmann::json::parse(header);
    std::vector<char> blob((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    for (const auto& [name, info] : h.items()) {
      if (name == "__metadata__" || info.at("dtype") != "F64") continue;
      GoldenTensor t;
      t.shape = info.at("shape").get<std::vector<int64_t>>();
      const auto off = info.at("data_offsets").get<std::vector<uint64_t>>();
      if (off[1] > blob.size() || (off[1] - off[0]) % 8 != 0)
        throw std::runtime_error("bad golden tensor " + name);
      t.values.resize((off[1] - off[0]) / 8);
      std::memcpy(t.values.data(), blob.data() + off[0], off[1] - off[0]);
      tensors_.emplace(name, std::move(t));
    }
    std::ifstream j(dir / "golden.json");
    if (!j) throw std::runtime_error("cannot open " + (dir / "golden.json").string());
    json_ = nlohmann::json::parse(j);
  }

  const std::filesystem::path& dir() const { return dir_; }
  std::string name() const { return dir_.parent_path().filename().string() + "/" + dir_.filename().string(); }
  const nlohmann::json& json() const { return json_; }
  int n_layers() const { return json_.at("n_layers"); }
  int n_heads() const { return json_.at("n_heads"); }
  int n_kv_heads() const { return json_.at("n_kv_heads"); }
  int head_dim() const { return json_.at("head_dim"); }
  int hidden_size() const { return json_.at("hidden_size"); }
  int seq_len() const { return json_.at("seq_len"); }

  const GoldenTensor& tensor(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) throw std::runtime_error(name + " missing in " + dir_.string());
    return it->second;
  }
  // Slice `index` of a tensor's leading dimension, e.g. head h of layer.l.q [H, L, d_h].
  std::vector<double> slice(const std::string& name, int index) const {
    const GoldenTensor& t = tensor(name);
    const std::size_t per = t.values.size() / static_cast<std::size_t>(t.shape.at(0));
    return {t.values.begin() + static_cast<std::ptrdiff_t>(per * index),
            t.values.begin() + static_cast<std::ptrdiff_t>(per * (index + 1))};
  }
  std::vector<double> q(int layer, int head) const {
    return slice("layer." + std::to_string(layer) + ".q", head);
  }
  std::vector<double> k(int layer, int kv) const {
    return slice("layer." + std::to_string(layer) + ".k", kv);
  }
  std::vector<double> field_sv(int layer, int head) const {
    return slice("layer." + std::to_string(layer) + ".field_sv", head);
  }
  std::vector<double> weight_sv(int layer, int head) const {
    return slice("layer." + std::to_string(layer) + ".weight_sv", head);
  }
  // golden.json heads[] entry for (layer, head): row-major, layer then head.
  const nlohmann::json& head_json(int layer, int head) const {
    return json_.at("heads").at(static_cast<std::size_t>(layer * n_heads() + head));
  }
  int kv_group(int head) const { return head / (n_heads() / n_kv_heads()); }

 private:
  std::filesystem::path dir_;
  std::map<std::string, GoldenTensor> tensors_;
  nlohmann::json json_;
};

// Every folder under fixtures/ and models/ that has a golden.safetensors, sorted.
inline std::vector<std::filesystem::path> golden_dirs() {
  std::vector<std::filesystem::path> out;
  for (const char* group : {"fixtures", "models"}) {
    const auto root = data_dir() / group;
    if (!std::filesystem::is_directory(root)) continue;
    for (const auto& e : std::filesystem::directory_iterator(root))
      if (std::filesystem::exists(e.path() / "golden.safetensors")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Metrics against one golden.json "field" or "weight" entry: k's and numerical rank
// exact, erank / pr / stable rank within 1e-9 relative (float64 on both sides).
inline void expect_metrics_equal_golden(const SpectrumMetrics& m, const nlohmann::json& e) {
  EXPECT_EQ(m.k80, e.at("k80").get<int>());
  EXPECT_EQ(m.k90, e.at("k90").get<int>());
  EXPECT_EQ(m.k95, e.at("k95").get<int>());
  EXPECT_EQ(m.k99, e.at("k99").get<int>());
  EXPECT_EQ(m.numerical_rank, e.at("numerical_rank").get<int>());
  EXPECT_NEAR(m.erank, e.at("erank").get<double>(), 1e-9 * e.at("erank").get<double>());
  EXPECT_NEAR(m.pr, e.at("pr").get<double>(), 1e-9 * e.at("pr").get<double>());
  EXPECT_NEAR(m.stable_rank, e.at("stable_rank").get<double>(), 1e-9 * e.at("stable_rank").get<double>());
}

}  // namespace logitrank::testing
