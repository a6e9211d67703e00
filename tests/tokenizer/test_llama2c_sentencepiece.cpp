// llama2.c tokenizer.bin (run.c encode) and SentencePiece .model goldens.
#include "tok_test_util.h"

namespace logitrank::tokenizer::test {
namespace {

const nlohmann::json& golden() {
  static const auto g = load_json(logitrank::testing::data_dir() / "golden/tokenize/llama2c-mistral.json");
  return g;
}

TEST(Llama2c, EveryCaseMatchesRunC) {
  const auto data = logitrank::testing::data_dir();
  const auto& tok = cached(data / "tokenizers/mistral-7b-v0.1/tokenizer-llama2c.bin");
  EXPECT_EQ(tok.kind(), "llama2c");
  EXPECT_EQ(tok.vocab_size(), 32000);
  EXPECT_EQ(tok.bos_id(), std::optional<int32_t>(1));
  int n = 0;
  for (const auto& c : golden()["cases"]) {
    const std::string text = c["text"];
    EXPECT_EQ(with_bos(tok, tok.encode(text)), ids_of(c["ids_llama2c"])) << c["name"];
    ++n;
  }
  EXPECT_EQ(n, 32);
}

TEST(Llama2c, DecodeRoundTrips) {
  const auto& tok =
      cached(logitrank::testing::data_dir() / "tokenizers/mistral-7b-v0.1/tokenizer-llama2c.bin");
  int n = 0;
  for (const auto& c : golden()["cases"]) {
    const std::string text = c["text"];
    EXPECT_EQ(tok.decode(ids_of(c["ids_llama2c"])), text) << c["name"];
    ++n;
  }
  EXPECT_GT(n, 0);
}

TEST(SentencePiece, EveryCaseMatches) {
  const auto data = logitrank::testing::data_dir();
  const auto& tok = cached(data / "tokenizers/mistral-7b-v0.1/tokenizer.model");
  EXPECT_EQ(tok.kind(), "sentencepiece");
  EXPECT_EQ(tok.vocab_size(), 32000);
  EXPECT_EQ(tok.bos_id(), std::optional<int32_t>(1));
  int n = 0;
  for (const auto& c : golden()["cases"]) {
    const std::string text = c["text"];
    auto ids = with_bos(tok, tok.encode(text));
    EXPECT_EQ(ids, ids_of(c["ids_sentencepiece"])) << c["name"];
    ++n;
  }
  EXPECT_EQ(n, 32);
}

TEST(SentencePiece, AgreesWithHfJsonOnBooks) {
  // tokenizer.model and tokenizer.json describe the same Mistral vocabulary.
  const auto data = logitrank::testing::data_dir();
  const auto& sp = cached(data / "tokenizers/mistral-7b-v0.1/tokenizer.model");
  const auto& hf = cached(data / "tokenizers/mistral-7b-v0.1/tokenizer.json");
  int n = 0;
  for (const auto& c : golden()["cases"]) {
    if (c["name"].get<std::string>().rfind("text:", 0) != 0) continue;
    const std::string text = c["text"];
    EXPECT_EQ(sp.encode(text), hf.encode(text)) << c["name"];
    EXPECT_EQ(sp.decode(sp.encode(text)), text) << c["name"];
    ++n;
  }
  EXPECT_EQ(n, 7);
}

}  // namespace
}  // namespace logitrank::tokenizer::test
