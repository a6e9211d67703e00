// make-checkpoint: the generated layouts equal the real ones (tiny fixtures tensor by
// tensor, real models by parameter count), the streaming writer round-trips and shards,
// and the bytes depend only on the seed.
#include "model/make_checkpoint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <set>

#include "io/error.h"
#include "io/float16.h"
#include "io/json_file.h"
#include "io/safetensors.h"
#include "io/safetensors_stream.h"
#include "model/model.h"
#include "test_data.h"

namespace {

namespace fs = std::filesystem;
using namespace logitrank;
using logitrank::testing::fixtures_dir;

// A fresh folder under the system temp dir, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("logitrank-mkckpt-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

const char* kTiny[] = {"tiny-gpt2", "tiny-llama", "tiny-qwen2", "tiny-mistral"};

model::MakeCheckpointOptions opts(uint64_t seed, std::size_t max_shard_bytes = 5'000'000'000,
                                  std::size_t chunk_bytes = 32u << 20, int threads = 0) {
  model::MakeCheckpointOptions o;
  o.seed = seed;
  o.max_shard_bytes = max_shard_bytes;
  o.chunk_bytes = chunk_bytes;
  o.threads = threads;
  return o;
}

// ---- full-size plans: parameter counts of the real models ----

TEST(MakeCheckpointPlan, RealModelParameterCounts) {
  // GPT-2 small without lm_head (tied): wte 50257x768 + wpe 1024x768 + 12 blocks + ln_f.
  const auto gpt2 = model::plan_checkpoint("gpt2");
  EXPECT_EQ(gpt2.parameter_count(), 124'439'808);
  EXPECT_EQ(gpt2.dtype, io::DType::F32);
  // Plus the 12 causal-mask buffers [1,1,1024,1024] F32 of the real file.
  EXPECT_EQ(gpt2.total_bytes(), 124'439'808ull * 4 + 12ull * 1024 * 1024 * 4);
  EXPECT_EQ(model::plan_checkpoint("llama-3.2-1b").parameter_count(), 1'235'814'400);
  EXPECT_EQ(model::plan_checkpoint("llama-3.2-3b").parameter_count(), 3'212'749'824);
  EXPECT_EQ(model::plan_checkpoint("qwen2.5-3b").parameter_count(), 3'085'938'688);
  const auto mistral = model::plan_checkpoint("mistral-7b");
  EXPECT_EQ(mistral.parameter_count(), 7'241'732'096);
  EXPECT_EQ(mistral.dtype, io::DType::BF16);
  EXPECT_EQ(mistral.total_bytes(), 7'241'732'096ull * 2);
}

TEST(MakeCheckpointPlan, RealModelShapesAndConfigs) {
  auto find = [](const model::CheckpointPlan& p, const std::string& n) -> const model::PlannedTensor& {
    for (const auto& t : p.tensors)
      if (t.name == n) return t;
    throw std::runtime_error("no tensor " + n);
  };
  const auto gpt2 = model::plan_checkpoint("gpt2");
  EXPECT_EQ(find(gpt2, "h.11.attn.c_attn.weight").shape, (std::vector<int64_t>{768, 2304}));
  EXPECT_EQ(find(gpt2, "h.0.mlp.c_fc.weight").shape, (std::vector<int64_t>{768, 3072}));
  EXPECT_EQ(find(gpt2, "h.0.attn.bias").shape, (std::vector<int64_t>{1, 1, 1024, 1024}));
  EXPECT_EQ(gpt2.config["n_layer"], 12);
  EXPECT_EQ(gpt2.config["n_positions"], 1024);
  EXPECT_EQ(gpt2.config["vocab_size"], 50257);
  EXPECT_EQ(gpt2.config["torch_dtype"], "float32");

  const auto l1 = model::plan_checkpoint("llama-3.2-1b");
  EXPECT_EQ(find(l1, "model.layers.15.self_attn.k_proj.weight").shape, (std::vector<int64_t>{512, 2048}));
  EXPECT_EQ(l1.config["rope_scaling"]["factor"], 32.0);
  EXPECT_EQ(l1.config["rope_scaling"]["rope_type"], "llama3");
  EXPECT_EQ(l1.config["head_dim"], 64);
  EXPECT_EQ(l1.config["tie_word_embeddings"], true);
  EXPECT_EQ(l1.config["torch_dtype"], "bfloat16");

  const auto l3 = model::plan_checkpoint("llama-3.2-3b");
  EXPECT_EQ(find(l3, "model.layers.27.self_attn.q_proj.weight").shape, (std::vector<int64_t>{3072, 3072}));
  EXPECT_EQ(find(l3, "model.layers.27.self_attn.k_proj.weight").shape, (std::vector<int64_t>{1024, 3072}));

  const auto q = model::plan_checkpoint("qwen2.5-3b");
  EXPECT_EQ(find(q, "model.layers.35.self_attn.k_proj.bias").shape, (std::vector<int64_t>{256}));
  EXPECT_EQ(find(q, "model.layers.0.mlp.down_proj.weight").shape, (std::vector<int64_t>{2048, 11008}));
  EXPECT_EQ(q.config["rope_theta"], 1000000.0);
  EXPECT_EQ(q.config["use_sliding_window"], false);
  EXPECT_EQ(q.config["max_position_embeddings"], 32768);

  const auto m = model::plan_checkpoint("mistral-7b");
  EXPECT_EQ(find(m, "lm_head.weight").shape, (std::vector<int64_t>{32000, 4096}));
  EXPECT_EQ(find(m, "model.layers.31.mlp.up_proj.weight").shape, (std::vector<int64_t>{14336, 4096}));
  EXPECT_EQ(m.config["sliding_window"], 4096);
  EXPECT_EQ(m.config["tie_word_embeddings"], false);
}

TEST(MakeCheckpointPlan, OverridesAndErrors) {
  const auto p = model::plan_checkpoint("llama-3.2-1b", io::DType::F32, 2);
  EXPECT_EQ(p.config["num_hidden_layers"], 2);
  EXPECT_EQ(p.config["torch_dtype"], "float32");
  EXPECT_EQ(p.tensors.size(), 1u + 2 * 9 + 1);
  EXPECT_EQ(model::plan_checkpoint("gpt2", std::nullopt, 1).config["n_layer"], 1);
  EXPECT_EQ(model::plan_checkpoint("qwen2.5-3b", std::nullopt, 3).config["max_window_layers"], 3);
  EXPECT_THROW(model::plan_checkpoint("gpt5"), InputError);
  EXPECT_THROW(model::plan_checkpoint("gpt2", std::nullopt, 0), InputError);
  EXPECT_THROW(model::plan_checkpoint("gpt2", io::DType::I32), InputError);
  EXPECT_THROW(model::parse_checkpoint_dtype("int8"), InputError);
  EXPECT_EQ(model::parse_checkpoint_dtype("BF16"), io::DType::BF16);
  EXPECT_EQ(model::known_checkpoints().size(), 9u);
}

// ---- tiny shapes: identical to the fixtures, tensor by tensor ----

TEST(MakeCheckpointTiny, PlanMatchesFixtureLayout) {
  for (const char* name : kTiny) {
    SCOPED_TRACE(name);
    const auto plan = model::plan_checkpoint(name);
    auto fixture = io::TensorStore::open(fixtures_dir() / name);
    std::set<std::string> expected, got;
    for (const auto& n : fixture->names()) expected.insert(n);
    for (const auto& t : plan.tensors) {
      got.insert(t.name);
      const io::TensorView* f = fixture->find(t.name);
      ASSERT_NE(f, nullptr) << t.name;
      EXPECT_EQ(f->shape, t.shape) << t.name;
      EXPECT_EQ(f->dtype, plan.dtype) << t.name;
    }
    EXPECT_EQ(got, expected);
    EXPECT_EQ(plan.tensors.size(), expected.size());
    // config.json: the same JSON as the fixture's.
    const nlohmann::json fixture_config = io::read_json_file(fixtures_dir() / name / "config.json");
    EXPECT_EQ(nlohmann::json::parse(plan.config.dump()), fixture_config);
  }
}

TEST(MakeCheckpointTiny, WrittenCheckpointMatchesFixture) {
  for (const char* name : kTiny) {
    SCOPED_TRACE(name);
    TempDir dir;
    const auto plan = model::plan_checkpoint(name);
    const auto files = model::write_checkpoint(plan, dir.path, opts(7));
    ASSERT_EQ(files.size(), 2u);
    EXPECT_TRUE(fs::exists(dir.path / "model.safetensors"));
    EXPECT_FALSE(fs::exists(dir.path / "model.safetensors.tmp"));

    io::SafetensorsFile written(dir.path / "model.safetensors");
    io::SafetensorsFile fixture(fixtures_dir() / name / "model.safetensors");
    EXPECT_EQ(written.names(), fixture.names());
    for (const auto& n : fixture.names()) {
      const auto& a = written.at(n);
      const auto& b = fixture.at(n);
      EXPECT_EQ(a.shape, b.shape) << n;
      EXPECT_EQ(a.dtype, b.dtype) << n;
      EXPECT_EQ(a.nbytes, b.nbytes) << n;
    }
    EXPECT_EQ(io::read_json_file(dir.path / "config.json"),
              io::read_json_file(fixtures_dir() / name / "config.json"));

    // The model loader takes it and reads the same configuration as from the fixture.
    auto mine = model::Model::open(dir.path);
    auto ref = model::Model::open(fixtures_dir() / name);
    const auto& c = mine->config();
    const auto& r = ref->config();
    EXPECT_EQ(c.family, r.family);
    EXPECT_EQ(c.architecture, r.architecture);
    EXPECT_EQ(c.n_layers, r.n_layers);
    EXPECT_EQ(c.n_heads, r.n_heads);
    EXPECT_EQ(c.n_kv_heads, r.n_kv_heads);
    EXPECT_EQ(c.hidden, r.hidden);
    EXPECT_EQ(c.head_dim, r.head_dim);
    EXPECT_EQ(c.intermediate, r.intermediate);
    EXPECT_EQ(c.vocab_size, r.vocab_size);
    EXPECT_EQ(c.max_positions, r.max_positions);
    EXPECT_EQ(c.norm_eps, r.norm_eps);
    EXPECT_EQ(c.rope_theta, r.rope_theta);
    EXPECT_EQ(c.rope_scaling.enabled, r.rope_scaling.enabled);
    EXPECT_EQ(c.rope_scaling.factor, r.rope_scaling.factor);
    EXPECT_EQ(c.qkv_bias, r.qkv_bias);
    EXPECT_EQ(c.tie_embeddings, r.tie_embeddings);
    EXPECT_EQ(c.sliding_window, r.sliding_window);
    EXPECT_EQ(c.storage_dtype, r.storage_dtype);
    EXPECT_EQ(mine->checkpoint_bytes(), ref->checkpoint_bytes());
  }
}

TEST(MakeCheckpointTiny, ValuesFollowTheInitRules) {
  TempDir dir;
  const auto plan = model::plan_checkpoint("tiny-gpt2");
  model::write_checkpoint(plan, dir.path, opts(3));
  io::SafetensorsFile f(dir.path / "model.safetensors");

  auto values = [&](const std::string& n) {
    std::vector<float> v(static_cast<std::size_t>(f.at(n).numel()));
    io::convert_to(f.at(n), v);
    return v;
  };
  for (float x : values("h.1.ln_2.weight")) ASSERT_EQ(x, 1.0f);
  for (float x : values("h.1.ln_2.bias")) ASSERT_EQ(x, 0.0f);
  for (float x : values("ln_f.weight")) ASSERT_EQ(x, 1.0f);
  // The causal-mask buffer is the lower-triangular ones matrix.
  const auto mask = values("h.0.attn.bias");
  for (int i = 0; i < 128; ++i)
    for (int j = 0; j < 128; ++j) ASSERT_EQ(mask[i * 128 + j], j <= i ? 1.0f : 0.0f) << i << "," << j;

  // Weights: exactly the generator's values; sample mean ~ 0, std ~ 0.02.
  const auto wte = values("wte.weight");
  const uint64_t key = model::tensor_key(3, "wte.weight");
  double s = 0, s2 = 0;
  for (std::size_t i = 0; i < wte.size(); ++i) {
    ASSERT_EQ(wte[i], static_cast<float>(0.02 * model::standard_normal_at(key, i))) << i;
    s += wte[i];
    s2 += double(wte[i]) * wte[i];
  }
  const double n = double(wte.size()), mean = s / n, sd = std::sqrt(s2 / n - mean * mean);
  EXPECT_NEAR(mean, 0.0, 4 * 0.02 / std::sqrt(n));  // 19200 samples: 4 standard errors
  EXPECT_NEAR(sd, 0.02, 0.02 * 0.03);
  // Biases are random too (not zero).
  const auto b = values("h.0.attn.c_attn.bias");
  EXPECT_GT(*std::max_element(b.begin(), b.end()), 0.01f);
}

TEST(MakeCheckpointTiny, StandardNormalMoments) {
  const uint64_t key = model::tensor_key(1, "x");
  const int n = 200000;
  double s = 0, s2 = 0, s4 = 0;
  for (int i = 0; i < n; ++i) {
    const double z = model::standard_normal_at(key, i);
    s += z;
    s2 += z * z;
    s4 += z * z * z * z;
  }
  EXPECT_NEAR(s / n, 0.0, 4.0 / std::sqrt(n));
  EXPECT_NEAR(s2 / n, 1.0, 4.0 * std::sqrt(2.0 / n));
  EXPECT_NEAR(s4 / n, 3.0, 0.1);  // kurtosis of a normal
  EXPECT_NE(model::tensor_key(1, "x"), model::tensor_key(2, "x"));
  EXPECT_NE(model::tensor_key(1, "x"), model::tensor_key(1, "y"));
}

TEST(MakeCheckpointTiny, DeterministicAndIndependentOfChunkingAndThreads) {
  TempDir a, b, c, d;
  const auto plan = model::plan_checkpoint("tiny-llama");
  model::write_checkpoint(plan, a.path, opts(11));
  model::write_checkpoint(plan, b.path, opts(11, 5'000'000'000, 24, 1));
  model::write_checkpoint(plan, c.path, opts(11, 5'000'000'000, 1000, 3));
  model::write_checkpoint(plan, d.path, opts(12));
  const std::string ba = read_bytes(a.path / "model.safetensors");
  EXPECT_EQ(ba, read_bytes(b.path / "model.safetensors"));
  EXPECT_EQ(ba, read_bytes(c.path / "model.safetensors"));
  EXPECT_NE(ba, read_bytes(d.path / "model.safetensors"));
  EXPECT_EQ(read_bytes(a.path / "config.json"), read_bytes(d.path / "config.json"));
  // Large tensors go through the threaded path: same bytes with 1 and 2 threads.
  const auto big = model::plan_checkpoint("llama-3.2-1b", io::DType::BF16, 1);
  // Only the first few tensors matter; a 1-layer 1B is still 0.6 GB, so compare the generator directly.
  const auto& t = big.tensors[2];  // q_proj of layer 0 (after embed, input_layernorm)
  ASSERT_EQ(t.name, "model.layers.0.self_attn.q_proj.weight");
  std::vector<float> whole(1 << 17), parts(1 << 17);
  model::fill_values(t, 5, 1000, whole);
  model::fill_values(t, 5, 1000, std::span<float>(parts).first(777));
  model::fill_values(t, 5, 1777, std::span<float>(parts).subspan(777));
  EXPECT_EQ(whole, parts);
}

TEST(MakeCheckpointTiny, ShardedCheckpointOpens) {
  TempDir single, sharded;
  const auto plan = model::plan_checkpoint("tiny-llama");
  model::write_checkpoint(plan, single.path, opts(2));
  const auto files = model::write_checkpoint(plan, sharded.path, opts(2, 60000));
  // 248192 bytes in shards of at most 60000 (the embedding alone is 38400).
  ASSERT_GE(files.size(), 6u);
  EXPECT_EQ(files.back().filename(), "config.json");
  EXPECT_EQ(files[files.size() - 2].filename(), "model.safetensors.index.json");
  const int n_shards = static_cast<int>(files.size()) - 2;
  EXPECT_EQ(files[0].filename(), io::shard_file_name(1, n_shards));
  EXPECT_FALSE(fs::exists(sharded.path / "model.safetensors"));

  const nlohmann::json index = io::read_json_file(sharded.path / "model.safetensors.index.json");
  EXPECT_EQ(index["metadata"]["total_size"], plan.total_bytes());
  EXPECT_EQ(index["weight_map"].size(), plan.tensors.size());

  auto store = io::TensorStore::open(sharded.path);
  io::SafetensorsFile ref(single.path / "model.safetensors");
  EXPECT_EQ(store->names(), ref.names());
  EXPECT_EQ(store->files().size(), static_cast<std::size_t>(n_shards));
  EXPECT_EQ(store->total_bytes(), plan.total_bytes());
  for (const auto& n : ref.names()) {
    const auto& a = store->at(n);
    const auto& b = ref.at(n);
    ASSERT_EQ(a.nbytes, b.nbytes);
    EXPECT_EQ(std::memcmp(a.data, b.data, a.nbytes), 0) << n;
  }
  for (int k = 1; k <= n_shards; ++k)
    EXPECT_LE(fs::file_size(sharded.path / io::shard_file_name(k, n_shards)), 60000u + 4096);
  auto m = model::Model::open(sharded.path);
  EXPECT_EQ(m->config().n_layers, 3);

  // Writing the unsharded layout into the same folder removes the stale shards and index.
  model::write_checkpoint(plan, sharded.path, opts(2));
  EXPECT_FALSE(fs::exists(sharded.path / "model.safetensors.index.json"));
  EXPECT_FALSE(fs::exists(sharded.path / io::shard_file_name(1, n_shards)));
  EXPECT_EQ(read_bytes(sharded.path / "model.safetensors"), read_bytes(single.path / "model.safetensors"));
}

// ---- the streaming writer ----

TEST(SafetensorsStream, RoundTripInOddChunks) {
  TempDir dir;
  std::vector<io::TensorSpec> specs = {{"b", io::DType::F32, {3, 5}},
                                       {"a", io::DType::BF16, {7}},
                                       {"scalar", io::DType::F64, {}},
                                       {"empty", io::DType::F32, {0, 4}}};
  std::vector<float> b(15);
  for (int i = 0; i < 15; ++i) b[i] = 0.5f * i - 3;
  std::vector<uint16_t> a(7);
  for (int i = 0; i < 7; ++i) a[i] = io::float_to_bf16(float(i) / 8);
  const double scalar = 2.718281828459045;
  std::string blob(reinterpret_cast<const char*>(b.data()), 60);
  blob.append(reinterpret_cast<const char*>(a.data()), 14);
  blob.append(reinterpret_cast<const char*>(&scalar), 8);

  const fs::path path = dir.path / "x.safetensors";
  {
    io::SafetensorsStreamWriter w(path, specs, {{"format", "pt"}, {"note", "hi"}});
    EXPECT_EQ(w.data_bytes(), blob.size());
    for (std::size_t off = 0; off < blob.size(); off += 5) {
      const std::size_t n = std::min<std::size_t>(5, blob.size() - off);
      w.append(std::as_bytes(std::span<const char>(blob.data() + off, n)));
    }
    EXPECT_FALSE(fs::exists(path));
    w.commit();
  }
  EXPECT_FALSE(fs::exists(dir.path / "x.safetensors.tmp"));
  const std::string raw = read_bytes(path);
  uint64_t hlen = 0;
  std::memcpy(&hlen, raw.data(), 8);
  EXPECT_EQ(hlen % 8, 0u);  // data starts 8-byte aligned
  EXPECT_EQ(raw.size(), 8 + hlen + blob.size());

  io::SafetensorsFile f(path);
  EXPECT_EQ(f.names(), (std::vector<std::string>{"a", "b", "empty", "scalar"}));
  EXPECT_EQ(f.metadata().at("note"), "hi");
  std::vector<float> bb(15);
  io::convert_to(f.at("b"), bb);
  EXPECT_EQ(bb, b);
  std::vector<float> aa(7);
  io::convert_to(f.at("a"), aa);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(aa[i], float(i) / 8);
  std::vector<double> ss(1);
  io::convert_to(f.at("scalar"), ss);
  EXPECT_EQ(ss[0], scalar);
  EXPECT_EQ(f.at("empty").nbytes, 0u);
}

TEST(SafetensorsStream, IncompleteOrOverfullWritesLeaveNoFile) {
  TempDir dir;
  const fs::path path = dir.path / "y.safetensors";
  std::vector<io::TensorSpec> specs = {{"t", io::DType::F32, {4}}};
  std::vector<std::byte> bytes(20);
  {
    io::SafetensorsStreamWriter w(path, specs);
    w.append(std::span(bytes).first(8));
    EXPECT_TRUE(fs::exists(dir.path / "y.safetensors.tmp"));
    EXPECT_THROW(w.commit(), InputError);
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(dir.path / "y.safetensors.tmp"));
  {
    io::SafetensorsStreamWriter w(path, specs);
    EXPECT_THROW(w.append(bytes), InputError);
  }
  {
    io::SafetensorsStreamWriter w(path, specs);
    w.append(std::span(bytes).first(16));
    // destroyed without commit
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(dir.path / "y.safetensors.tmp"));
  std::vector<io::TensorSpec> dup = {{"t", io::DType::F32, {1}}, {"t", io::DType::F32, {1}}};
  EXPECT_THROW(io::SafetensorsStreamWriter(path, dup), InputError);
  EXPECT_THROW(io::SafetensorsStreamWriter(dir.path / "no" / "such" / "dir.safetensors", specs), InputError);
}

TEST(SafetensorsStream, ShardPlanning) {
  std::vector<io::TensorSpec> specs = {{"a", io::DType::F32, {10}},   // 40
                                       {"b", io::DType::F32, {10}},   // 40
                                       {"c", io::DType::F32, {30}},   // 120 > max: own shard
                                       {"d", io::DType::F32, {5}},    // 20
                                       {"e", io::DType::F32, {15}}};  // 60
  const auto shards = io::plan_shards(specs, 100);
  ASSERT_EQ(shards.size(), 3u);
  EXPECT_EQ(shards[0], (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(shards[1], (std::vector<std::size_t>{2}));
  EXPECT_EQ(shards[2], (std::vector<std::size_t>{3, 4}));
  EXPECT_EQ(io::plan_shards(specs, 1000).size(), 1u);
  EXPECT_EQ(io::shard_file_name(3, 12), "model-00003-of-00012.safetensors");
}

}  // namespace
