// End-to-end golden tests through the real CLI: `logitrank run --model ...` on every checkpoint
// folder that ships a float64 golden (golden.json + golden.safetensors, see
// data/fixtures/README.md) must reproduce the golden's per-head metrics (heads.csv) and
// spectra (spectra.safetensors). Like llm.c's test_gpt2, each checkpoint prints one line with
// its max errors next to the tolerances.
//
// Tolerances (stated once, used everywhere below):
//   - The field Ẽ_h comes from a float32 forward: singular values within 1e-4·σ₁ (per head),
//     erank / pr / stable_rank within 1e-4 relative, numerical rank and k's exact -- except a
//     k whose golden min_threshold_margin is < 1e-5, where float32 noise may legitimately move
//     a cumulative energy fraction across the threshold: there |Δk| ≤ 1 is allowed and counted.
//     (The smallest field margin in the current goldens is 5e-5, so that branch should not fire;
//     the count is printed.)
//   - The weight spectrum M_h = W_Q,hᵀ W_K,g is computed from the stored weights in float64:
//     singular values within 1e-9·σ₁, erank / pr / stable_rank 1e-9 relative, k's exact.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "cli_helpers.h"
#include "io/json_file.h"
#include "io/safetensors.h"
#include "test_data.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace logitrank;
using namespace logitrank::clitest;

