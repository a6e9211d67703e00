// write_results and the report tables: exact heads.csv bytes on a small case, order
// independence, spectra round trip, summary statistics, merging and error messages.
#include "report/results.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "io/error.h"
#include "io/safetensors.h"
#include "synthetic.h"

namespace fs = std::filesystem;
using namespace logitrank;
using namespace logitrank::report;
using logitrank::testing::synthetic_run;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in.good()) << p;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary);
  out << s;
}

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("logitrank_report_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  fs::create_directories(d.parent_path());
  return d;
}

FieldRecord field(std::string model, std::string text, int window, int layer, int head, int kv, int hd, int L,
                  SpectrumMetrics m, std::vector<double> sv) {
  FieldRecord f;
  f.model = std::move(model);
  f.text = std::move(text);
  f.window = window;
  f.layer = layer;
  f.head = head;
  f.kv_head = kv;
  f.head_dim = hd;
  f.seq_len = L;
  f.metrics = m;
  f.sv = std::move(sv);
  return f;
}

WeightRecord weight(std::string model, int layer, int head, SpectrumMetrics m, std::vector<double> sv) {
  WeightRecord w;
  w.model = std::move(model);
  w.layer = layer;
  w.head = head;
  w.kv_head = head;
  w.head_dim = static_cast<int>(sv.size());
  w.metrics = m;
  w.sv = std::move(sv);
  return w;
}

SpectrumMetrics M(int k80, int k90, int k95, int k99, double erank, double pr, double sr, int rank) {
  SpectrumMetrics m;
  m.k80 = k80;
  m.k90 = k90;
  m.k95 = k95;
  m.k99 = k99;
  m.erank = erank;
  m.pr = pr;
  m.stable_rank = sr;
  m.numerical_rank = rank;
  return m;
}

RunResults small_case() {
  RunResults r;
  r.fields.push_back(
      field("gpt2", "alice", 1, 0, 0, 0, 4, 8, M(1, 2, 3, 4, 1.0 / 3, 2.5, 1.25, 4), {4, 3, 2, 1}));
  r.fields.push_back(field("gpt2", "alice", 0, 1, 0, 0, 4, 8, M(1, 1, 2, 3, 2, 1.5, 1, 3), {5, 1, 0.5, 0}));
  r.fields.push_back(
      field("gpt2", "alice", 0, 0, 1, 1, 4, 8, M(2, 2, 3, 4, 2.5, 2, 1.5, 4), {3, 2, 1, 0.25}));
  r.fields.push_back(field("q\"k,x", "t,1", 0, 0, 0, 0, 2, 2, M(1, 1, 1, 2, 1.5, 1.25, 1, 2), {2, 1}));
  r.fields.push_back(
      field("gpt2", "alice", 0, 0, 0, 0, 4, 8, M(1, 2, 2, 3, 1.75, 1.5, 1.25, 4), {6, 2, 1, 0.1}));
  r.weights.push_back(weight("gpt2", 0, 0, M(2, 3, 3, 4, 3.5, 3, 2, 4), {4, 3.5, 3, 2.5}));
  r.weights.push_back(weight("gpt2", 1, 0, M(3, 3, 4, 4, 3, 3.25, 2.5, 4), {4, 3.9, 3.8, 3.7}));
  r.manifest = {{"version", "test"}, {"ranks", 2}};
  return r;
}

const char* kExpectedHeads =
    "model,text,window,layer,head,kv_head,head_dim,seq_len,field_k80,field_k90,field_k95,field_k99,field_"
    "erank,field_pr,"
    "field_stable_rank,field_rank,weight_k80,weight_k90,weight_k95,weight_k99,weight_erank,weight_pr,weight_"
    "stable_rank,"
    "erank_gap,k90_gap\n"
    "gpt2,alice,0,0,0,0,4,8,1,2,2,3,1.75,1.5,1.25,4,2,3,3,4,3.5,3,2,2,1.5\n"
    "gpt2,alice,0,0,1,1,4,8,2,2,3,4,2.5,2,1.5,4,,,,,,,,,\n"
    "gpt2,alice,0,1,0,0,4,8,1,1,2,3,2,1.5,1,3,3,3,4,4,3,3.25,2.5,1.5,3\n"
    "gpt2,alice,1,0,0,0,4,8,1,2,3,4,0.33333333333333331,2.5,1.25,4,2,3,3,4,3.5,3,2,10.5,1.5\n"
    "\"q\"\"k,x\",\"t,1\",0,0,0,0,2,2,1,1,1,2,1.5,1.25,1,2,,,,,,,,,\n";

}  // namespace

