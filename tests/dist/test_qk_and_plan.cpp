#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "dist/qk_source.h"
#include "dist/record_serialization.h"
#include "dist/run_config.h"
#include "dist/unit_compute.h"
#include "dist/unit_store.h"
#include "dist/work_plan.h"
#include "dist_test_util.h"
#include "io/json_file.h"
#include "test_data.h"

namespace fs = std::filesystem;
using namespace logitrank;
using namespace logitrank::dist;
using logitrank::testing::error_of;
using logitrank::testing::QkSpec;
using logitrank::testing::temp_dir;
using logitrank::testing::write_qk;

TEST(QkSource, ReadsFixtureGolden) {
  fs::path p = logitrank::testing::fixtures_dir() / "tiny-llama" / "golden.safetensors";
  ASSERT_TRUE(fs::exists(p)) << p;
  QkSource src(p);
  EXPECT_EQ(src.n_layers(), 3);
  EXPECT_EQ(src.n_heads(), 8);
  EXPECT_EQ(src.n_kv_heads(), 2);
  EXPECT_EQ(src.seq_len(), 24);
  EXPECT_EQ(src.head_dim(), 8);
  EXPECT_EQ(src.input_ids().size(), 24u);
  auto qk = src.layer(1);
  EXPECT_EQ(qk.q.size(), 8u * 24 * 8);
  EXPECT_EQ(qk.k.size(), 2u * 24 * 8);
  EXPECT_EQ(qk.kv_of(7), 1);
}