namespace {

constexpr double kFieldRel = 1e-4;    // float32 forward
constexpr double kWeightRel = 1e-9;   // float64 from the stored weights
constexpr double kFlipMargin = 1e-5;  // below this golden margin a field k may move by one
constexpr double kGapRel = 1e-9;

// Every folder under data/{fixtures,models} with golden.json next to config.json, sorted.
std::vector<fs::path> golden_checkpoints() {
  std::vector<fs::path> out;
  for (const char* group : {"fixtures", "models"}) {
    fs::path root = logitrank::testing::data_dir() / group;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) continue;
    for (const auto& e : fs::directory_iterator(root, ec))
      if (e.is_directory() && fs::exists(e.path() / "golden.json") && fs::exists(e.path() / "config.json"))
        out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// input_ids.json (a JSON list) rewritten as a whitespace-separated ids file; returns the count.
std::size_t write_ids_file(const fs::path& input_ids_json, const fs::path& out) {
  json ids = io::read_json_file(input_ids_json);
  std::ofstream f(out);
  for (std::size_t i = 0; i < ids.size(); ++i) f << (i ? " " : "") << ids[i].get<int64_t>();
  f << "\n";
  return ids.size();
}

std::vector<double> tensor_f64(const io::SafetensorsFile& f, const std::string& name) {
  const auto& t = f.at(name);
  std::vector<double> v(static_cast<std::size_t>(t.numel()));
  io::convert_to(t, std::span<double>(v));
  return v;
}

double rel_err(double got, double want) { return std::abs(got - want) / std::max(std::abs(want), 1e-300); }

struct Errors {
  double field_sv = 0, field_erank = 0, field_pr = 0, field_sr = 0;
  double weight_sv = 0, weight_erank = 0, weight_pr = 0, weight_sr = 0;
  int heads = 0;
  int k_flips_allowed = 0;  // field k's that differ by one under a golden margin < 1e-5
};

// Compares one (model, text, window 0) of a results folder with a golden folder.
// `model` / `text` are the names the run gave them (heads.csv columns 1-2, tensor prefixes).
Errors compare_with_golden(const fs::path& out, const std::string& model, const std::string& text,
                           const fs::path& golden_dir) {
  Errors e;
  json g = io::read_json_file(golden_dir / "golden.json");
  const int n_layers = g["n_layers"].get<int>(), H = g["n_heads"].get<int>(), dh = g["head_dim"].get<int>();
  const int L = g["seq_len"].get<int>();
  const int n_field = std::min(L, dh);

  Csv csv = read_csv(out / "heads.csv");
  EXPECT_EQ(csv.header.size(), 25u) << "heads.csv header";
  // Rows of this model and text, keyed by (layer, head).
  std::map<std::pair<int, int>, std::size_t> row_of;
  for (std::size_t i = 0; i < csv.rows.size(); ++i) {
    if (csv.rows[i].size() != csv.header.size()) {
      ADD_FAILURE() << "heads.csv row " << i << " has " << csv.rows[i].size() << " cells";
      continue;
    }
    if (csv.cell(i, "model") != model || csv.cell(i, "text") != text || csv.cell(i, "window") != "0")
      continue;
    auto key = std::make_pair(std::stoi(csv.cell(i, "layer")), std::stoi(csv.cell(i, "head")));
    EXPECT_TRUE(row_of.emplace(key, i).second)
        << "duplicate row layer " << key.first << " head " << key.second;
  }
  EXPECT_EQ(row_of.size(), static_cast<std::size_t>(n_layers * H))
      << model << "/" << text << ": rows in heads.csv";
  EXPECT_EQ(g["heads"].size(), static_cast<std::size_t>(n_layers * H));

  auto num = [&](std::size_t r, const char* c) { return std::stod(csv.cell(r, c)); };
  auto integer = [&](std::size_t r, const char* c) { return std::stoi(csv.cell(r, c)); };
  for (const auto& gh : g["heads"]) {
    const int l = gh["layer"].get<int>(), h = gh["head"].get<int>();
    auto it = row_of.find({l, h});
    if (it == row_of.end()) {
      ADD_FAILURE() << model << ": no heads.csv row for layer " << l << " head " << h;
      continue;
    }
    SCOPED_TRACE(model + " layer " + std::to_string(l) + " head " + std::to_string(h));
    const std::size_t r = it->second;
    ++e.heads;
    EXPECT_EQ(integer(r, "kv_head"), gh["kv_group"].get<int>());
    EXPECT_EQ(integer(r, "head_dim"), dh);
    EXPECT_EQ(integer(r, "seq_len"), L);

    const auto& gf = gh["field"];
    const bool may_flip = gf["min_threshold_margin"].get<double>() < kFlipMargin;
    for (const char* k : {"k80", "k90", "k95", "k99"}) {
      const int got = integer(r, (std::string("field_") + k).c_str()), want = gf[k].get<int>();
      if (may_flip && std::abs(got - want) == 1) {
        ++e.k_flips_allowed;
        std::printf(
            "[golden] %s layer %d head %d: field %s %d vs golden %d allowed (golden margin %.2e < %.0e)\n",
            model.c_str(), l, h, k, got, want, gf["min_threshold_margin"].get<double>(), kFlipMargin);
        continue;
      }
      EXPECT_EQ(got, want) << "field " << k << " (golden margin " << gf["min_threshold_margin"].get<double>()
                           << ")";
    }
    EXPECT_EQ(integer(r, "field_rank"), gf["numerical_rank"].get<int>());
    const double fe = rel_err(num(r, "field_erank"), gf["erank"].get<double>());
    const double fp = rel_err(num(r, "field_pr"), gf["pr"].get<double>());
    const double fs_ = rel_err(num(r, "field_stable_rank"), gf["stable_rank"].get<double>());
    EXPECT_LE(fe, kFieldRel) << "field erank " << num(r, "field_erank") << " vs " << gf["erank"];
    EXPECT_LE(fp, kFieldRel) << "field pr " << num(r, "field_pr") << " vs " << gf["pr"];
    EXPECT_LE(fs_, kFieldRel) << "field stable_rank " << num(r, "field_stable_rank") << " vs "
                              << gf["stable_rank"];
    e.field_erank = std::max(e.field_erank, fe);
    e.field_pr = std::max(e.field_pr, fp);
    e.field_sr = std::max(e.field_sr, fs_);

    const auto& gw = gh["weight"];
    for (const char* k : {"k80", "k90", "k95", "k99"})
      EXPECT_EQ(integer(r, (std::string("weight_") + k).c_str()), gw[k].get<int>())
          << "weight " << k << " (golden margin " << gw["min_threshold_margin"].get<double>() << ")";
    const double we = rel_err(num(r, "weight_erank"), gw["erank"].get<double>());
    const double wp = rel_err(num(r, "weight_pr"), gw["pr"].get<double>());
    const double ws = rel_err(num(r, "weight_stable_rank"), gw["stable_rank"].get<double>());
    EXPECT_LE(we, kWeightRel) << "weight erank " << num(r, "weight_erank") << " vs " << gw["erank"];
    EXPECT_LE(wp, kWeightRel) << "weight pr " << num(r, "weight_pr") << " vs " << gw["pr"];
    EXPECT_LE(ws, kWeightRel) << "weight stable_rank " << num(r, "weight_stable_rank") << " vs "
                              << gw["stable_rank"];
    e.weight_erank = std::max(e.weight_erank, we);
    e.weight_pr = std::max(e.weight_pr, wp);
    e.weight_sr = std::max(e.weight_sr, ws);

    // Gaps are the weight/field ratios of the same row.
    const double eg = num(r, "weight_erank") / num(r, "field_erank");
    const double kg = static_cast<double>(integer(r, "weight_k90")) / integer(r, "field_k90");
    EXPECT_LE(rel_err(num(r, "erank_gap"), eg), kGapRel)
        << "erank_gap " << csv.cell(r, "erank_gap") << " vs " << eg;
    EXPECT_LE(rel_err(num(r, "k90_gap"), kg), kGapRel)
        << "k90_gap " << csv.cell(r, "k90_gap") << " vs " << kg;
  }

  // Spectra.
  io::SafetensorsFile spectra(out / "spectra.safetensors");
  io::SafetensorsFile gold(golden_dir / "golden.safetensors");
  for (int l = 0; l < n_layers; ++l) {
    const std::string ls = "layer." + std::to_string(l);
    const std::string fname = model + "/" + text + "/0/" + ls + ".field_sv";
    const std::string wname = model + "/" + ls + ".weight_sv";
    const auto* ft = spectra.find(fname);
    const auto* wt = spectra.find(wname);
    if (!ft || !wt) {
      std::string names;
      for (const auto& n : spectra.names()) names += n + " ";
      ADD_FAILURE() << "spectra.safetensors lacks " << (ft ? wname : fname) << "; it has: " << names;
      continue;
    }
    EXPECT_EQ(ft->dtype, io::DType::F64);
    EXPECT_EQ(wt->dtype, io::DType::F64);
    if (ft->shape != std::vector<int64_t>{H, n_field} || wt->shape != std::vector<int64_t>{H, dh}) {
      ADD_FAILURE() << fname << " / " << wname << ": shapes are not [" << H << ", " << n_field << "] / [" << H
                    << ", " << dh << "]";
      continue;
    }
    auto fgot = tensor_f64(spectra, fname), wgot = tensor_f64(spectra, wname);
    auto fwant = tensor_f64(gold, ls + ".field_sv"), wwant = tensor_f64(gold, ls + ".weight_sv");
    if (fwant.size() != static_cast<std::size_t>(H) * L || wwant.size() != static_cast<std::size_t>(H) * dh) {
      ADD_FAILURE() << golden_dir << ": golden spectra of layer " << l << " have unexpected sizes";
      continue;
    }
    for (int h = 0; h < H; ++h) {
      const double s1 = fwant[static_cast<std::size_t>(h) * L];
      for (int i = 0; i < n_field; ++i) {
        const double d = std::abs(fgot[h * n_field + i] - fwant[static_cast<std::size_t>(h) * L + i]) / s1;
        e.field_sv = std::max(e.field_sv, d);
        EXPECT_LE(d, kFieldRel) << fname << " head " << h << " sv " << i << ": " << fgot[h * n_field + i]
                                << " vs " << fwant[static_cast<std::size_t>(h) * L + i] << " (σ₁ " << s1
                                << ")";
      }
      const double w1 = wwant[static_cast<std::size_t>(h) * dh];
      for (int i = 0; i < dh; ++i) {
        const double d = std::abs(wgot[h * dh + i] - wwant[h * dh + i]) / w1;
        e.weight_sv = std::max(e.weight_sv, d);
        EXPECT_LE(d, kWeightRel) << wname << " head " << h << " sv " << i << ": " << wgot[h * dh + i]
                                 << " vs " << wwant[h * dh + i] << " (σ₁ " << w1 << ")";
      }
    }
  }
  return e;
}

void print_summary(const std::string& label, const Errors& e) {
  std::printf(
      "[golden] %-28s heads %3d | field: sv max|Δ|/σ₁ %.2e, erank %.2e, pr %.2e, sr %.2e (tol %.0e) | "
      "weight: sv %.2e, erank %.2e, pr %.2e, sr %.2e (tol %.0e) | k flips allowed %d\n",
      label.c_str(), e.heads, e.field_sv, e.field_erank, e.field_pr, e.field_sr, kFieldRel, e.weight_sv,
      e.weight_erank, e.weight_pr, e.weight_sr, kWeightRel, e.k_flips_allowed);
  std::fflush(stdout);
}

// The (model, text) names of a results folder's first heads.csv row.
std::pair<std::string, std::string> first_names(const fs::path& out) {
  Csv csv = read_csv(out / "heads.csv");
  if (csv.rows.empty()) return {"", ""};
  return {csv.cell(0, "model"), csv.cell(0, "text")};
}

std::string test_name(std::string s) {
  for (auto& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

fs::path models_dir() { return logitrank::testing::data_dir() / "models"; }
fs::path fixtures_dir() { return logitrank::testing::fixtures_dir(); }

// `run --model DIR --token-ids input_ids --seq-len L --out TMP/out [extra...]`; returns the out folder.
fs::path run_token_ids(const fs::path& model, const fs::path& golden_dir, const fs::path& tmp,
                       const std::vector<std::string>& extra = {}) {
  fs::path ids = tmp / "input_ids.txt";
  const std::size_t L = write_ids_file(golden_dir / "input_ids.json", ids);
  fs::path out = tmp / "out";
  std::vector<std::string> args = {"run",        "--model",   model.string(),    "--token-ids",
                                   ids.string(), "--seq-len", std::to_string(L), "--out",
                                   out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = run_logitrank(args, tmp);
  EXPECT_EQ(r.status, 0) << r.err;
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// 1. Every checkpoint with a golden, through --token-ids.

TEST(GoldenE2E, FindsEveryGoldenCheckpoint) {
  auto dirs = golden_checkpoints();
  std::string list;
  for (const auto& d : dirs) list += d.filename().string() + " ";
  std::printf("[golden] %zu checkpoints with goldens: %s\n", dirs.size(), list.c_str());
  EXPECT_GE(dirs.size(), 8u)
      << "expected tiny-{gpt2,llama,llama-sharded,qwen2,mistral}, gutenberg-{gpt2,llama}-mini, "
         "stories260K-hf under "
      << logitrank::testing::data_dir() << "; found: " << list;
}

class GoldenCheckpoint : public ::testing::TestWithParam<fs::path> {};

TEST_P(GoldenCheckpoint, TokenIdsRunReproducesGolden) {
  const fs::path dir = GetParam();
  const std::string name = dir.filename().string();
  fs::path tmp = temp_dir("golden_" + name);
  fs::path out = run_token_ids(dir, dir, tmp);
  ASSERT_TRUE(fs::exists(out / "heads.csv"));
  // The model is named after its folder, the text after the ids file's stem.
  auto [model, text] = first_names(out);
  EXPECT_EQ(model, name);
  EXPECT_EQ(text, "input_ids");
  Errors e = compare_with_golden(out, name, "input_ids", dir);
  print_summary(name, e);
  EXPECT_EQ(e.k_flips_allowed, 0)
      << "a field k moved by one under a golden margin < 1e-5 (allowed, but unexpected "
         "with the current goldens)";
  fs::remove_all(tmp);
}

INSTANTIATE_TEST_SUITE_P(All, GoldenCheckpoint, ::testing::ValuesIn(golden_checkpoints()),
                         [](const ::testing::TestParamInfo<fs::path>& info) {
                           return test_name(info.param.filename().string());
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoldenCheckpoint);  // FindsEveryGoldenCheckpoint fails instead

// ---------------------------------------------------------------------------------------------
// 2. Issue 4: the golden window re-derived from the text itself (dracula.txt, first 128 tokens,
//    no BOS: these tokenizers add none).

class GoldenFromText : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenFromText, DraculaTextRunReproducesGolden) {
  const std::string name = GetParam();
  const fs::path dir = models_dir() / name;
  const fs::path text = logitrank::testing::data_dir() / "texts" / "dracula.txt";
  ASSERT_TRUE(fs::exists(dir / "golden.json")) << dir;
  ASSERT_TRUE(fs::exists(text)) << text;
  fs::path tmp = temp_dir("text_" + name);
  auto r = run_logitrank({"run", "--model", dir.string(), "--text", text.string(), "--seq-len", "128",
                          "--out", (tmp / "out").string()},
                         tmp);
  ASSERT_EQ(r.status, 0) << r.err;
  auto [model, text_name] = first_names(tmp / "out");
  EXPECT_EQ(model, name);
  EXPECT_EQ(text_name, "dracula");

  // The manifest records the window's ids: they must be the golden's input ids.
  json want = io::read_json_file(dir / "input_ids.json");
  json manifest = io::read_json_file(tmp / "out" / "manifest.json");
  bool found = false;
  for (const auto& t : manifest["inputs"]["texts"]) {
    if (t.value("name", "") != "dracula") continue;
    found = true;
    EXPECT_TRUE(t["bos"].is_null()) << "a BOS was prepended: " << t["bos"];
    ASSERT_GE(t["windows"].size(), 1u);
    EXPECT_EQ(t["windows"][0]["ids"], want) << "window 0 ids differ from input_ids.json";
  }
  EXPECT_TRUE(found) << "manifest.json inputs.texts has no 'dracula' entry";

  Errors e = compare_with_golden(tmp / "out", name, "dracula", dir);
  print_summary(name + " (--text dracula)", e);
  EXPECT_EQ(e.k_flips_allowed, 0);
  fs::remove_all(tmp);
}

INSTANTIATE_TEST_SUITE_P(Gutenberg, GoldenFromText,
                         ::testing::Values("gutenberg-gpt2-mini", "gutenberg-llama-mini"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return test_name(info.param);
                         });

// ---------------------------------------------------------------------------------------------
// 3. The llama2.c loader end to end: stories260K.bin gives stories260K-hf's golden spectra
//    (interleaved vs rotate_half RoPE only permutes q/k rows inside a head; spectra are invariant).

TEST(GoldenE2E, Llama2cBinReproducesStories260KHfGolden) {
  const fs::path bin = models_dir() / "stories260K" / "stories260K.bin";
  const fs::path hf = models_dir() / "stories260K-hf";
  ASSERT_TRUE(fs::exists(bin)) << bin;
  ASSERT_TRUE(fs::exists(hf / "golden.json")) << hf;
  fs::path tmp = temp_dir("stories260K_bin");
  fs::path out = run_token_ids(bin, hf, tmp);
  ASSERT_TRUE(fs::exists(out / "heads.csv"));
  auto [model, text] = first_names(out);
  EXPECT_EQ(model, "stories260K");
  EXPECT_EQ(text, "input_ids");
  Errors e = compare_with_golden(out, model, text, hf);
  print_summary(model + " (llama2.c .bin)", e);
  EXPECT_EQ(e.k_flips_allowed, 0);
  fs::remove_all(tmp);
}

// ---------------------------------------------------------------------------------------------
// 4. A sharded checkpoint is the same model: identical heads.csv (but the model name) and spectra.

TEST(GoldenE2E, ShardedCheckpointGivesIdenticalResults) {
  fs::path tmp = temp_dir("sharded");
  fs::create_directories(tmp / "single");
  fs::create_directories(tmp / "sharded");
  fs::path a = run_token_ids(fixtures_dir() / "tiny-llama", fixtures_dir() / "tiny-llama", tmp / "single");
  fs::path b =
      run_token_ids(fixtures_dir() / "tiny-llama-sharded", fixtures_dir() / "tiny-llama", tmp / "sharded");
  Csv ca = read_csv(a / "heads.csv"), cb = read_csv(b / "heads.csv");
  EXPECT_EQ(ca.header, cb.header);
  ASSERT_EQ(ca.rows.size(), 3u * 8);
  ASSERT_EQ(ca.rows.size(), cb.rows.size());
  for (std::size_t i = 0; i < ca.rows.size(); ++i) {
    EXPECT_EQ(ca.cell(i, "model"), "tiny-llama");
    EXPECT_EQ(cb.cell(i, "model"), "tiny-llama-sharded");
    auto ra = ca.rows[i], rb = cb.rows[i];
    ra.erase(ra.begin());
    rb.erase(rb.begin());
    EXPECT_EQ(ra, rb) << "heads.csv row " << i;
  }
  io::SafetensorsFile sa(a / "spectra.safetensors"), sb(b / "spectra.safetensors");
  auto na = sa.names(), nb = sb.names();
  ASSERT_EQ(na.size(), nb.size());
  ASSERT_EQ(na.size(), 2u * 3);
  for (const auto& n : na) {
    ASSERT_EQ(n.rfind("tiny-llama/", 0), 0u) << n;
    const std::string m = "tiny-llama-sharded/" + n.substr(std::string("tiny-llama/").size());
    ASSERT_NE(sb.find(m), nullptr) << m;
    EXPECT_EQ(sa.at(n).shape, sb.at(m).shape) << n;
    EXPECT_EQ(tensor_f64(sa, n), tensor_f64(sb, m)) << n << " vs " << m;
  }
  fs::remove_all(tmp);
}

// ---------------------------------------------------------------------------------------------
// 5. The three methods through the CLI agree: dense (LAPACK on the L×L field) and scalapack
//    (distributed p?gesvd, here on one rank) vs factored (exact d_h×d_h core), tiny-qwen2.

TEST(GoldenE2E, MethodsAgreeThroughTheCli) {
  const fs::path dir = fixtures_dir() / "tiny-qwen2";
  fs::path tmp = temp_dir("methods");
  std::map<std::string, fs::path> outs;
  for (const char* m : {"factored", "dense", "scalapack"}) {
    fs::create_directories(tmp / m);
    outs[m] = run_token_ids(dir, dir, tmp / m, {"--method", m});
  }
  Csv ref = read_csv(outs["factored"] / "heads.csv");
  io::SafetensorsFile sref(outs["factored"] / "spectra.safetensors");
  ASSERT_EQ(ref.rows.size(), 2u * 4);
  for (const char* m : {"dense", "scalapack"}) {
    SCOPED_TRACE(std::string("--method ") + m);
    if (!fs::exists(outs[m] / "heads.csv")) {
      ADD_FAILURE() << "no heads.csv for --method " << m;
      continue;
    }
    Csv c = read_csv(outs[m] / "heads.csv");
    ASSERT_EQ(c.rows.size(), ref.rows.size());
    for (std::size_t i = 0; i < c.rows.size(); ++i)
      for (const char* k :
           {"layer", "head", "field_k80", "field_k90", "field_k95", "field_k99", "field_rank"})
        EXPECT_EQ(c.cell(i, k), ref.cell(i, k)) << "row " << i << " " << k;
    io::SafetensorsFile s(outs[m] / "spectra.safetensors");
    double max_err = 0;
    for (int l = 0; l < 2; ++l) {
      const std::string n = "tiny-qwen2/input_ids/0/layer." + std::to_string(l) + ".field_sv";
      auto got = tensor_f64(s, n), want = tensor_f64(sref, n);
      ASSERT_EQ(got.size(), want.size());
      ASSERT_EQ(s.at(n).shape, sref.at(n).shape);
      const std::size_t H = sref.at(n).shape[0], r = sref.at(n).shape[1];
      for (std::size_t h = 0; h < H; ++h)
        for (std::size_t i = 0; i < r; ++i) {
          const double d = std::abs(got[h * r + i] - want[h * r + i]) / want[h * r];
          max_err = std::max(max_err, d);
          EXPECT_LE(d, 1e-10) << n << " head " << h << " sv " << i;
        }
    }
    std::printf("[golden] tiny-qwen2 --method %-9s vs factored: field sv max|Δ|/σ₁ %.2e (tol 1e-10)\n", m,
                max_err);
  }
  fs::remove_all(tmp);
}

// ---------------------------------------------------------------------------------------------
// 6. --softmax-check from a checkpoint: every rank 1..d_h of every head, TV below its certified
//    bound, and no truncation error left at full rank.

TEST(GoldenE2E, SoftmaxCheckFromCheckpoint) {
  const fs::path dir = fixtures_dir() / "tiny-gpt2";
  fs::path tmp = temp_dir("softmax_e2e");
  fs::path out = run_token_ids(dir, dir, tmp, {"--softmax-check"});
  ASSERT_TRUE(fs::exists(out / "softmax.csv"));
  json g = io::read_json_file(dir / "golden.json");
  const int n_layers = g["n_layers"].get<int>(), H = g["n_heads"].get<int>(), dh = g["head_dim"].get<int>();
  Csv c = read_csv(out / "softmax.csv");
  EXPECT_EQ(c.header, (std::vector<std::string>{"model", "text", "window", "layer", "head", "rank", "tv_full",
                                                "tv_causal", "bound_full"}));
  std::set<std::tuple<int, int, int>> seen;
  double max_tv_full_rank = 0;
  for (std::size_t i = 0; i < c.rows.size(); ++i) {
    const int l = std::stoi(c.cell(i, "layer")), h = std::stoi(c.cell(i, "head")),
              r = std::stoi(c.cell(i, "rank"));
    EXPECT_EQ(c.cell(i, "model"), "tiny-gpt2");
    EXPECT_TRUE(seen.insert({l, h, r}).second) << "duplicate softmax row " << l << " " << h << " " << r;
    const double tv = std::stod(c.cell(i, "tv_full")), bound = std::stod(c.cell(i, "bound_full"));
    EXPECT_LE(tv, bound + 1e-12) << "layer " << l << " head " << h << " rank " << r;
    if (r >= dh) {
      const double tc = std::stod(c.cell(i, "tv_causal"));
      max_tv_full_rank = std::max({max_tv_full_rank, tv, tc});
      EXPECT_LT(tv, 1e-9) << "layer " << l << " head " << h << " rank " << r;
      EXPECT_LT(tc, 1e-9) << "layer " << l << " head " << h << " rank " << r;
    }
  }
  for (int l = 0; l < n_layers; ++l)
    for (int h = 0; h < H; ++h)
      for (int r = 1; r <= dh; ++r)
        EXPECT_TRUE(seen.count({l, h, r})) << "no row layer " << l << " head " << h << " rank " << r;
  std::printf("[golden] tiny-gpt2 --softmax-check: %zu rows, max TV at rank >= d_h %.2e (tol 1e-9)\n",
              c.rows.size(), max_tv_full_rank);
  fs::remove_all(tmp);
}
