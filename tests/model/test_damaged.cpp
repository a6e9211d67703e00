// Wrong or damaged checkpoints, made in a temp folder from the fixtures: each must end in
// one InputError line naming the file and the tensor (or key) at fault.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <numeric>
#include <random>

#include "io/error.h"
#include "io/json_file.h"
#include "io/safetensors.h"
#include "model/model.h"
#include "test_data.h"

namespace fs = std::filesystem;
using namespace logitrank;
using logitrank::model::LayerQK;
using logitrank::model::Model;

namespace {

fs::path data() { return logitrank::testing::data_dir(); }

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() /
           ("logitrank_model_test_" + std::to_string(::getpid()) + "_" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Copies a checkpoint folder's config/weights/index into `dst`.
void copy_checkpoint(const fs::path& src, const fs::path& dst) {
  fs::create_directories(dst);
  for (const auto& e : fs::directory_iterator(src)) {
    const auto name = e.path().filename().string();
    if (name == "config.json" || name.find("model") == 0) fs::copy_file(e.path(), dst / name);
  }
}

// Rewrites a safetensors file through `edit` (return false to drop a tensor).
using Edit = std::function<bool(std::string& name, io::DType& dtype, std::vector<int64_t>& shape,
                                std::vector<std::byte>& bytes)>;
void rewrite(const fs::path& src, const fs::path& dst, const Edit& edit) {
  std::vector<std::tuple<std::string, io::DType, std::vector<int64_t>, std::vector<std::byte>>> all;
  {
    io::SafetensorsFile f(src);
    for (const auto& n : f.names()) {
      const auto& t = f.at(n);
      all.emplace_back(n, t.dtype, t.shape, std::vector<std::byte>(t.data, t.data + t.nbytes));
    }
  }
  io::SafetensorsWriter w;
  for (auto& [n, d, s, b] : all)
    if (edit(n, d, s, b)) w.add(n, d, s, b);
  w.write(dst);
}

void edit_config(const fs::path& file, const std::function<void(nlohmann::json&)>& f) {
  auto j = io::read_json_file(file);
  f(j);
  std::ofstream(file) << j.dump(2);
}

std::string expect_input_error(const std::function<void()>& f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "expected InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    for (const auto& n : needles)
      EXPECT_NE(msg.find(n), std::string::npos) << "message '" << msg << "' lacks '" << n << "'";
    return msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected InputError, got: " << e.what();
  }
  return {};
}

void run_forward(Model& m, int n_ids = 8) {
  std::vector<int32_t> ids(static_cast<std::size_t>(n_ids));
  std::iota(ids.begin(), ids.end(), 1);
  std::vector<int> layers(static_cast<std::size_t>(m.config().n_layers));
  std::iota(layers.begin(), layers.end(), 0);
  m.forward_qk(ids, layers, [](const LayerQK&) {});
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_all(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}

}  // namespace

TEST(Damaged, TruncatedSafetensors) {
  TempDir t;
  copy_checkpoint(data() / "fixtures/tiny-llama", t.path / "m");
  const fs::path f = t.path / "m/model.safetensors";
  const std::string all = read_all(f);
  write_all(f, all.substr(0, all.size() - 1000));
  expect_input_error([&] { Model::open(t.path / "m"); }, {f.string(), "tensor '", "exceed"});
}

TEST(Damaged, BadHeader) {
  TempDir t;
  copy_checkpoint(data() / "fixtures/tiny-qwen2", t.path / "m");
  const fs::path f = t.path / "m/model.safetensors";
  std::string all = read_all(f);
  all[8] = 'X';  // the JSON header's opening brace
  write_all(f, all);
  expect_input_error([&] { Model::open(t.path / "m"); }, {f.string(), "invalid JSON"});
  all = read_all(data() / "fixtures/tiny-qwen2/model.safetensors");
  all[6] = '\x01';  // header length way beyond the file
  write_all(f, all);
  expect_input_error([&] { Model::open(t.path / "m"); }, {f.string(), "header length"});
}

TEST(Damaged, MissingTensor) {
  TempDir t;
  copy_checkpoint(data() / "fixtures/tiny-mistral", t.path / "m");
  const fs::path f = t.path / "m/model.safetensors";
  rewrite(data() / "fixtures/tiny-mistral/model.safetensors", f,
          [](std::string& n, auto&, auto&, auto&) { return n != "model.layers.1.mlp.down_proj.weight"; });
  expect_input_error([&] { Model::open(t.path / "m"); },
                     {f.string(), "'model.layers.1.mlp.down_proj.weight'", "not found"});
  // untied model without lm_head
  rewrite(data() / "fixtures/tiny-mistral/model.safetensors", f,
          [](std::string& n, auto&, auto&, auto&) { return n != "lm_head.weight"; });
  expect_input_error([&] { Model::open(t.path / "m"); }, {f.string(), "'lm_head.weight'"});
}

TEST(Damaged, MissingTensorInShard) {
  TempDir t;
  copy_checkpoint(data() / "fixtures/tiny-llama-sharded", t.path / "m");
  const fs::path shard = t.path / "m/model-00002-of-00002.safetensors";
  std::string dropped;
  rewrite(data() / "fixtures/tiny-llama-sharded/model-00002-of-00002.safetensors", shard,
          [&](std::string& n, auto&, auto&, auto&) {
            if (dropped.empty()) {
              dropped = n;
              return false;
            }
            return true;
          });
  expect_input_error([&] { Model::open(t.path / "m"); },
                     {shard.string(), "'" + dropped + "'", "model.safetensors.index.json"});
  // the index not listing a tensor at all -> the index is named
  copy_checkpoint(data() / "fixtures/tiny-llama-sharded", t.path / "m2");
  edit_config(t.path / "m2/model.safetensors.index.json",
              [](nlohmann::json& j) { j["weight_map"].erase("model.layers.0.self_attn.q_proj.weight"); });
  expect_input_error(
      [&] { Model::open(t.path / "m2"); },
      {"model.safetensors.index.json", "'model.layers.0.self_attn.q_proj.weight'", "not found"});
}

TEST(Damaged, ShapeContradictsConfig) {
  TempDir t;
  copy_checkpoint(data() / "fixtures/tiny-llama", t.path / "m");
  edit_config(t.path / "m/config.json", [](nlohmann::json& j) { j["num_key_value_heads"] = 4; });
  expect_input_error([&] { Model::open(t.path / "m"); },
                     {(t.path / "m/model.safetensors").string(), "'model.layers.0.self_attn.k_proj.weight'",
                      "[16, 64]", "[32, 64]", "config.json"});
  copy_checkpoint(data() / "fixtures/tiny-gpt2", t.path / "g");
  edit_config(t.path / "g/config.json", [](nlohmann::json& j) { j["n_inner"] = 128; });
  expect_input_error([&] { Model::open(t.path / "g"); }, {"model.safetensors", "'h.0.mlp.c_fc.weight'"});
}

TEST(Damaged, HeadsNotDivisibleByKvHeads) {
  TempDir t;
  copy_checkpoint(data() / "fixtures/tiny-llama", t.path / "m");
  edit_config(t.path / "m/config.json", [](nlohmann::json& j) { j["num_key_value_heads"] = 3; });
  expect_input_error([&] { Model::open(t.path / "m"); }, {"config.json", "divisible"});
}

TEST(Damaged, UnknownArchitectureAndRope) {
  TempDir t;
  copy_checkpoint(data() / "fixtures/tiny-llama", t.path / "m");
  edit_config(t.path / "m/config.json", [](nlohmann::json& j) {
    j["architectures"] = {"Qwen3ForCausalLM"};
    j["model_type"] = "qwen3";
  });
  expect_input_error([&] { Model::open(t.path / "m"); },
                     {"config.json", "Qwen3ForCausalLM", "GPT2LMHeadModel", "LlamaForCausalLM",
                      "Qwen2ForCausalLM", "MistralForCausalLM"});
  copy_checkpoint(data() / "fixtures/tiny-llama", t.path / "r");
  edit_config(t.path / "r/config.json", [](nlohmann::json& j) {
    j["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  });
  expect_input_error([&] { Model::open(t.path / "r"); }, {"config.json", "rope_scaling", "yarn"});
  // by model_type alone, with null rope_scaling
  copy_checkpoint(data() / "fixtures/tiny-llama", t.path / "n");
  edit_config(t.path / "n/config.json", [](nlohmann::json& j) {
    j.erase("architectures");
    j["rope_scaling"] = nullptr;
  });
  auto m = Model::open(t.path / "n");
  EXPECT_EQ(m->config().architecture, "LlamaForCausalLM");
  EXPECT_FALSE(m->config().rope_scaling.enabled);
  // missing required key
  edit_config(t.path / "n/config.json", [](nlohmann::json& j) { j.erase("hidden_size"); });
  expect_input_error([&] { Model::open(t.path / "n"); }, {"config.json", "'hidden_size'"});
  // bad config JSON
  write_all(t.path / "n/config.json", "{\"model_type\": ");
  expect_input_error([&] { Model::open(t.path / "n"); }, {"config.json", "invalid JSON"});
  expect_input_error([&] { Model::open(t.path / "nothing-here"); }, {"nothing-here"});
  fs::create_directories(t.path / "empty");
  expect_input_error([&] { Model::open(t.path / "empty"); }, {"config.json"});
}

TEST(Damaged, NanWeightNamedAtConversion) {
  TempDir t;
  copy_checkpoint(data() / "fixtures/tiny-llama", t.path / "m");
  const fs::path f = t.path / "m/model.safetensors";
  rewrite(data() / "fixtures/tiny-llama/model.safetensors", f,
          [](std::string& n, io::DType& d, auto&, auto& b) {
            if (n == "model.layers.1.mlp.up_proj.weight") {
              EXPECT_EQ(d, io::DType::BF16);
              const uint16_t nan = 0x7FC0;
              std::memcpy(b.data() + 2 * 37, &nan, 2);
            }
            return true;
          });
  auto m = Model::open(t.path / "m");  // open does not scan the weights
  expect_input_error([&] { run_forward(*m); },
                     {f.string(), "'model.layers.1.mlp.up_proj.weight'", "nan", "element 37"});
  // a NaN in a q projection also fails attention_weights
  rewrite(data() / "fixtures/tiny-llama/model.safetensors", f, [](std::string& n, auto&, auto&, auto& b) {
    if (n == "model.layers.2.self_attn.q_proj.weight") {
      const uint16_t inf = 0x7F80;
      std::memcpy(b.data(), &inf, 2);
    }
    return true;
  });
  auto m2 = Model::open(t.path / "m");
  expect_input_error([&] { m2->attention_weights(2); },
                     {f.string(), "'model.layers.2.self_attn.q_proj.weight'", "inf"});
  expect_input_error([&] { run_forward(*m2); }, {"'model.layers.2.self_attn.q_proj.weight'"});
  // a NaN in an embedding row used by the window
  copy_checkpoint(data() / "fixtures/tiny-gpt2", t.path / "g");
  rewrite(data() / "fixtures/tiny-gpt2/model.safetensors", t.path / "g/model.safetensors",
          [](std::string& n, auto&, auto& s, auto& b) {
            if (n == "wte.weight") {
              const float nan = std::numeric_limits<float>::quiet_NaN();
              std::memcpy(b.data() + 4 * (3 * s[1] + 5), &nan, 4);  // row 3
            }
            return true;
          });
  auto g = Model::open(t.path / "g");
  expect_input_error([&] { run_forward(*g); }, {"model.safetensors", "'wte.weight'"});
}

TEST(Damaged, WrongDtype) {
  TempDir t;
  copy_checkpoint(data() / "fixtures/tiny-gpt2", t.path / "g");
  rewrite(data() / "fixtures/tiny-gpt2/model.safetensors", t.path / "g/model.safetensors",
          [](std::string& n, io::DType& d, auto&, auto&) {
            if (n == "h.0.ln_1.weight") d = io::DType::I32;
            return true;
          });
  expect_input_error([&] { Model::open(t.path / "g"); }, {"model.safetensors", "'h.0.ln_1.weight'", "I32"});
}

// GPT-2 keys with the `transformer.` prefix (as in some real files) give the same Q/K.
TEST(Gpt2, TransformerPrefixAccepted) {
  TempDir t;
  copy_checkpoint(data() / "fixtures/tiny-gpt2", t.path / "g");
  rewrite(data() / "fixtures/tiny-gpt2/model.safetensors", t.path / "g/model.safetensors",
          [](std::string& n, auto&, auto&, auto&) {
            n = "transformer." + n;
            return true;
          });
  auto a = Model::open(data() / "fixtures/tiny-gpt2");
  auto b = Model::open(t.path / "g");
  std::vector<int32_t> ids = {5, 6, 7, 8, 9, 10};
  std::vector<int> layers = {0, 1};
  std::vector<LayerQK> qa, qb;
  a->forward_qk(ids, layers, [&](const LayerQK& x) { qa.push_back(x); });
  b->forward_qk(ids, layers, [&](const LayerQK& x) { qb.push_back(x); });
  ASSERT_EQ(qa.size(), 2u);
  ASSERT_EQ(qb.size(), 2u);
  EXPECT_EQ(qa[1].q, qb[1].q);
  EXPECT_EQ(qa[1].k, qb[1].k);
}

TEST(Llama2c, TruncatedAndBadHeader) {
  TempDir t;
  const std::string all = read_all(data() / "models/stories260K/stories260K.bin");
  const fs::path f = t.path / "s.bin";
  write_all(f, all.substr(0, 28 + 4 * 60000));
  expect_input_error([&] { Model::open(f); },
                     {f.string(), "truncated", "'wk'", "model.layers.3.self_attn.k_proj.weight"});
  write_all(f, all.substr(0, all.size() - 4));
  expect_input_error([&] { Model::open(f); }, {f.string(), "1056540"});
  write_all(f, all.substr(0, 20));
  expect_input_error([&] { Model::open(f); }, {f.string(), "too short"});
  std::string bad = all;
  const int32_t heads = 7;  // 64 % 7 != 0
  std::memcpy(bad.data() + 12, &heads, 4);
  write_all(f, bad);
  expect_input_error([&] { Model::open(f); }, {f.string(), "n_heads"});
  write_all(f, std::string("ak42") + all.substr(4));
  expect_input_error([&] { Model::open(f); }, {f.string()});
}

// Unshared classifier (negative vocab_size) and files without the freq_cis tables.
TEST(Llama2c, LayoutVariants) {
  TempDir t;
  const std::string all = read_all(data() / "models/stories260K/stories260K.bin");
  const std::size_t freq_bytes = 4 * 512 * 8;  // seq_len * head_size floats (real + imag)
  const std::string no_freq = all.substr(0, all.size() - freq_bytes);
  const std::string emb = all.substr(28, 4 * 512 * 64);
  std::vector<int32_t> ids = {1, 461, 461, 401, 401, 401, 461, 378};
  std::vector<int> layers = {4};
  auto last_q = [&](const fs::path& p) {
    auto m = Model::open(p);
    std::vector<double> q;
    m->forward_qk(ids, layers, [&](const LayerQK& x) { q = x.q; });
    return q;
  };
  const auto ref = last_q(data() / "models/stories260K/stories260K.bin");
  write_all(t.path / "nofreq.bin", no_freq);
  EXPECT_EQ(last_q(t.path / "nofreq.bin"), ref);
  std::string unshared = all + emb;
  const int32_t neg = -512;
  std::memcpy(unshared.data() + 20, &neg, 4);
  write_all(t.path / "cls.bin", unshared);
  EXPECT_EQ(last_q(t.path / "cls.bin"), ref);
  auto m = Model::open(t.path / "cls.bin");
  EXPECT_FALSE(m->config().tie_embeddings);
  // unshared header but no classifier stored
  std::string missing = all;
  std::memcpy(missing.data() + 20, &neg, 4);
  write_all(t.path / "nocls.bin", missing);
  expect_input_error([&] { Model::open(t.path / "nocls.bin"); }, {"nocls.bin", "wcls"});
}

// Mistral sliding window at model level: with window 8, query i sees keys i-7..i. Layer 0's
// Q/K do not depend on attention; at layer 1 positions < 8 are unchanged, later ones differ.
TEST(SlidingWindow, MistralWindowChangesOnlyLatePositions) {
  TempDir t;
  copy_checkpoint(data() / "fixtures/tiny-mistral", t.path / "m");
  edit_config(t.path / "m/config.json", [](nlohmann::json& j) { j["sliding_window"] = 8; });
  auto a = Model::open(data() / "fixtures/tiny-mistral");
  auto b = Model::open(t.path / "m");
  EXPECT_EQ(b->config().sliding_window, 8);
  const auto j = io::read_json_file(data() / "fixtures/tiny-mistral/input_ids.json");
  std::vector<int32_t> ids;
  for (const auto& v : j) ids.push_back(v.get<int32_t>());
  std::vector<int> layers = {0, 1};
  std::vector<LayerQK> qa, qb;
  a->forward_qk(ids, layers, [&](const LayerQK& x) { qa.push_back(x); });
  b->forward_qk(ids, layers, [&](const LayerQK& x) { qb.push_back(x); });
  ASSERT_EQ(qa.size(), 2u);
  ASSERT_EQ(qb.size(), 2u);
  EXPECT_EQ(qa[0].q, qb[0].q);
  const int dh = qa[1].head_dim;
  for (int h = 0; h < qa[1].n_heads; ++h) {
    const auto x = qa[1].q_head(h), y = qb[1].q_head(h);
    for (int p = 0; p < 8 * dh; ++p) ASSERT_EQ(x[p], y[p]) << "head " << h << " elem " << p;
    double diff = 0;
    for (std::size_t p = 8 * dh; p < x.size(); ++p) diff = std::max(diff, std::abs(x[p] - y[p]));
    EXPECT_GT(diff, 1e-6) << "head " << h;
  }
}
