// Forward pass vs the float64 goldens of every fixture and model: per layer, Q and K
// within 1e-4 relative Frobenius error; attention weights vs golden weight_sv.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>

#include "io/error.h"
#include "io/json_file.h"
#include "io/safetensors.h"
#include "model/model.h"
#include "model/rope.h"
#include "spectra/field_spectrum.h"
#include "spectra/weight_spectrum.h"
#include "test_data.h"

namespace fs = std::filesystem;
using namespace logitrank;
using logitrank::model::LayerQK;
using logitrank::model::Model;

namespace {

fs::path data() { return logitrank::testing::data_dir(); }

std::vector<int32_t> read_ids(const fs::path& dir) {
  auto j = io::read_json_file(dir / "input_ids.json");
  std::vector<int32_t> ids;
  for (const auto& v : j) ids.push_back(v.get<int32_t>());
  return ids;
}

std::vector<double> golden(const io::SafetensorsFile& g, const std::string& name) {
  const auto& t = g.at(name);
  std::vector<double> v(static_cast<std::size_t>(t.numel()));
  io::convert_to(t, v);
  return v;
}

double rel_err(const std::vector<double>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return std::sqrt(num / den);
}

std::vector<LayerQK> run_all(Model& m, const std::vector<int32_t>& ids) {
  std::vector<int> layers(static_cast<std::size_t>(m.config().n_layers));
  std::iota(layers.begin(), layers.end(), 0);
  std::vector<LayerQK> out;
  m.forward_qk(ids, layers, [&](const LayerQK& qk) { out.push_back(qk); });
  return out;
}

// Q/K of every layer vs golden.safetensors; tolerance 1e-4 relative Frobenius per layer.
void check_against_golden(const fs::path& dir, const fs::path& model_path) {
  ASSERT_TRUE(fs::exists(dir / "golden.safetensors")) << dir;
  auto m = Model::open(model_path);
  const auto ids = read_ids(dir);
  io::SafetensorsFile g(dir / "golden.safetensors");
  const auto qks = run_all(*m, ids);
  ASSERT_EQ(static_cast<int>(qks.size()), m->config().n_layers);
  double max_q = 0, max_k = 0;
  for (const auto& qk : qks) {
    const std::string l = "layer." + std::to_string(qk.layer);
    const auto gq = golden(g, l + ".q"), gk = golden(g, l + ".k");
    ASSERT_EQ(qk.q.size(), gq.size()) << dir << " " << l;
    ASSERT_EQ(qk.k.size(), gk.size()) << dir << " " << l;
    const double eq = rel_err(qk.q, gq), ek = rel_err(qk.k, gk);
    EXPECT_LE(eq, 1e-4) << dir << " " << l << ".q";  // float32 forward vs float64 golden
    EXPECT_LE(ek, 1e-4) << dir << " " << l << ".k";
    max_q = std::max(max_q, eq);
    max_k = std::max(max_k, ek);
  }
  std::printf("[ forward ] %-60s layers %d  max rel err Q %.3e  K %.3e  (tol 1e-4)\n",
              model_path.string().c_str(), m->config().n_layers, max_q, max_k);
}

// attention_weights vs golden weight_sv (float64 from the same stored weights: 1e-9 relative).
void check_weights(const fs::path& dir) {
  auto m = Model::open(dir);
  io::SafetensorsFile g(dir / "golden.safetensors");
  double worst = 0;
  for (int l = 0; l < m->config().n_layers; ++l) {
    const auto aw = m->attention_weights(l);
    const auto gsv = golden(g, "layer." + std::to_string(l) + ".weight_sv");
    for (int h = 0; h < aw.n_heads; ++h) {
      const int kv = h / (aw.n_heads / aw.n_kv_heads);
      const auto sv = spectra::weight_sv(aw.wq_head(h), aw.wk_head(kv), aw.head_dim, aw.hidden);
      ASSERT_EQ(static_cast<int>(sv.size()), aw.head_dim);
      const double s1 = gsv[static_cast<std::size_t>(h) * aw.head_dim];
      for (int i = 0; i < aw.head_dim; ++i) {
        const double diff = std::abs(sv[i] - gsv[static_cast<std::size_t>(h) * aw.head_dim + i]);
        worst = std::max(worst, diff / s1);
        ASSERT_LE(diff, 1e-9 * s1) << dir << " layer " << l << " head " << h << " sv " << i;
      }
    }
  }
  std::printf("[ weights ] %-60s max |sv - golden| / sv1 = %.3e  (tol 1e-9)\n", dir.string().c_str(), worst);
}

}  // namespace

