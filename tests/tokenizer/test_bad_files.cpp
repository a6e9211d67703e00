// Bad tokenizer files: each gives one InputError line naming the file and the fault.
#include <unistd.h>

#include <fstream>
#include <functional>

#include "io/error.h"
#include "tok_test_util.h"

namespace logitrank::tokenizer::test {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir() {
  fs::path dir = fs::temp_directory_path() / ("logitrank_tok_bad_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}
fs::path write(const std::string& name, const std::string& bytes) {
  fs::path p = temp_dir() / name;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}
std::string open_error(const fs::path& p) {
  try {
    Tokenizer::open(p);
  } catch (const InputError& e) {
    std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << "multi-line message: " << m;
    return m;
  }
  return "<no InputError>";
}
void expect_has(const std::string& msg, const std::string& what) {
  EXPECT_NE(msg.find(what), std::string::npos) << "message \"" << msg << "\" lacks \"" << what << "\"";
}

const std::string kMini = R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]},
  "pre_tokenizer": null, "normalizer": null, "post_processor": null, "decoder": null, "added_tokens": []})";

TEST(BadTokenizer, MissingFileAndFolder) {
  expect_has(open_error("/nonexistent/tokenizer.json"), "/nonexistent/tokenizer.json");
  auto empty = temp_dir() / "emptydir";
  fs::create_directories(empty);
  auto m = open_error(empty);
  expect_has(m, empty.string());
  expect_has(m, "no tokenizer.json");
}

TEST(BadTokenizer, MalformedJson) {
  auto p = write("malformed/tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {");
  auto m = open_error(p);
  expect_has(m, p.string());
  expect_has(m, "malformed JSON");
  auto q = write("nomodel/tokenizer.json", "{\"version\": \"1.0\"}");
  expect_has(open_error(q), "no \"model\"");
}

TEST(BadTokenizer, UnknownModelTypeListsSupported) {
  auto p = write("unigram/tokenizer.json", R"({"model": {"type": "Unigram", "vocab": [["a", 0.0]]}})");
  auto m = open_error(p);
  expect_has(m, p.string());
  expect_has(m, "unknown model type \"Unigram\"");
  expect_has(m, "supported: BPE");
}

TEST(BadTokenizer, BadMergesAndVocab) {
  auto p =
      write("badmerge/tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a c"]}})");
  expect_has(open_error(p), "model.merges[0]");
  auto q =
      write("badvocab/tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"a": "x"}, "merges": []}})");
  expect_has(open_error(q), "model.vocab");
  auto r = write("nomerges/tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"a": 0}}})");
  expect_has(open_error(r), "model.merges");
}

TEST(BadTokenizer, UnknownNormalizerAndPreTokenizer) {
  auto n = nlohmann::json::parse(kMini);
  n["normalizer"] = {{"type", "Precompiled"}, {"precompiled_charsmap", "xx"}};
  auto m = open_error(write("badnorm/tokenizer.json", n.dump()));
  expect_has(m, "unsupported normalizer type \"Precompiled\"");
  auto pt = nlohmann::json::parse(kMini);
  pt["pre_tokenizer"] = {{"type", "UnicodeScripts"}};
  expect_has(open_error(write("badpre/tokenizer.json", pt.dump())),
             "unsupported pre_tokenizer type \"UnicodeScripts\"");
  auto re = nlohmann::json::parse(kMini);
  re["pre_tokenizer"] = {
      {"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}, {"invert", false}};
  expect_has(open_error(write("badregex/tokenizer.json", re.dump())), "bad regex");
}

TEST(BadTokenizer, MinimalFileWorks) {
  auto p = write("mini/tokenizer.json", kMini);
  auto t = Tokenizer::open(p);
  EXPECT_EQ(t->encode("abab"), (std::vector<int32_t>{2, 2}));
  EXPECT_EQ(t->encode("ba"), (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(t->bos_id(), std::nullopt);
  EXPECT_EQ(t->vocab_size(), 3);
  // Folder form finds tokenizer.json.
  EXPECT_EQ(Tokenizer::open(p.parent_path())->encode("ab"), (std::vector<int32_t>{2}));
}

TEST(BadTokenizer, TokenizerConfigDecidesBos) {
  auto j = nlohmann::json::parse(kMini);
  j["added_tokens"] = {{{"id", 3}, {"content", "<s>"}, {"special", true}}};
  j["model"]["vocab"]["<s>"] = 3;
  write("cfg/tokenizer.json", j.dump());
  write("cfg/tokenizer_config.json", R"({"add_bos_token": true, "bos_token": {"content": "<s>"}})");
  EXPECT_EQ(Tokenizer::open(temp_dir() / "cfg/tokenizer.json")->bos_id(), std::optional<int32_t>(3));
  write("cfg/tokenizer_config.json", R"({"add_bos_token": false, "bos_token": "<s>"})");
  EXPECT_EQ(Tokenizer::open(temp_dir() / "cfg/tokenizer.json")->bos_id(), std::nullopt);
  write("cfg/tokenizer_config.json", R"({"add_bos_token": true, "bos_token": "<missing>"})");
  expect_has(open_error(temp_dir() / "cfg/tokenizer.json"), "bos_token \"<missing>\"");
  write("cfg/tokenizer_config.json", "{not json");
  expect_has(open_error(temp_dir() / "cfg/tokenizer.json"), "tokenizer_config.json");
}

TEST(BadTokenizer, SentencePieceAndLlama2c) {
  auto sp = write("bad.model", "this is not a protobuf");
  auto m = open_error(sp);
  expect_has(m, sp.string());
  auto empty_bin = write("empty.bin", "");
  expect_has(open_error(empty_bin), empty_bin.string());
  // A truncated copy of the real llama2.c tokenizer.
  auto real = slurp(logitrank::testing::data_dir() / "tokenizers/mistral-7b-v0.1/tokenizer-llama2c.bin");
  ASSERT_GT(real.size(), 1000u);
  auto trunc = write("trunc.bin", real.substr(0, real.size() - 3));
  auto tm = open_error(trunc);
  expect_has(tm, trunc.string());
  expect_has(tm, "truncated");
  auto unknown = write("tok.xyz", "\x01\x02\x03");
  expect_has(open_error(unknown), "unknown tokenizer format");
}

}  // namespace
}  // namespace logitrank::tokenizer::test

namespace logitrank::tokenizer::test {
namespace {

TEST(FindTokenizer, BesideModels) {
  const auto data = logitrank::testing::data_dir();
  EXPECT_EQ(find_tokenizer_for_model(data / "models/gutenberg-gpt2-mini"),
            data / "models/gutenberg-gpt2-mini/tokenizer.json");
  auto dir = temp_dir() / "l2c";
  fs::create_directories(dir);
  write("l2c/model.bin", "xx");
  std::string msg;
  try {
    find_tokenizer_for_model(dir / "model.bin");
  } catch (const InputError& e) {
    msg = e.what();
  }
  expect_has(msg, "model.bin: no tokenizer found");
  write("l2c/tok512.bin", "yy");
  EXPECT_EQ(find_tokenizer_for_model(dir / "model.bin"), dir / "tok512.bin");
  write("l2c/tokenizer.model", "zz");
  EXPECT_EQ(find_tokenizer_for_model(dir / "model.bin"), dir / "tokenizer.model");
  EXPECT_THROW(find_tokenizer_for_model("/nonexistent/model"), InputError);
}

}  // namespace
}  // namespace logitrank::tokenizer::test