TEST(QkSource, FieldRecordsMatchGolden) {
  // Records computed from the fixture's Q/K reproduce its independent float64 field_sv and k's.
  fs::path dir = logitrank::testing::fixtures_dir() / "tiny-qwen2";
  QkSource src(dir / "golden.safetensors");
  io::SafetensorsFile gold(dir / "golden.safetensors");
  auto golden = io::read_json_file(dir / "golden.json");
  ComputeSettings settings;
  std::size_t checked = 0;
  for (int l = 0; l < src.n_layers(); ++l) {
    const auto& t = gold.at("layer." + std::to_string(l) + ".field_sv");
    std::vector<double> sv(static_cast<std::size_t>(t.numel()));
    io::convert_to(t, std::span<double>(sv));
    for (const char* method : {"factored", "dense"}) {
      auto recs = field_records(src.layer(l), "m", "t", 0, settings, local_field_sv(method));
      ASSERT_EQ(recs.size(), 4u);
      for (const auto& r : recs) {
        ASSERT_EQ(r.sv.size(), 16u);
        const int L = 24;
        for (std::size_t i = 0; i < r.sv.size(); ++i)
          EXPECT_NEAR(r.sv[i], sv[static_cast<std::size_t>(r.head) * L + i], 1e-9 * sv[r.head * L] + 1e-12);
        const auto& gh = golden["heads"][l * 4 + r.head];
        EXPECT_EQ(r.metrics.k90, gh["field"]["k90"].get<int>());
        EXPECT_EQ(r.kv_head, gh["kv_group"].get<int>());
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 2u * 4 * 2);
}

TEST(QkSource, ValidationErrors) {
  fs::path d = temp_dir("qkerr");
  QkSpec s;
  // A layer with q but no k.
  {
    io::SafetensorsWriter w;
    auto q = logitrank::testing::pseudo_random(4 * 12 * 4, 1);
    auto k = logitrank::testing::pseudo_random(2 * 12 * 4, 2);
    w.add_f64("layer.0.q", {4, 12, 4}, q);
    w.add_f64("layer.0.k", {2, 12, 4}, k);
    w.add_f64("layer.1.q", {4, 12, 4}, q);
    w.write(d / "nok.safetensors");
    EXPECT_EQ(error_of([&] { QkSource x(d / "nok.safetensors"); }),
              (d / "nok.safetensors").string() + ": missing tensor layer.1.k (layers 0-1 expected)");
  }
  // A gap in the layers.
  {
    io::SafetensorsWriter w;
    auto q = logitrank::testing::pseudo_random(4 * 12 * 4, 1);
    auto k = logitrank::testing::pseudo_random(2 * 12 * 4, 2);
    for (int l : {0, 2}) {
      w.add_f64("layer." + std::to_string(l) + ".q", {4, 12, 4}, q);
      w.add_f64("layer." + std::to_string(l) + ".k", {2, 12, 4}, k);
    }
    w.write(d / "gap.safetensors");
    EXPECT_EQ(error_of([&] { QkSource x(d / "gap.safetensors"); }),
              (d / "gap.safetensors").string() + ": missing tensor layer.1.q (layers 0-2 expected)");
  }
  // No layers at all.
  {
    io::SafetensorsWriter w;
    std::vector<int64_t> ids{1, 2};
    w.add_i64("input_ids", {2}, ids);
    w.write(d / "none.safetensors");
    EXPECT_NE(error_of([&] { QkSource x(d / "none.safetensors"); }).find("no layer.<l>.q"),
              std::string::npos);
  }
  // q and k disagree on L.
  {
    io::SafetensorsWriter w;
    auto q = logitrank::testing::pseudo_random(4 * 12 * 4, 1);
    auto k = logitrank::testing::pseudo_random(2 * 10 * 4, 2);
    w.add_f64("layer.0.q", {4, 12, 4}, q);
    w.add_f64("layer.0.k", {2, 10, 4}, k);
    w.write(d / "shape.safetensors");
    EXPECT_EQ(error_of([&] { QkSource x(d / "shape.safetensors"); }),
              (d / "shape.safetensors").string() +
                  ": tensor layer.0.k has shape [2, 10, 4] but layer.0.q has shape [4, 12, 4] (L and d_h "
                  "must agree)");
  }
  // Shapes differ across layers.
  {
    io::SafetensorsWriter w;
    auto q = logitrank::testing::pseudo_random(4 * 12 * 4, 1);
    auto q2 = logitrank::testing::pseudo_random(4 * 12 * 8, 1);
    auto k = logitrank::testing::pseudo_random(2 * 12 * 4, 2);
    auto k2 = logitrank::testing::pseudo_random(2 * 12 * 8, 2);
    w.add_f64("layer.0.q", {4, 12, 4}, q);
    w.add_f64("layer.0.k", {2, 12, 4}, k);
    w.add_f64("layer.1.q", {4, 12, 8}, q2);
    w.add_f64("layer.1.k", {2, 12, 8}, k2);
    w.write(d / "layers.safetensors");
    EXPECT_EQ(error_of([&] { QkSource x(d / "layers.safetensors"); }),
              (d / "layers.safetensors").string() +
                  ": tensor layer.1.q has shape [4, 12, 8] but layer.0.q has shape [4, 12, 4]");
  }
  // H not divisible by H_kv.
  {
    QkSpec s3 = s;
    s3.H = 5;
    write_qk(d / "gqa.safetensors", s3);
    EXPECT_EQ(error_of([&] { QkSource x(d / "gqa.safetensors"); }),
              (d / "gqa.safetensors").string() +
                  ": tensor layer.0.q: H = 5 is not divisible by H_kv = 2 (tensor layer.0.k)");
  }
  // NaN in q, Inf in k: the tensor and the first bad index.
  write_qk(d / "nan.safetensors", s, [](int l, std::vector<double>& q, std::vector<double>&) {
    if (l == 1) q[1 * 12 * 4 + 3 * 4 + 2] = std::numeric_limits<double>::quiet_NaN();
  });
  EXPECT_EQ(error_of([&] { QkSource x(d / "nan.safetensors"); }),
            (d / "nan.safetensors").string() + ": tensor layer.1.q has NaN at index [1, 3, 2]");
  write_qk(d / "inf.safetensors", s, [](int l, std::vector<double>&, std::vector<double>& k) {
    if (l == 0) k[5] = -std::numeric_limits<double>::infinity();
  });
  EXPECT_EQ(error_of([&] { QkSource x(d / "inf.safetensors"); }),
            (d / "inf.safetensors").string() + ": tensor layer.0.k has Inf at index [0, 1, 1]");
  // Wrong rank.
  {
    io::SafetensorsWriter w;
    auto q = logitrank::testing::pseudo_random(48, 1);
    w.add_f64("layer.0.q", {48}, q);
    w.add_f64("layer.0.k", {48}, q);
    w.write(d / "rank.safetensors");
    EXPECT_NE(error_of([&] {
                QkSource x(d / "rank.safetensors");
              }).find("tensor layer.0.q has shape [48], expected 3 dimensions"),
              std::string::npos);
  }
  // Missing file.
  EXPECT_EQ(error_of([&] { QkSource x(d / "absent.safetensors"); }),
            (d / "absent.safetensors").string() + ": no such file");
  // A good file passes, F32 too.
  {
    io::SafetensorsWriter w;
    std::vector<float> q(4 * 12 * 4, 0.5f), k(2 * 12 * 4, 0.25f);
    w.add_f32("layer.0.q", {4, 12, 4}, q);
    w.add_f32("layer.0.k", {2, 12, 4}, k);
    w.write(d / "f32.safetensors");
    QkSource ok(d / "f32.safetensors");
    EXPECT_EQ(ok.layer(0).q[7], 0.5);
  }
}

TEST(WorkPlan, QkPlanIsDeterministic) {
  fs::path d = temp_dir("plan");
  fs::path a = d / "alpha" / "first.safetensors";
  fs::path b = d / "beta" / "second.safetensors";
  fs::create_directories(a.parent_path());
  fs::create_directories(b.parent_path());
  write_qk(a, QkSpec{3, 4, 2, 12, 4});
  write_qk(b, QkSpec{2, 2, 2, 10, 4});
  RunConfig cfg;
  cfg.models = {{"", {}, {}, a}, {"", {}, {}, b}};
  cfg.layers = "all";
  WorkPlan p1 = build_plan(cfg);
  WorkPlan p2 = build_plan(cfg);
  ASSERT_EQ(p1.units.size(), 5u);
  std::vector<std::string> ids;
  for (const auto& u : p1.units) ids.push_back(u.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"0000-alpha.first.w0.L0", "0001-alpha.first.w0.L1",
                                           "0002-alpha.first.w0.L2", "0003-beta.second.w0.L0",
                                           "0004-beta.second.w0.L1"}));
  for (std::size_t i = 0; i < p1.units.size(); ++i) {
    EXPECT_EQ(p1.units[i].id, p2.units[i].id);
    EXPECT_EQ(p1.units[i].index, static_cast<int>(i));
    EXPECT_EQ(p1.units[i].kind, UnitKind::QkField);
  }
  EXPECT_EQ(p1.units[3].model, "beta");
  EXPECT_EQ(p1.units[3].text, "second");
  EXPECT_EQ(p1.config_hash, p2.config_hash);
  EXPECT_EQ(p1.inputs["models"].size(), 2u);

  cfg.layers = "1";
  WorkPlan p3 = build_plan(cfg);
  ASSERT_EQ(p3.units.size(), 2u);
  EXPECT_EQ(p3.units[1].id, "0001-beta.second.w0.L1");
  EXPECT_NE(p3.config_hash, p1.config_hash);
  cfg.layers = "2";  // beta has only layers 0-1
  EXPECT_NE(error_of([&] { build_plan(cfg); }).find("layer 2 out of range (the model has 2 layers"),
            std::string::npos);
  cfg.layers = "all";
  cfg.method = "dense";
  EXPECT_NE(build_plan(cfg).config_hash, p1.config_hash);
  // Two sources with the same model name.
  cfg.models = {{"", {}, {}, a}, {"", {}, {}, a}};
  EXPECT_NE(error_of([&] { build_plan(cfg); }).find("model name 'alpha' is used twice"), std::string::npos);
  cfg.models = {};
  EXPECT_NE(error_of([&] { build_plan(cfg); }).find("no input"), std::string::npos);
}