TEST(Forward, TinyGpt2) {
  check_against_golden(data() / "fixtures/tiny-gpt2", data() / "fixtures/tiny-gpt2");
}
TEST(Forward, TinyLlama) {
  check_against_golden(data() / "fixtures/tiny-llama", data() / "fixtures/tiny-llama");
}
TEST(Forward, TinyLlamaSharded) {
  check_against_golden(data() / "fixtures/tiny-llama-sharded", data() / "fixtures/tiny-llama-sharded");
}
TEST(Forward, TinyQwen2) {
  check_against_golden(data() / "fixtures/tiny-qwen2", data() / "fixtures/tiny-qwen2");
}
TEST(Forward, TinyMistral) {
  check_against_golden(data() / "fixtures/tiny-mistral", data() / "fixtures/tiny-mistral");
}
TEST(Forward, Stories260KHf) {
  check_against_golden(data() / "models/stories260K-hf", data() / "models/stories260K-hf");
}
TEST(Forward, GutenbergGpt2Mini) {
  check_against_golden(data() / "models/gutenberg-gpt2-mini", data() / "models/gutenberg-gpt2-mini");
}
TEST(Forward, GutenbergLlamaMini) {
  check_against_golden(data() / "models/gutenberg-llama-mini", data() / "models/gutenberg-llama-mini");
}
// The .bin's q/k rows are permuted into the rotate_half basis at load, so its Q/K match
// the HF conversion's golden directly.
TEST(Forward, Stories260KBinMatchesHfGolden) {
  check_against_golden(data() / "models/stories260K-hf", data() / "models/stories260K/stories260K.bin");
}

TEST(Weights, EveryFixtureMatchesGoldenWeightSpectra) {
  for (const char* d : {"fixtures/tiny-gpt2", "fixtures/tiny-llama", "fixtures/tiny-llama-sharded",
                        "fixtures/tiny-qwen2", "fixtures/tiny-mistral", "models/stories260K-hf",
                        "models/gutenberg-gpt2-mini", "models/gutenberg-llama-mini"})
    check_weights(data() / d);
}

TEST(Weights, GptBlocksAreTransposedConv1DColumns) {
  auto m = Model::open(data() / "fixtures/tiny-gpt2");
  const auto aw = m->attention_weights(1);
  io::SafetensorsFile f(data() / "fixtures/tiny-gpt2/model.safetensors");
  const auto w = golden(f, "h.1.attn.c_attn.weight");  // [d, 3d]
  const int d = aw.hidden, dh = aw.head_dim;
  for (int h = 0; h < aw.n_heads; ++h)
    for (int r = 0; r < dh; ++r)
      for (int c = 0; c < d; ++c) {
        ASSERT_EQ(aw.wq_head(h)[static_cast<std::size_t>(r) * d + c],
                  w[static_cast<std::size_t>(c) * 3 * d + h * dh + r]);
        ASSERT_EQ(aw.wk_head(h)[static_cast<std::size_t>(r) * d + c],
                  w[static_cast<std::size_t>(c) * 3 * d + d + h * dh + r]);
      }
}

TEST(Forward, ShardedBitIdenticalToSingle) {
  auto a = Model::open(data() / "fixtures/tiny-llama");
  auto b = Model::open(data() / "fixtures/tiny-llama-sharded");
  const auto ids = read_ids(data() / "fixtures/tiny-llama");
  const auto qa = run_all(*a, ids), qb = run_all(*b, ids);
  ASSERT_EQ(qa.size(), 3u);
  ASSERT_EQ(qa.size(), qb.size());
  for (std::size_t l = 0; l < qa.size(); ++l) {
    EXPECT_EQ(qa[l].q, qb[l].q) << "layer " << l;
    EXPECT_EQ(qa[l].k, qb[l].k) << "layer " << l;
  }
  EXPECT_EQ(b->files().size(), 4u);  // config, index, two shards
}