TEST(WriteResults, HeadsCsvExactBytes) {
  fs::path out = fresh_dir("exact");
  write_results(out, small_case());
  EXPECT_EQ(slurp(out / "heads.csv"), kExpectedHeads);
  for (const char* f : {"heads.csv", "spectra.safetensors", "summary.json", "summary.md", "manifest.json"})
    EXPECT_TRUE(fs::is_regular_file(out / f)) << f;
  EXPECT_FALSE(fs::exists(out / "softmax.csv"));  // softmax_check off
  // A stale softmax.csv from an earlier run with the check is removed.
  spit(out / "softmax.csv", "stale");
  write_results(out, small_case());
  EXPECT_FALSE(fs::exists(out / "softmax.csv"));
  // No temporary files left behind.
  for (const auto& e : fs::directory_iterator(out))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  // Manifest as given.
  EXPECT_EQ(nlohmann::json::parse(slurp(out / "manifest.json")), small_case().manifest);
}

TEST(WriteResults, BytesIndependentOfRecordOrder) {
  RunResults a = synthetic_run("m", 2, 3, 8, 2, 2, true);
  RunResults b = a;
  std::mt19937 rng(7);
  std::shuffle(b.fields.begin(), b.fields.end(), rng);
  std::shuffle(b.weights.begin(), b.weights.end(), rng);
  fs::path da = fresh_dir("order_a"), db = fresh_dir("order_b");
  write_results(da, a);
  write_results(db, b);
  int compared = 0;
  for (const char* f :
       {"heads.csv", "spectra.safetensors", "softmax.csv", "summary.json", "summary.md", "manifest.json"}) {
    EXPECT_EQ(slurp(da / f), slurp(db / f)) << f;
    ++compared;
  }
  EXPECT_EQ(compared, 6);
  EXPECT_EQ(parse_heads_csv(slurp(da / "heads.csv"), da / "heads.csv").size(), 2u * 3 * 2 * 2);
}

