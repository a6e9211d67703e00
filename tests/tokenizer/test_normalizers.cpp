// Normalizers and pre-tokenizer variants on real vocabularies, checked against an
// independent implementation of the same rule (SentencePiece, or Python-made NFC data).
#include <unistd.h>

#include <fstream>

#include "tok_test_util.h"
#include "tokenizer/normalize.h"

namespace logitrank::tokenizer::test {
namespace {

namespace fs = std::filesystem;

fs::path write_json(const std::string& name, const nlohmann::json& j) {
  fs::path dir = fs::temp_directory_path() / ("logitrank_tok_norm_" + std::to_string(::getpid())) / name;
  fs::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << j.dump();
  return dir / "tokenizer.json";
}

// The Llama-2 style tokenizer.json (normalizer Prepend + Replace, no pre-tokenizer) over
// Mistral's vocabulary must give SentencePiece's ids for text without special-token text.
TEST(Normalizers, PrependReplaceMatchesSentencePiece) {
  const auto data = logitrank::testing::data_dir();
  auto j = load_json(data / "tokenizers/mistral-7b-v0.1/tokenizer.json");
  j["normalizer"] = nlohmann::json::parse(R"({"type": "Sequence", "normalizers": [
      {"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]})");
  j["pre_tokenizer"] = nullptr;
  auto hf = Tokenizer::open(write_json("llama2style", j));
  const auto& sp = cached(data / "tokenizers/mistral-7b-v0.1/tokenizer.model");
  const auto g = load_json(data / "golden/tokenize/llama2c-mistral.json");
  int n = 0;
  for (const auto& c : g["cases"]) {
    const std::string name = c["name"], text = c["text"];
    if (name == "tricky:special_token_text" || name == "tricky:literal_metaspace_U+2581") continue;
    EXPECT_EQ(hf->encode(text), sp.encode(text)) << name;
    EXPECT_EQ(hf->decode(hf->encode(text)), text) << name;
    ++n;
  }
  EXPECT_EQ(n, 30);
}

// A vocab entry with U+2581 inside a word turns off the chunking of long words (bpe.h), so
// each text goes through the heap-based merge as one word; still SentencePiece's ids.
TEST(Normalizers, WholeTextAsOneWordMatchesSentencePiece) {
  const auto data = logitrank::testing::data_dir();
  auto j = load_json(data / "tokenizers/mistral-7b-v0.1/tokenizer.json");
  j["model"]["vocab"]["x\u2581y"] = 32000;
  auto hf = Tokenizer::open(write_json("nochunk", j));
  const auto& sp = cached(data / "tokenizers/mistral-7b-v0.1/tokenizer.model");
  const auto g = load_json(data / "golden/tokenize/llama2c-mistral.json");
  int n = 0;
  for (const auto& c : g["cases"]) {
    const std::string name = c["name"], text = c["text"];
    if (name.rfind("text:", 0) != 0) continue;
    EXPECT_EQ(hf->encode(text), sp.encode(text)) << name;
    ++n;
  }
  EXPECT_EQ(n, 7);
}

TEST(Normalizers, MetaspaceSplitAlwaysScheme) {
  const auto data = logitrank::testing::data_dir();
  auto j = load_json(data / "tokenizers/mistral-7b-v0.1/tokenizer.json");
  j["pre_tokenizer"] = nlohmann::json::parse(
      R"({"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": true})");
  auto split = Tokenizer::open(write_json("metaspace_split", j));
  const auto& base = cached(data / "tokenizers/mistral-7b-v0.1/tokenizer.json");
  // No vocab piece crosses a word start, so splitting changes nothing for text with single
  // spaces (runs of spaces split differently: "a  b" -> "a", "\u2581", "\u2581b").
  std::string text;
  for (char c : slurp(data / "texts/alice_in_wonderland.txt").substr(0, 20000))
    if (!(c == ' ' && !text.empty() && text.back() == ' ')) text += c;
  EXPECT_EQ(split->encode(text), base.encode(text));
  // "always" prepends after a special token too; "first" does not.
  EXPECT_EQ(split->encode("<s>Hello"), (std::vector<int32_t>{1, 22557}));
  EXPECT_NE(base.encode("<s>Hello"), split->encode("<s>Hello"));
}

TEST(Normalizers, UnicodeForms) {
  const std::string nfd =
      "Cafe\xCC\x81 Ha\xCC\x88"
      "ag\xEA\xB0\x80\xE1\x84\x80\xE1\x85\xA1";  // e+acute, a+diaeresis, Hangul
  EXPECT_EQ(unicode_normalize(nfd, NormalForm::NFC),
            "Caf\xC3\xA9 H\xC3\xA4"
            "ag\xEA\xB0\x80\xEA\xB0\x80");
  EXPECT_EQ(unicode_normalize("Caf\xC3\xA9", NormalForm::NFD), "Cafe\xCC\x81");
  EXPECT_EQ(unicode_normalize("\xEF\xAC\x81", NormalForm::NFKC), "fi");  // U+FB01 ligature
  EXPECT_EQ(unicode_normalize("\xEF\xAC\x81", NormalForm::NFC), "\xEF\xAC\x81");
  // Canonical reordering: dot below (220) before acute (230).
  EXPECT_EQ(unicode_normalize("q\xCC\x81\xCC\xA3", NormalForm::NFD), "q\xCC\xA3\xCC\x81");
  EXPECT_EQ(unicode_normalize("plain ascii", NormalForm::NFC), "plain ascii");
}

}  // namespace
}  // namespace logitrank::tokenizer::test