TEST(Forward, SubsetOfLayersAndRepeatedCalls) {
  auto m = Model::open(data() / "models/gutenberg-llama-mini");
  const auto ids = read_ids(data() / "models/gutenberg-llama-mini");
  const auto all = run_all(*m, ids);
  std::vector<int> layers = {1, 3};
  std::vector<int> seen;
  std::vector<LayerQK> got;
  m->forward_qk(ids, layers, [&](const LayerQK& qk) {
    seen.push_back(qk.layer);
    got.push_back(qk);
  });
  ASSERT_EQ(seen, layers);
  EXPECT_EQ(got[0].q, all[1].q);
  EXPECT_EQ(got[1].k, all[3].k);
  // a shorter window afterwards (buffers are reused) equals a fresh model's result
  std::vector<int32_t> short_ids(ids.begin(), ids.begin() + 17);
  std::vector<LayerQK> s1, s2;
  std::vector<int> l2 = {2};
  m->forward_qk(short_ids, l2, [&](const LayerQK& qk) { s1.push_back(qk); });
  auto fresh = Model::open(data() / "models/gutenberg-llama-mini");
  fresh->forward_qk(short_ids, l2, [&](const LayerQK& qk) { s2.push_back(qk); });
  ASSERT_EQ(s1.size(), 1u);
  EXPECT_EQ(s1[0].q, s2[0].q);
  EXPECT_EQ(s1[0].seq_len, 17);
  // causality: Q/K of the first 17 positions equal those of the full window
  for (int h = 0; h < all[2].n_heads; ++h)
    for (int p = 0; p < 17; ++p)
      for (int i = 0; i < all[2].head_dim; ++i)
        EXPECT_NEAR(s1[0].q_head(h)[static_cast<std::size_t>(p) * all[2].head_dim + i],
                    all[2].q_head(h)[static_cast<std::size_t>(p) * all[2].head_dim + i], 1e-5);
}

TEST(Forward, BadIdsAndLayers) {
  auto m = Model::open(data() / "fixtures/tiny-gpt2");
  auto sink = [](const LayerQK&) {};
  std::vector<int> l0 = {0};
  std::vector<int32_t> bad = {1, 2, 300};
  EXPECT_THROW(m->forward_qk(bad, l0, sink), InputError);
  std::vector<int32_t> neg = {-1};
  EXPECT_THROW(m->forward_qk(neg, l0, sink), InputError);
  std::vector<int32_t> too_long(129, 1);  // n_positions 128
  EXPECT_THROW(m->forward_qk(too_long, l0, sink), InputError);
  std::vector<int32_t> ok = {1, 2};
  std::vector<int> l5 = {5};
  EXPECT_THROW(m->forward_qk(ok, l5, sink), InputError);
  std::vector<int> unsorted = {1, 0};
  EXPECT_THROW(m->forward_qk(ok, unsorted, sink), InputError);
  EXPECT_THROW(m->attention_weights(2), InputError);
  std::vector<int32_t> empty;
  EXPECT_THROW(m->forward_qk(empty, l0, sink), InputError);
}