TEST(WriteResults, SpectraRoundTrip) {
  RunResults r = small_case();
  fs::path out = fresh_dir("spectra");
  write_results(out, r);
  io::SafetensorsFile st(out / "spectra.safetensors");
  std::vector<std::string> expected_names = {
      "gpt2/alice/0/layer.0.field_sv", "gpt2/alice/0/layer.1.field_sv", "gpt2/alice/1/layer.0.field_sv",
      "gpt2/layer.0.weight_sv",        "gpt2/layer.1.weight_sv",        "q\"k,x/t,1/0/layer.0.field_sv"};
  std::sort(expected_names.begin(), expected_names.end());
  EXPECT_EQ(st.names(), expected_names);

  const io::TensorView& t = st.at("gpt2/alice/0/layer.0.field_sv");
  EXPECT_EQ(t.dtype, io::DType::F64);
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 4}));
  std::vector<double> v(8);
  io::convert_to(t, v);
  EXPECT_EQ(v, (std::vector<double>{6, 2, 1, 0.1, 3, 2, 1, 0.25}));

  const io::TensorView& w = st.at("gpt2/layer.1.weight_sv");
  EXPECT_EQ(w.shape, (std::vector<int64_t>{1, 4}));
  std::vector<double> wv(4);
  io::convert_to(w, wv);
  EXPECT_EQ(wv, (std::vector<double>{4, 3.9, 3.8, 3.7}));

  // A head absent from a layer leaves a NaN row (heads 0 and 2 of a 3-head layer).
  RunResults gap;
  gap.fields.push_back(field("g", "t", 0, 0, 2, 0, 2, 4, M(1, 1, 1, 1, 1, 1, 1, 1), {2, 1}));
  gap.fields.push_back(field("g", "t", 0, 0, 0, 0, 2, 4, M(1, 1, 1, 1, 1, 1, 1, 1), {4, 3}));
  fs::path out3 = fresh_dir("spectra3");
  write_results(out3, gap);
  io::SafetensorsFile st3(out3 / "spectra.safetensors");
  const io::TensorView& g = st3.at("g/t/0/layer.0.field_sv");
  ASSERT_EQ(g.shape, (std::vector<int64_t>{3, 2}));
  std::vector<double> gv(6);
  io::convert_to(g, gv);
  EXPECT_EQ(gv[0], 4);
  EXPECT_EQ(gv[1], 3);
  EXPECT_TRUE(std::isnan(gv[2]) && std::isnan(gv[3]));
  EXPECT_EQ(gv[4], 2);
  EXPECT_EQ(gv[5], 1);

  // Synthetic run: every field/weight tensor equals the records bit for bit.
  RunResults s = synthetic_run("syn", 2, 3, 8, 1, 2, false);
  fs::path out2 = fresh_dir("spectra2");
  write_results(out2, s);
  io::SafetensorsFile st2(out2 / "spectra.safetensors");
  int checked = 0;
  for (const auto& f : s.fields) {
    const io::TensorView& ft = st2.at("syn/" + f.text + "/" + std::to_string(f.window) + "/layer." +
                                      std::to_string(f.layer) + ".field_sv");
    ASSERT_EQ(ft.shape, (std::vector<int64_t>{3, 8}));
    std::vector<double> all(24);
    io::convert_to(ft, all);
    EXPECT_TRUE(std::equal(f.sv.begin(), f.sv.end(), all.begin() + 8 * f.head));
    ++checked;
  }
  for (const auto& wr : s.weights) {
    const io::TensorView& wt = st2.at("syn/layer." + std::to_string(wr.layer) + ".weight_sv");
    std::vector<double> all(24);
    io::convert_to(wt, all);
    EXPECT_TRUE(std::equal(wr.sv.begin(), wr.sv.end(), all.begin() + 8 * wr.head));
    ++checked;
  }
  EXPECT_EQ(checked, 12 + 6);
}