TEST(Serialization, RecordsRoundTrip) {
  FieldRecord f;
  f.model = "gpt2";
  f.text = "dracula";
  f.window = 3;
  f.layer = 11;
  f.head = 7;
  f.kv_head = 1;
  f.head_dim = 64;
  f.seq_len = 1024;
  f.sv = {3.5, 2.25, 1e-300, 0.0};
  f.metrics = {1, 2, 3, 4, 5.5, 6.25, 7.125, 8};
  f.softmax = {{1, 0.5, 0.25, 0.75}, {2, 0.1, 0.2, 0.3}};
  WeightRecord w;
  w.model = "gpt2";
  w.layer = 2;
  w.head = 5;
  w.kv_head = 5;
  w.head_dim = 64;
  w.sv = {9.0, 1.0 / 3.0};
  w.metrics = {8, 7, 6, 5, 4.5, 3.5, 2.5, 1};
  UnitResult r;
  r.index = 42;
  r.id = "0042-x";
  r.fields = {f, f};
  r.fields[1].head = 8;
  r.weights = {w};
  auto back = from_bytes<UnitResult>(to_bytes(r));
  EXPECT_EQ(back.index, 42);
  EXPECT_EQ(back.id, "0042-x");
  ASSERT_EQ(back.fields.size(), 2u);
  const auto& g = back.fields[0];
  EXPECT_EQ(g.model, "gpt2");
  EXPECT_EQ(g.text, "dracula");
  EXPECT_EQ(g.window, 3);
  EXPECT_EQ(g.layer, 11);
  EXPECT_EQ(g.head, 7);
  EXPECT_EQ(g.kv_head, 1);
  EXPECT_EQ(g.head_dim, 64);
  EXPECT_EQ(g.seq_len, 1024);
  EXPECT_EQ(g.sv, f.sv);  // bit-exact
  EXPECT_EQ(g.metrics.k99, 4);
  EXPECT_EQ(g.metrics.stable_rank, 7.125);
  EXPECT_EQ(g.metrics.numerical_rank, 8);
  ASSERT_EQ(g.softmax.size(), 2u);
  EXPECT_EQ(g.softmax[1].bound_full, 0.3);
  EXPECT_EQ(back.fields[1].head, 8);
  ASSERT_EQ(back.weights.size(), 1u);
  EXPECT_EQ(back.weights[0].sv[1], 1.0 / 3.0);
  EXPECT_EQ(back.weights[0].metrics.erank, 4.5);

  Unit u;
  u.index = 3;
  u.id = "0003-m.t.w2";
  u.kind = UnitKind::ModelField;
  u.layers = {0, 5};
  u.ids = {1, 2, 3};
  u.settings.method = "dense";
  u.settings.softmax_ranks = {1, 4};
  auto ub = from_bytes<Unit>(to_bytes(u));
  EXPECT_EQ(ub.kind, UnitKind::ModelField);
  EXPECT_EQ(ub.layers, u.layers);
  EXPECT_EQ(ub.ids, u.ids);
  EXPECT_EQ(ub.settings.method, "dense");
  EXPECT_EQ(ub.settings.softmax_ranks, u.settings.softmax_ranks);
  EXPECT_ANY_THROW(from_bytes<UnitResult>(std::string("\x01\x02", 2)));
}

