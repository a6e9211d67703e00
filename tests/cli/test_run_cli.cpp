// `logitrank run` through the built binary: values against the fixtures' goldens, resume from
// saved units (pre-seeded and after SIGTERM), refusing a different run, token-id and text input.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli_helpers.h"
#include "io/json_file.h"
#include "io/safetensors.h"
#include "test_data.h"

namespace fs = std::filesystem;
using namespace logitrank;

namespace {

using clitest::slurp;
using clitest::temp_dir;

pid_t spawn(const std::vector<std::string>& args, const fs::path& err_file) {
  return clitest::spawn_logitrank(args, err_file);
}
int wait_status(pid_t pid) { return clitest::wait_exit_status(pid); }
clitest::RunResult run(const std::vector<std::string>& args, const fs::path& tmp) {
  return clitest::run_logitrank(args, tmp);
}

const char* kCompared[] = {"heads.csv", "spectra.safetensors", "summary.json", "summary.md"};

void expect_same_outputs(const fs::path& a, const fs::path& b) {
  for (const char* f : kCompared) {
    ASSERT_TRUE(fs::exists(a / f)) << a / f;
    ASSERT_TRUE(fs::exists(b / f)) << b / f;
    EXPECT_TRUE(slurp(a / f) == slurp(b / f)) << f << " differs between " << a << " and " << b;
  }
}

std::vector<std::vector<std::string>> csv_rows(const fs::path& p) { return clitest::read_csv(p).rows; }

fs::path fixture(const std::string& name) { return logitrank::testing::fixtures_dir() / name; }

// A --qk file big enough that a dense run takes seconds (for the SIGTERM test).
void write_big_qk(const fs::path& path, int layers, int H, int Hkv, int L, int dh) {
  io::SafetensorsWriter w;
  uint64_t s = 12345;
  auto fill = [&](std::size_t n) {
    std::vector<double> v(n);
    for (auto& x : v) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      x = static_cast<double>(s >> 11) / static_cast<double>(1ULL << 53) - 0.5;
    }
    return v;
  };
  for (int l = 0; l < layers; ++l) {
    auto q = fill(static_cast<std::size_t>(H) * L * dh);
    auto k = fill(static_cast<std::size_t>(Hkv) * L * dh);
    w.add_f64("layer." + std::to_string(l) + ".q", {H, L, dh}, q);
    w.add_f64("layer." + std::to_string(l) + ".k", {Hkv, L, dh}, k);
  }
  w.write(path);
}

}  // namespace

TEST(RunCli, QkMatchesGoldens) {
  fs::path tmp = temp_dir("golden");
  fs::path dir = fixture("tiny-llama");
  ASSERT_TRUE(fs::exists(dir / "golden.safetensors"));
  auto r = run({"run", "--qk", (dir / "golden.safetensors").string(), "--out", (tmp / "out").string()}, tmp);
  ASSERT_EQ(r.status, 0) << r.err;
  auto golden = io::read_json_file(dir / "golden.json");
  auto rows = csv_rows(tmp / "out" / "heads.csv");
  ASSERT_EQ(rows.size(), 3u * 8);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    ASSERT_GE(row.size(), 16u);
    EXPECT_EQ(row[0], "tiny-llama");
    EXPECT_EQ(row[1], "golden");
    const auto& g = golden["heads"][i];
    EXPECT_EQ(std::stoi(row[3]), g["layer"].get<int>());
    EXPECT_EQ(std::stoi(row[4]), g["head"].get<int>());
    EXPECT_EQ(std::stoi(row[5]), g["kv_group"].get<int>());
    EXPECT_EQ(std::stoi(row[9]), g["field"]["k90"].get<int>()) << "row " << i;
    EXPECT_NEAR(std::stod(row[12]), g["field"]["erank"].get<double>(),
                1e-9 * g["field"]["erank"].get<double>());
  }
  // Spectra against the golden field_sv (first min(L, d_h) values).
  io::SafetensorsFile out(tmp / "out" / "spectra.safetensors");
  io::SafetensorsFile gold(dir / "golden.safetensors");
  for (int l = 0; l < 3; ++l) {
    const auto& t = out.at("tiny-llama/golden/0/layer." + std::to_string(l) + ".field_sv");
    ASSERT_EQ(t.shape, (std::vector<int64_t>{8, 8}));
    std::vector<double> got(64), want(8 * 24);
    io::convert_to(t, std::span<double>(got));
    io::convert_to(gold.at("layer." + std::to_string(l) + ".field_sv"), std::span<double>(want));
    for (int h = 0; h < 8; ++h)
      for (int i = 0; i < 8; ++i) EXPECT_NEAR(got[h * 8 + i], want[h * 24 + i], 1e-9 * want[h * 24] + 1e-12);
  }
  auto manifest = io::read_json_file(tmp / "out" / "manifest.json");
  EXPECT_EQ(manifest["ranks"], 1);
  EXPECT_EQ(manifest["units"]["total"], 3);
  EXPECT_EQ(manifest["inputs"]["texts"][0]["windows"][0]["ids"].size(), 24u);
  EXPECT_NE(r.err.find("[units 3/3] elapsed"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "out" / "softmax.csv"));
}