TEST(WriteResults, SoftmaxCsv) {
  RunResults r = small_case();
  r.softmax_check = true;
  r.fields[0].softmax = {{2, 0.125, 0.0625, 0.5}, {1, 0.25, 0.2, 0.75}};
  fs::path out = fresh_dir("softmax");
  write_results(out, r);
  EXPECT_EQ(slurp(out / "softmax.csv"),
            "model,text,window,layer,head,rank,tv_full,tv_causal,bound_full\n"
            "gpt2,alice,1,0,0,1,0.25,0.20000000000000001,0.75\n"
            "gpt2,alice,1,0,0,2,0.125,0.0625,0.5\n");
  auto rows = parse_softmax_csv(slurp(out / "softmax.csv"), out / "softmax.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].point.tv_causal, 0.2);
}

TEST(Summary, MedianOddAndEven) {
  Stats odd = compute_stats({5, 1, 3});
  EXPECT_EQ(odd.min, 1);
  EXPECT_EQ(odd.median, 3);
  EXPECT_EQ(odd.max, 5);
  EXPECT_EQ(odd.mean, 3);
  Stats even = compute_stats({4, 1, 2, 10});
  EXPECT_EQ(even.median, 3);
  EXPECT_EQ(even.mean, 4.25);
  EXPECT_EQ(even.count, 4u);
}

TEST(Summary, SmallCaseStatsAndTables) {
  Summary s = summarize(make_head_rows(small_case()));
  ASSERT_EQ(s.models.size(), 2u);
  const ModelSummary& g = s.models[0];
  EXPECT_EQ(g.model, "gpt2");
  EXPECT_EQ(g.heads, 3u);  // (0,0), (0,1), (1,0)
  EXPECT_EQ(g.rows, 4u);
  EXPECT_EQ(g.head_dim, 4);
  // field k90 over rows: 2, 2, 1, 2
  EXPECT_EQ(g.field_k90.min, 1);
  EXPECT_EQ(g.field_k90.median, 2);
  EXPECT_EQ(g.field_k90.max, 2);
  EXPECT_EQ(g.field_k90.mean, 1.75);
  // weight k90 over distinct (layer, head) with weights: 3, 3
  ASSERT_TRUE(g.weight_k90);
  EXPECT_EQ(g.weight_k90->count, 2u);
  EXPECT_EQ(g.weight_k90->median, 3);
  // gaps over rows with weights: 2, 1.5, 10.5
  ASSERT_TRUE(g.erank_gap);
  EXPECT_EQ(g.erank_gap->min, 1.5);
  EXPECT_EQ(g.erank_gap->median, 2);
  EXPECT_EQ(g.erank_gap->max, 10.5);
  EXPECT_FALSE(s.models[1].weight_k90);  // --qk-like model

  EXPECT_EQ(headline(s), "field k90 1–2, weight k90 3–3, gap 1.5–10.5×");
  std::string md = summary_markdown(s);
  EXPECT_NE(md.find("| gpt2 | 3 (4 rows) | 4 | 1 / 2 / 2 | 3 / 3 / 3 | 1.50× / 2.00× / 10.50× |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("**Headline:** field k90 1–2, weight k90 3–3, gap 1.5–10.5×"), std::string::npos);

  std::string tex = summary_tex(s);
  for (const char* rule : {"\\toprule", "\\midrule", "\\bottomrule", "\\begin{tabular}", "q\"k,x"})
    EXPECT_NE(tex.find(rule), std::string::npos) << rule;
  EXPECT_LT(tex.find("\\toprule"), tex.find("\\midrule"));
  EXPECT_LT(tex.find("\\midrule"), tex.find("\\bottomrule"));

  nlohmann::json j = summary_json(s);
  EXPECT_EQ(j["models"][0]["field_k90"]["mean"], 1.75);
  EXPECT_EQ(j["models"][0]["heads"], 3);
  EXPECT_EQ(j["models"][0]["rows"], 4);
  EXPECT_EQ(j["models"][0]["d_h"], 4);
  EXPECT_TRUE(j["models"][1]["weight_k90"].is_null());
  EXPECT_EQ(j["headline"]["erank_gap"], nlohmann::json::array({1.5, 10.5}));

  std::string csv = summary_csv(s);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "model,heads,rows,d_h,texts,windows,field_k90_min,field_k90_median,field_k90_max,field_k90_mean,"
            "weight_k90_min,weight_k90_median,weight_k90_max,weight_k90_mean,erank_gap_min,erank_gap_median,"
            "erank_gap_max,erank_gap_mean,k90_gap_min,k90_gap_median,k90_gap_max,k90_gap_mean");
  EXPECT_NE(csv.find("\ngpt2,3,4,4,1,2,1,2,2,1.75,3,3,3,3,"), std::string::npos) << csv;
}

TEST(ReadBack, HeadsCsvRoundTripsExactly) {
  fs::path out = fresh_dir("roundtrip");
  RunResults r = synthetic_run("m", 2, 2, 8, 2, 1, false);
  write_results(out, r);
  ResultFolder f = read_results_folder(out);
  EXPECT_TRUE(f.has_spectra);
  EXPECT_EQ(f.manifest, r.manifest);
  EXPECT_EQ(format_heads_csv(f.rows), slurp(out / "heads.csv"));
  EXPECT_EQ(summary_markdown(summarize(f.rows)), slurp(out / "summary.md"));
  EXPECT_EQ(summary_json(summarize(f.rows)).dump(2) + "\n", slurp(out / "summary.json"));
}

TEST(ReadBack, MergeTwoFoldersAndDetectDuplicates) {
  fs::path a = fresh_dir("merge_a"), b = fresh_dir("merge_b"), c = fresh_dir("merge_c");
  write_results(a, synthetic_run("alpha", 2, 2, 8, 1, 2, false));
  write_results(b, synthetic_run("beta", 1, 3, 16, 2, 1, true));
  write_results(c, synthetic_run("alpha", 1, 1, 8, 1, 1, false));
  std::vector<ResultFolder> folders = {read_results_folder(b), read_results_folder(a)};
  std::vector<HeadRow> rows = merge_rows(folders);
  ASSERT_EQ(rows.size(), 8u + 6u);
  EXPECT_EQ(rows.front().model, "alpha");
  EXPECT_EQ(rows.back().model, "beta");
  Summary s = summarize(rows);
  ASSERT_EQ(s.models.size(), 2u);
  EXPECT_EQ(s.models[0].heads, 4u);
  EXPECT_EQ(s.models[1].heads, 3u);
  EXPECT_EQ(s.models[1].head_dim, 16);
  EXPECT_EQ(folders[0].softmax.size(), 6u * 5);  // ranks 1,2,4,8,16

  folders.push_back(read_results_folder(c));
  try {
    merge_rows(folders);
    FAIL() << "duplicate not detected";
  } catch (const InputError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("duplicate"), std::string::npos) << msg;
    EXPECT_NE(msg.find((a / "heads.csv").string()), std::string::npos) << msg;
    EXPECT_NE(msg.find((c / "heads.csv").string()), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos);
  }
}

TEST(ReadBack, GarbledHeadsCsvNamesFileAndLine) {
  fs::path d = fresh_dir("garbled");
  write_results(d, small_case());
  std::string good = slurp(d / "heads.csv");
  fs::path heads = d / "heads.csv";

  auto expect_error = [&](const std::string& text, const std::string& needle) {
    spit(heads, text);
    try {
      read_results_folder(d);
      ADD_FAILURE() << "no error for: " << needle;
    } catch (const InputError& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find(heads.string()), std::string::npos) << msg;
      EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    }
  };
  // A bad number on line 3.
  std::string bad = good;
  bad.replace(bad.find("gpt2,alice,0,0,1,1,4,8,2"), 24, "gpt2,alice,0,0,1,1,4,8,x");
  expect_error(bad, "line 3: column field_k80");
  // A short row on line 2.
  std::string shortrow = good;
  shortrow.replace(shortrow.find(",2,1.5\n"), 7, "\n");
  expect_error(shortrow, "line 2: 23 fields, expected 25");
  // Wrong header.
  expect_error("model,text\n", "line 1: unexpected header");
  // Empty file, unterminated quote.
  expect_error("", "line 1: empty file");
  expect_error(good + "\"open,quote\n", "line 7: unterminated quoted field");
  // Missing file.
  fs::remove(heads);
  try {
    read_results_folder(d);
    ADD_FAILURE() << "missing heads.csv accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("heads.csv: missing"), std::string::npos) << e.what();
  }
}