TEST(UnitStore, SaveLoadResumeAndMismatch) {
  fs::path d = temp_dir("store");
  UnitStore s(d, "hash-a");
  s.open(false);
  UnitResult r;
  r.index = 1;
  r.id = "0001-a.b.w0.L1";
  r.fields.resize(2);
  r.fields[1].sv = {1.5, 0.5};
  s.save(r);
  EXPECT_TRUE(fs::exists(d / "units" / "0001-a.b.w0.L1.bin"));
  EXPECT_FALSE(fs::exists(d / "units" / "0001-a.b.w0.L1.bin.tmp"));
  auto back = s.load(r.id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->fields[1].sv, r.fields[1].sv);
  EXPECT_FALSE(s.load("0002-absent"));

  UnitStore same(d, "hash-a");
  same.open(true);  // resume: kept
  EXPECT_TRUE(same.load(r.id));
  UnitStore other(d, "hash-b");
  EXPECT_NE(error_of([&] { other.open(true); }).find("out dir holds a different run"), std::string::npos);
  // A corrupt unit file is recomputed, not trusted.
  { std::ofstream(d / "units" / "0003-c.bin") << "garbage"; }
  EXPECT_FALSE(same.load("0003-c"));
  // Without resume the old units are cleared.
  UnitStore fresh(d, "hash-b");
  fresh.open(false);
  EXPECT_FALSE(fresh.load(r.id));
  EXPECT_FALSE(fs::exists(d / "units" / "0001-a.b.w0.L1.bin"));
}