TEST(RunCli, SoftmaxCheckWritesEveryRank) {
  fs::path tmp = temp_dir("softmax");
  auto r = run({"run", "--qk", (fixture("tiny-qwen2") / "golden.safetensors").string(), "--softmax-check",
                "--layers", "1", "--out", (tmp / "out").string()},
               tmp);
  ASSERT_EQ(r.status, 0) << r.err;
  auto rows = csv_rows(tmp / "out" / "softmax.csv");
  ASSERT_EQ(rows.size(), 4u * 16);  // 4 heads x ranks 1..16, layer 1 only
  for (const auto& row : rows) {
    EXPECT_EQ(row[3], "1");
    EXPECT_LE(std::stod(row[6]), std::stod(row[8]) + 1e-12);  // tv_full <= bound_full
  }
}

TEST(RunCli, ResumeFromPreseededUnitsGivesIdenticalOutputs) {
  fs::path tmp = temp_dir("resume");
  std::vector<std::string> base = {"run", "--qk", (fixture("tiny-llama") / "golden.safetensors").string(),
                                   "--qk", (fixture("tiny-gpt2") / "golden.safetensors").string()};
  auto with_out = [&](const fs::path& out, bool resume) {
    auto a = base;
    a.insert(a.end(), {"--out", out.string()});
    if (resume) a.push_back("--resume");
    return a;
  };
  auto full = run(with_out(tmp / "full", false), tmp);
  ASSERT_EQ(full.status, 0) << full.err;
  // A "killed" run: only run.json and two of the five unit files made it to disk.
  fs::create_directories(tmp / "part" / "units");
  std::vector<fs::path> units;
  for (const auto& e : fs::directory_iterator(tmp / "full" / "units"))
    if (e.path().extension() == ".bin") units.push_back(e.path());
  std::sort(units.begin(), units.end());
  ASSERT_EQ(units.size(), 5u);
  fs::copy_file(tmp / "full" / "units" / "run.json", tmp / "part" / "units" / "run.json");
  fs::copy_file(units[1], tmp / "part" / "units" / units[1].filename());
  fs::copy_file(units[3], tmp / "part" / "units" / units[3].filename());
  auto resumed = run(with_out(tmp / "part", true), tmp);
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resumed 2 of 5 units"), std::string::npos) << resumed.err;
  expect_same_outputs(tmp / "full", tmp / "part");
  auto manifest = io::read_json_file(tmp / "part" / "manifest.json");
  EXPECT_EQ(manifest["units"]["resumed"], 2);

  // Resuming a finished run recomputes nothing and rewrites the same files.
  auto again = run(with_out(tmp / "part", true), tmp);
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.err.find("resumed 5 of 5 units"), std::string::npos) << again.err;
  expect_same_outputs(tmp / "full", tmp / "part");

  // A different run in the same folder is refused.
  auto other = base;
  other.insert(other.end(), {"--layers", "0", "--out", (tmp / "part").string(), "--resume"});
  auto diff = run(other, tmp);
  EXPECT_EQ(diff.status, 2);
  EXPECT_NE(diff.err.find("out dir holds a different run"), std::string::npos) << diff.err;
  EXPECT_EQ(std::count(diff.err.begin(), diff.err.end(), '\n'), 1) << diff.err;

  // --resume without --out is a usage error.
  auto no_out =
      run({"run", "--qk", (fixture("tiny-llama") / "golden.safetensors").string(), "--resume"}, tmp);
  EXPECT_EQ(no_out.status, 2);
  EXPECT_NE(no_out.err.find("--resume needs --out"), std::string::npos) << no_out.err;
}