// Used by tests/scripts/report_figures.sh: with LOGITRANK_REPORT_FIXTURE_OUT=DIR it writes
// two result folders DIR/gpt2-like and DIR/llama-like (softmax on); otherwise it writes
// them to a temporary folder. Either way it checks that they read back.
TEST(Fixture, WriteTwoModelFolders) {
  fs::path root;
  if (const char* env = std::getenv("LOGITRANK_REPORT_FIXTURE_OUT"); env && *env)
    root = env;
  else
    root = fresh_dir("fixture");
  write_results(root / "gpt2-like", synthetic_run("gpt2-like", 3, 4, 16, 2, 2, true));
  write_results(root / "llama-like", synthetic_run("llama-like", 2, 4, 32, 2, 1, true));
  EXPECT_EQ(read_results_folder(root / "gpt2-like").rows.size(), 3u * 4 * 2 * 2);
  EXPECT_EQ(read_results_folder(root / "llama-like").rows.size(), 2u * 4 * 2);
}

// Removes this process's temporary folders when the tests end.
namespace {
class CleanupTemp : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(fs::temp_directory_path() / ("logitrank_report_test_" + std::to_string(::getpid())), ec);
  }
};
[[maybe_unused]] ::testing::Environment* const cleanup_env =
    ::testing::AddGlobalTestEnvironment(new CleanupTemp);
}  // namespace