TEST(Rope, Llama3InvFreqMatchesFixtureReadme) {
  model::RopeScaling rs;
  rs.enabled = true;
  rs.factor = 8;
  rs.low_freq_factor = 1;
  rs.high_freq_factor = 4;
  rs.original_max_position_embeddings = 8192;
  const auto f = model::detail::rope_inv_freq(500000.0, 8, rs);
  const double expect[] = {1.0, 0.03760603093086393, 0.0005248461609929547, 6.647869871181236e-06};
  ASSERT_EQ(f.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(f[i], expect[i], 1e-15 * expect[i]) << i;
}

TEST(Config, FieldsOfEachFamily) {
  {
    auto m = Model::open(data() / "fixtures/tiny-gpt2");
    const auto& c = m->config();
    EXPECT_EQ(c.family, model::Family::GPT2);
    EXPECT_EQ(model::family_name(c.family), "gpt2");
    EXPECT_EQ(c.n_layers, 2);
    EXPECT_EQ(c.head_dim, 16);
    EXPECT_EQ(c.intermediate, 256);
    EXPECT_EQ(c.max_positions, 128);
    EXPECT_TRUE(c.qkv_bias);
    EXPECT_EQ(c.storage_dtype, "F32");
    EXPECT_EQ(m->default_name(), "tiny-gpt2");
    EXPECT_EQ(Model::open(data().string() + "/fixtures/tiny-gpt2/")->default_name(), "tiny-gpt2");
    EXPECT_EQ(Model::open(data() / "fixtures/tiny-gpt2/config.json")->default_name(), "tiny-gpt2");
    EXPECT_THROW(Model::open(data() / "fixtures/tiny-gpt2/model.safetensors"), InputError);
    EXPECT_TRUE(m->default_tokenizer().empty());
    const auto files = m->files();
    ASSERT_EQ(files.size(), 2u);  // config.json, model.safetensors
    EXPECT_EQ(files[0].filename(), "config.json");
    EXPECT_EQ(m->checkpoint_bytes(), fs::file_size(data() / "fixtures/tiny-gpt2/model.safetensors"));
  }
  {
    auto m = Model::open(data() / "fixtures/tiny-llama");
    const auto& c = m->config();
    EXPECT_EQ(c.family, model::Family::Llama);
    EXPECT_EQ(c.n_kv_heads, 2);
    EXPECT_TRUE(c.rope_scaling.enabled);
    EXPECT_EQ(c.rope_scaling.factor, 8);
    EXPECT_EQ(c.rope_theta, 500000);
    EXPECT_TRUE(c.tie_embeddings);
    EXPECT_EQ(c.storage_dtype, "BF16");
  }
  {
    auto m = Model::open(data() / "fixtures/tiny-qwen2");
    EXPECT_EQ(m->config().family, model::Family::Qwen2);
    EXPECT_TRUE(m->config().qkv_bias);
    EXPECT_EQ(m->config().sliding_window, 0);
    EXPECT_EQ(m->config().norm_eps, 1e-6);
  }
  {
    auto m = Model::open(data() / "fixtures/tiny-mistral");
    EXPECT_EQ(m->config().family, model::Family::Mistral);
    EXPECT_EQ(m->config().sliding_window, 4096);
    EXPECT_EQ(m->config().storage_dtype, "F16");
    EXPECT_FALSE(m->config().tie_embeddings);
  }
  {
    auto m = Model::open(data() / "models/gutenberg-llama-mini");
    EXPECT_EQ(m->config().head_dim, 16);
    EXPECT_EQ(m->default_tokenizer(), data() / "models/gutenberg-llama-mini/tokenizer.json");
  }
  {
    auto m = Model::open(data() / "models/stories260K/stories260K.bin");
    const auto& c = m->config();
    EXPECT_EQ(c.architecture, "llama2.c");
    EXPECT_EQ(c.n_layers, 5);
    EXPECT_EQ(c.n_heads, 8);
    EXPECT_EQ(c.n_kv_heads, 4);
    EXPECT_EQ(c.hidden, 64);
    EXPECT_EQ(c.head_dim, 8);
    EXPECT_EQ(c.intermediate, 172);
    EXPECT_EQ(c.vocab_size, 512);
    EXPECT_EQ(c.max_positions, 512);
    EXPECT_TRUE(c.tie_embeddings);
    EXPECT_EQ(m->default_name(), "stories260K");
    EXPECT_EQ(m->checkpoint_bytes(), 1056540u);
  }
}

// stories260K.bin vs stories260K-hf: the same field singular values (basis-invariant).
TEST(Llama2c, SameFieldSpectraAsHfConversion) {
  auto bin = Model::open(data() / "models/stories260K/stories260K.bin");
  auto hf = Model::open(data() / "models/stories260K-hf");
  const auto ids = read_ids(data() / "models/stories260K-hf");
  const auto a = run_all(*bin, ids), b = run_all(*hf, ids);
  ASSERT_EQ(a.size(), 5u);
  double worst = 0;
  for (std::size_t l = 0; l < a.size(); ++l)
    for (int h = 0; h < a[l].n_heads; ++h) {
      const int g = a[l].kv_of(h);
      const auto sa = spectra::field_sv_factored(a[l].q_head(h), a[l].k_head(g), a[l].seq_len, a[l].head_dim);
      const auto sb = spectra::field_sv_factored(b[l].q_head(h), b[l].k_head(g), b[l].seq_len, b[l].head_dim);
      ASSERT_EQ(sa.size(), sb.size());
      for (std::size_t i = 0; i < sa.size(); ++i) {
        const double r = std::abs(sa[i] - sb[i]) / sb[0];
        worst = std::max(worst, r);
        EXPECT_LE(r, 1e-4) << "layer " << l << " head " << h << " sv " << i;  // two float32 forwards
      }
    }
  std::printf("[ llama2c ] field singular values .bin vs -hf: max |diff| / sv1 = %.3e (tol 1e-4)\n", worst);
}

// Pre-softmax scores q_p . k_t / sqrt(8) from llama2.c's own run.c, positions 0..31.
TEST(Llama2c, MatchesRunCAttentionScores) {
  const auto j = io::read_json_file(data() / "golden/stories260K_run_c.json");
  std::vector<int32_t> ids;
  for (const auto& v : j["input_tokens"]) ids.push_back(v.get<int32_t>());
  for (const char* path : {"models/stories260K/stories260K.bin", "models/stories260K-hf"}) {
    auto m = Model::open(data() / path);
    const auto qks = run_all(*m, ids);
    const int dh = m->config().head_dim;
    double worst = 0, max_abs = 0;
    int checked = 0;
    for (const auto& a : j["attention"]) {
      const int l = a["layer"].get<int>(), h = a["head"].get<int>(), g = a["kv_head"].get<int>();
      ASSERT_EQ(g, qks[l].kv_of(h));
      const auto q = qks[l].q_head(h), k = qks[l].k_head(g);
      const auto& scores = a["scores"];
      for (std::size_t p = 0; p < scores.size(); ++p)
        for (std::size_t t = 0; t <= p; ++t) {
          double s = 0;
          for (int i = 0; i < dh; ++i) s += q[p * dh + i] * k[t * dh + i];
          s /= std::sqrt(static_cast<double>(dh));
          const double ref = scores[p][t].get<double>();
          worst = std::max(worst, std::abs(s - ref));
          max_abs = std::max(max_abs, std::abs(ref));
          ++checked;
        }
    }
    ASSERT_GT(checked, 1000);
    // both sides float32: 1e-4 relative to the largest score
    EXPECT_LE(worst, 1e-4 * max_abs) << path;
    std::printf("[ run.c   ] %s: %d scores, max |diff| %.3e (max |score| %.2f, tol 1e-4 relative)\n", path,
                checked, worst, max_abs);
  }
}

// Windows longer than the attention's 256-row blocks: by causality the first 128
// positions must still match the golden (computed on those 128 tokens alone).
TEST(Forward, LongWindowPrefixMatchesGolden) {
  for (const char* name : {"models/gutenberg-gpt2-mini", "models/gutenberg-llama-mini"}) {
    const fs::path dir = data() / name;
    auto m = Model::open(dir);
    auto ids = read_ids(dir);
    const int L0 = static_cast<int>(ids.size());
    ASSERT_EQ(L0, 128);
    for (int i = 0; i < 600 - L0; ++i) ids.push_back(ids[static_cast<std::size_t>(i * 7 % L0)]);
    if (m->config().family == model::Family::GPT2)
      ids.resize(static_cast<std::size_t>(m->config().max_positions));
    const auto qks = run_all(*m, ids);
    io::SafetensorsFile g(dir / "golden.safetensors");
    double worst = 0;
    for (const auto& qk : qks) {
      const std::string l = "layer." + std::to_string(qk.layer);
      for (const char* which : {"q", "k"}) {
        const auto gv = golden(g, l + "." + which);
        const int nh = which[0] == 'q' ? qk.n_heads : qk.n_kv_heads;
        std::vector<double> prefix;
        for (int h = 0; h < nh; ++h) {
          const auto v = which[0] == 'q' ? qk.q_head(h) : qk.k_head(h);
          prefix.insert(prefix.end(), v.begin(), v.begin() + static_cast<std::ptrdiff_t>(L0) * qk.head_dim);
        }
        const double e = rel_err(prefix, gv);
        worst = std::max(worst, e);
        EXPECT_LE(e, 1e-4) << name << " " << l << "." << which;  // float32 vs float64 golden
      }
    }
    std::printf("[ long    ] %s L=%zu: first %d positions vs golden, max rel err %.3e (tol 1e-4)\n", name,
                ids.size(), L0, worst);
  }
}
