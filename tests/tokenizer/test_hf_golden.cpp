// Exact id-for-id agreement with the HF Rust tokenizers goldens (golden/tokenize/<family>.json).
#include "tok_test_util.h"

namespace logitrank::tokenizer::test {
namespace {

class HfGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(HfGolden, EveryCaseMatches) {
  const auto data = logitrank::testing::data_dir();
  const auto g = load_json(data / "golden/tokenize" / (GetParam() + ".json"));
  const auto& tok = cached(data / "tokenizers" / GetParam() / "tokenizer.json");
  ASSERT_TRUE(g.contains("cases"));
  int n = 0, decoded_checked = 0;
  for (const auto& c : g["cases"]) {
    const std::string text = c["text"];
    const std::string name = c["name"];
    const auto ids = tok.encode(text);
    EXPECT_EQ(ids, ids_of(c["ids"])) << GetParam() << " " << name;
    EXPECT_EQ(with_bos(tok, ids), ids_of(c["ids_with_special"])) << GetParam() << " " << name;
    if (c.contains("decoded")) {
      EXPECT_EQ(tok.decode(ids_of(c["ids"])), c["decoded"].get<std::string>()) << GetParam() << " " << name;
      ++decoded_checked;
    }
    ++n;
  }
  EXPECT_GT(n, 0) << "no cases in " << GetParam();
  EXPECT_EQ(decoded_checked, n);
  RecordProperty("cases", n);
}

INSTANTIATE_TEST_SUITE_P(Families, HfGolden,
                         ::testing::Values("gpt2", "llama3", "qwen2.5", "qwen3", "mistral-7b-v0.1"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return s;
                         });

TEST(HfGolden, BosIdsFromTheFiles) {
  const auto t = logitrank::testing::data_dir() / "tokenizers";
  EXPECT_EQ(cached(t / "llama3/tokenizer.json").bos_id(), std::optional<int32_t>(128000));
  EXPECT_EQ(cached(t / "mistral-7b-v0.1/tokenizer.json").bos_id(), std::optional<int32_t>(1));
  EXPECT_EQ(cached(t / "gpt2/tokenizer.json").bos_id(), std::nullopt);
  EXPECT_EQ(cached(t / "qwen2.5/tokenizer.json").bos_id(), std::nullopt);
  EXPECT_EQ(cached(t / "qwen3/tokenizer.json").bos_id(), std::nullopt);
  EXPECT_EQ(cached(t / "gpt2/tokenizer.json").vocab_size(), 50257);
  EXPECT_EQ(cached(t / "llama3/tokenizer.json").vocab_size(), 128256);
  EXPECT_EQ(cached(t / "mistral-7b-v0.1/tokenizer.json").vocab_size(), 32000);
  EXPECT_EQ(cached(t / "qwen2.5/tokenizer.json").vocab_size(), 151665);
  EXPECT_EQ(cached(t / "gpt2/tokenizer.json").kind(), "hf-bpe");
}

}  // namespace
}  // namespace logitrank::tokenizer::test