TEST(RunCli, SigtermSavesFinishedUnitsAndResumeCompletes) {
  fs::path tmp = temp_dir("sigterm");
  fs::path qk = tmp / "big" / "qk.safetensors";
  fs::create_directories(qk.parent_path());
  write_big_qk(qk, 8, 4, 2, 700, 32);
  std::vector<std::string> args = {"run",   "--qk",  qk.string(),           "--method",
                                   "dense", "--out", (tmp / "out").string()};
  pid_t pid = spawn(args, tmp / "interrupted.err");
  ASSERT_GT(pid, 0);
  // Wait for the first saved unit, then interrupt.
  bool saw_unit = false;
  for (int i = 0; i < 12000 && !saw_unit; ++i) {
    std::error_code ec;
    if (fs::exists(tmp / "out" / "units", ec))
      for (const auto& e : fs::directory_iterator(tmp / "out" / "units", ec))
        if (e.path().extension() == ".bin") saw_unit = true;
    if (!saw_unit) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(saw_unit);
  kill(pid, SIGTERM);
  int st = wait_status(pid);
  std::string err = slurp(tmp / "interrupted.err");
  ASSERT_EQ(st, 3) << "the run finished before SIGTERM arrived or failed: " << err;
  EXPECT_NE(err.find("interrupted: "), std::string::npos) << err;
  EXPECT_NE(err.find(" of 8 units saved; rerun with --resume"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(tmp / "out" / "heads.csv"));  // final files only when every unit is done

  auto a2 = args;
  a2.push_back("--resume");
  auto resumed = run(a2, tmp);
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resumed "), std::string::npos) << resumed.err;

  auto a3 = args;
  a3[a3.size() - 1] = (tmp / "full").string();
  auto full = run(a3, tmp);
  ASSERT_EQ(full.status, 0) << full.err;
  expect_same_outputs(tmp / "full", tmp / "out");
}

TEST(RunCli, TokenIdsFormOneWindowAndTextWindowsCarryBos) {
  fs::path tmp = temp_dir("tokens");
  fs::path model = logitrank::testing::data_dir() / "models" / "gutenberg-llama-mini";
  ASSERT_TRUE(fs::exists(model)) << model;
  {
    std::ofstream f(tmp / "ids.txt");
    f << "5 17 42 99\n 3 8 13 21 34 55\n";
  }
  auto r = run({"run", "--model", model.string(), "--token-ids", (tmp / "ids.txt").string(), "--layers", "0",
                "--out", (tmp / "ids").string()},
               tmp);
  ASSERT_EQ(r.status, 0) << r.err;
  auto m = io::read_json_file(tmp / "ids" / "manifest.json");
  auto ids = m["inputs"]["texts"][0]["windows"][0]["ids"];
  EXPECT_EQ(ids, nlohmann::json({5, 17, 42, 99, 3, 8, 13, 21, 34, 55}));
  auto rows = csv_rows(tmp / "ids" / "heads.csv");
  ASSERT_FALSE(rows.empty());
  for (const auto& row : rows) {
    EXPECT_EQ(row[1], "ids");
    EXPECT_EQ(row[3], "0");
    EXPECT_EQ(row[7], "10");        // seq_len
    EXPECT_FALSE(row[17].empty());  // weight_k90 present for model input
  }

  fs::path text = logitrank::testing::data_dir() / "texts" / "alice_in_wonderland.txt";
  auto with_bos = run({"run", "--model", model.string(), "--text", text.string(), "--seq-len", "32",
                       "--windows", "2", "--layers", "0", "--out", (tmp / "bos").string()},
                      tmp);
  ASSERT_EQ(with_bos.status, 0) << with_bos.err;
  auto no_bos = run({"run", "--model", model.string(), "--text", text.string(), "--seq-len", "32",
                     "--windows", "2", "--layers", "0", "--no-bos", "--out", (tmp / "nobos").string()},
                    tmp);
  ASSERT_EQ(no_bos.status, 0) << no_bos.err;
  auto tb = io::read_json_file(tmp / "bos" / "manifest.json")["inputs"]["texts"][0];
  auto tn = io::read_json_file(tmp / "nobos" / "manifest.json")["inputs"]["texts"][0];
  ASSERT_EQ(tb["windows"].size(), 2u);
  ASSERT_EQ(tb["windows"][0]["ids"].size(), 32u);
  ASSERT_EQ(tn["windows"][0]["ids"].size(), 32u);
  if (!tb["bos"].is_null()) {
    EXPECT_EQ(tb["windows"][0]["ids"][0], tb["bos"]);
    EXPECT_EQ(tb["windows"][1]["ids"][0], tb["bos"]);
    EXPECT_EQ(tb["windows"][0]["ids"][1], tn["windows"][0]["ids"][0]);  // BOS, then the same body
  }
  EXPECT_TRUE(tn["bos"].is_null());
  EXPECT_TRUE(tb.contains("sha256"));
  EXPECT_TRUE(tb.contains("gutenberg_stripped"));
  auto rows2 = csv_rows(tmp / "bos" / "heads.csv");
  EXPECT_EQ(rows2.size() % 2, 0u);
  EXPECT_FALSE(rows2.empty());
}
