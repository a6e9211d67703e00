#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "dist/run.h"
#include "dist/run_config.h"
#include "io/error.h"

namespace fs = std::filesystem;
using namespace logitrank;
using namespace logitrank::dist;

namespace {

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("logitrank_test_dist_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

fs::path write(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
  return p;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

}  // namespace

TEST(RunConfig, UnknownKeySuggestsNearest) {
  fs::path d = temp_dir("unknown");
  fs::path cfgf = write(d / "x.yaml", "seqlen: 128\n");
  RunConfig cfg;
  std::string msg = error_of([&] { load_config_file(cfg, cfgf); });
  EXPECT_EQ(msg, cfgf.string() + ": unknown key 'seqlen' (did you mean 'seq_len'?)");
  EXPECT_EQ(error_of([&] { apply_set(cfg, "metod=dense"); }),
            "--set: unknown key 'metod' (did you mean 'method'?)");
  // Nothing close: no suggestion.
  EXPECT_EQ(error_of([&] { apply_set(cfg, "zzzzzzzzzzzz=1"); }), "--set: unknown key 'zzzzzzzzzzzz'");
  // Unknown key inside a model entry.
  fs::path m = write(d / "m.yaml", "models:\n  - {name: a, pth: /x}\n");
  EXPECT_NE(error_of([&] { load_config_file(cfg, m); }).find("unknown key 'pth' (did you mean 'path'?)"),
            std::string::npos);
}

TEST(RunConfig, EditDistance) {
  EXPECT_EQ(edit_distance("seqlen", "seq_len"), 1);
  EXPECT_EQ(edit_distance("", "abc"), 3);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3);
  EXPECT_EQ(nearest("windwos", config_keys()), "windows");
}

TEST(RunConfig, FullFileParses) {
  fs::path d = temp_dir("full");
  ::setenv("LOGITRANK_TEST_DIR", d.c_str(), 1);
  ::unsetenv("LOGITRANK_TEST_UNSET");
  fs::path cfgf = write(d / "run.yaml",
                        "models:\n"
                        "  - ${LOGITRANK_TEST_DIR}/gpt2\n"
                        "  - {name: ll, path: /m/llama, tokenizer: /t/tok.json}\n"
                        "  - {qk: q.safetensors}\n"
                        "texts: [a.txt, {name: bee, path: \"${LOGITRANK_TEST_UNSET:-/texts}/b.txt\"}]\n"
                        "token_ids: [ids.txt]\n"
                        "seq_len: 256\nwindows: 3\nstride: 128\nlayers: 0-2,5\nmethod: dense\n"
                        "softmax_check: true\nsoftmax_ranks: [4, 1, 4]\nbos: false\nstrip_gutenberg: no\n"
                        "out: ${LOGITRANK_TEST_DIR}/out\nthreads: 2\n");
  RunConfig cfg;
  load_config_file(cfg, cfgf);
  ASSERT_EQ(cfg.models.size(), 3u);
  EXPECT_EQ(cfg.models[0].path, d / "gpt2");
  EXPECT_EQ(cfg.models[1].name, "ll");
  EXPECT_EQ(cfg.models[1].tokenizer, "/t/tok.json");
  EXPECT_EQ(cfg.models[2].qk, "q.safetensors");
  ASSERT_EQ(cfg.texts.size(), 2u);
  EXPECT_EQ(cfg.texts[1].name, "bee");
  EXPECT_EQ(cfg.texts[1].path, "/texts/b.txt");
  ASSERT_EQ(cfg.token_ids.size(), 1u);
  EXPECT_EQ(cfg.seq_len, 256);
  EXPECT_EQ(cfg.windows, 3);
  EXPECT_EQ(cfg.stride, 128);
  EXPECT_EQ(cfg.layers, "0-2,5");
  EXPECT_EQ(cfg.method, "dense");
  EXPECT_TRUE(cfg.softmax_check);
  EXPECT_EQ(cfg.softmax_ranks, (std::vector<int>{1, 4}));
  EXPECT_FALSE(cfg.bos);
  EXPECT_FALSE(cfg.strip_gutenberg);
  EXPECT_EQ(cfg.out, d / "out");
  EXPECT_EQ(cfg.threads, 2);
}

TEST(RunConfig, VariableExpansion) {
  ::setenv("LOGITRANK_TEST_X", "ex", 1);
  ::unsetenv("LOGITRANK_TEST_NOPE");
  EXPECT_EQ(expand_vars("a/${LOGITRANK_TEST_X}/b", "k"), "a/ex/b");
  EXPECT_EQ(expand_vars("${LOGITRANK_TEST_NOPE:-x}", "k"), "x");
  EXPECT_EQ(expand_vars("${LOGITRANK_TEST_X:-x}", "k"), "ex");
  EXPECT_EQ(expand_vars("${LOGITRANK_TEST_NOPE:-${LOGITRANK_TEST_X}}/y", "k"), "ex/y");
  EXPECT_EQ(expand_vars("no vars $HOME", "k"), "no vars $HOME");
  EXPECT_EQ(error_of([] { expand_vars("${LOGITRANK_TEST_NOPE}/a", "cfg: key 'texts'"); }),
            "cfg: key 'texts': undefined variable ${LOGITRANK_TEST_NOPE} in '${LOGITRANK_TEST_NOPE}/a'");
  EXPECT_NE(error_of([] { expand_vars("${OPEN", "k"); }).find("unterminated"), std::string::npos);
}

TEST(RunConfig, DataAndModelsDefaults) {
  ::setenv("LOGITRANK_DATA", "/some/data", 1);
  ::unsetenv("LOGITRANK_MODELS");
  EXPECT_EQ(expand_vars("${LOGITRANK_DATA}/texts", "k"), "/some/data/texts");
  EXPECT_EQ(expand_vars("${LOGITRANK_MODELS}/gpt2", "k"), "/some/data/models/gpt2");
  ::unsetenv("LOGITRANK_DATA");
  fs::path d = default_data_dir();
  EXPECT_FALSE(d.empty());
  EXPECT_EQ(expand_vars("${LOGITRANK_MODELS}", "k"), (d / "models").string());
}

TEST(RunConfig, SetOverridesAndFlagsWin) {
  fs::path d = temp_dir("set");
  fs::path cfgf = write(d / "c.yaml", "seq_len: 64\nmethod: dense\nlayers: all\ntexts: [a.txt]\n");
  RunRequest req;
  req.config = cfgf;
  req.sets = {"seq_len=128", "layers=[0, 3]", "softmax_ranks=[2,1]", "bos=false"};
  req.method = "factored";
  RunConfig cfg = resolve_config(req);
  EXPECT_EQ(cfg.seq_len, 128);
  EXPECT_EQ(cfg.layers, "0,3");
  EXPECT_EQ(cfg.softmax_ranks, (std::vector<int>{1, 2}));
  EXPECT_FALSE(cfg.bos);
  EXPECT_EQ(cfg.method, "factored");  // the flag wins over the file
  ASSERT_EQ(cfg.texts.size(), 1u);
  req.texts = {"b.txt", "c.txt"};  // --text replaces the config's texts
  req.seq_len = 32;                // and --seq-len wins over --set
  cfg = resolve_config(req);
  EXPECT_EQ(cfg.seq_len, 32);
  ASSERT_EQ(cfg.texts.size(), 2u);
  EXPECT_EQ(cfg.texts[0].path, "b.txt");
  req.sets = {"seq_len=abc"};
  EXPECT_NE(error_of([&] { resolve_config(req); }).find("expected an integer, got 'abc'"), std::string::npos);
  req.sets = {"noequals"};
  EXPECT_NE(error_of([&] { resolve_config(req); }).find("expected key=value"), std::string::npos);
  req.sets = {};
  req.method = "svd";
  EXPECT_NE(error_of([&] { resolve_config(req); }).find("unknown method 'svd'"), std::string::npos);
}

TEST(RunConfig, ModelsFromFlagsReplaceConfig) {
  fs::path d = temp_dir("models");
  fs::path cfgf = write(d / "c.yaml", "models: [/a, /b]\n");
  RunRequest req;
  req.config = cfgf;
  EXPECT_EQ(resolve_config(req).models.size(), 2u);
  req.qk = {"q.safetensors"};
  req.tokenizer = "/tok";
  RunConfig cfg = resolve_config(req);
  ASSERT_EQ(cfg.models.size(), 1u);
  EXPECT_EQ(cfg.models[0].qk, "q.safetensors");
  EXPECT_EQ(cfg.models[0].tokenizer, "/tok");
}

TEST(RunConfig, LayerSpecs) {
  EXPECT_EQ(parse_layer_spec("all", 4, "w"), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(parse_layer_spec("0-2", 12, "w"), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(parse_layer_spec("0,3,11", 12, "w"), (std::vector<int>{0, 3, 11}));
  EXPECT_EQ(parse_layer_spec("5, 0-1,1", 12, "w"), (std::vector<int>{0, 1, 5}));
  EXPECT_TRUE(parse_layer_spec("0-999999", -1, "w").empty());  // syntax only
  EXPECT_EQ(error_of([] { parse_layer_spec("0,12", 12, "--layers"); }),
            "--layers: layer 12 out of range (the model has 12 layers, 0-11)");
  EXPECT_NE(error_of([] { parse_layer_spec("3-1", 12, "w"); }).find("descending"), std::string::npos);
  EXPECT_NE(error_of([] { parse_layer_spec("a", 12, "w"); }).find("not a layer number"), std::string::npos);
  EXPECT_NE(error_of([] { parse_layer_spec("", 12, "w"); }).find("bad layer spec"), std::string::npos);
  EXPECT_NE(error_of([] { parse_layer_spec("1,", 12, "w"); }).find("bad layer spec"), std::string::npos);
}

TEST(RunConfig, BadValues) {
  RunConfig cfg;
  EXPECT_NE(error_of([&] { apply_set(cfg, "windows=0"); }).find("out of range"), std::string::npos);
  EXPECT_NE(error_of([&] { apply_set(cfg, "bos=maybe"); }).find("expected true or false"), std::string::npos);
  EXPECT_NE(error_of([&] { apply_set(cfg, "method=svd"); }).find("unknown method"), std::string::npos);
  fs::path d = temp_dir("bad");
  fs::path f = write(d / "bad.yaml", "seq_len: [1\n");
  EXPECT_NE(error_of([&] { load_config_file(cfg, f); }).find("invalid YAML"), std::string::npos);
  EXPECT_EQ(error_of([&] { load_config_file(cfg, d / "missing.yaml"); }),
            (d / "missing.yaml").string() + ": no such file");
  fs::path m = write(d / "m.yaml", "models:\n  - {name: a}\n");
  EXPECT_NE(error_of([&] { load_config_file(cfg, m); }).find("exactly one of 'path' or 'qk'"),
            std::string::npos);
}

TEST(RunConfig, JsonEcho) {
  RunConfig cfg;
  apply_set(cfg, "seq_len=99");
  auto j = cfg.to_json();
  EXPECT_EQ(j["seq_len"], 99);
  EXPECT_EQ(j["method"], "factored");
  EXPECT_EQ(j["softmax_ranks"], "all");
  EXPECT_TRUE(j["stride"].is_null());
}
