// Whole books: the gutenberg minis' own tokenizer, and round trips on every family.
#include "tok_test_util.h"
#include "tokenizer/text_windows.h"

namespace logitrank::tokenizer::test {
namespace {

TEST(GutenbergMini, WindowTextGivesInputIds) {
  const auto data = logitrank::testing::data_dir();
  int checked = 0;
  for (const char* model : {"gutenberg-gpt2-mini", "gutenberg-llama-mini"}) {
    const auto dir = data / "models" / model;
    const auto& tok = cached(dir / "tokenizer.json");
    EXPECT_EQ(tok.bos_id(), std::nullopt) << model;  // add_bos_token: false
    EXPECT_EQ(tok.vocab_size(), 2048) << model;
    const auto expect = ids_of(load_json(dir / "input_ids.json"));
    ASSERT_EQ(expect.size(), 128u);
    EXPECT_EQ(tok.encode(slurp(dir / "window.txt")), expect) << model;
    // The first 128 tokens of dracula.txt are the same ids.
    const auto book = tok.encode(slurp(data / "texts/dracula.txt"));
    ASSERT_GE(book.size(), 128u);
    EXPECT_EQ(std::vector<int32_t>(book.begin(), book.begin() + 128), expect) << model;
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

TEST(GutenbergMini, BookTokenCountsFromReadme) {
  // README: alice 48,963 tokens, dracula 281,915.
  const auto data = logitrank::testing::data_dir();
  const auto& tok = cached(data / "models/gutenberg-gpt2-mini/tokenizer.json");
  EXPECT_EQ(tok.encode(slurp(data / "texts/alice_in_wonderland.txt")).size(), 48963u);
  EXPECT_EQ(tok.encode(slurp(data / "texts/dracula.txt")).size(), 281915u);
  // "1,535,555 in all" over the seven books.
  std::size_t total = 0;
  int books = 0;
  for (const auto& e : std::filesystem::directory_iterator(data / "texts")) {
    if (e.path().extension() != ".txt") continue;
    total += tok.encode(slurp(e.path())).size();
    ++books;
  }
  EXPECT_EQ(books, 7);
  EXPECT_EQ(total, 1535555u);
}

class BookRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(BookRoundTrip, DecodeEncodeIsIdentity) {
  const auto data = logitrank::testing::data_dir();
  const auto& tok = cached(data / GetParam());
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(data / "texts")) {
    if (e.path().extension() != ".txt") continue;
    const std::string text = slurp(e.path());
    const auto ids = tok.encode(text);
    ASSERT_FALSE(ids.empty());
    for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < tok.vocab_size()) << id;
    EXPECT_EQ(tok.decode(ids), text) << GetParam() << " " << e.path().filename();
    ++n;
  }
  EXPECT_EQ(n, 7);
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, BookRoundTrip,
                         ::testing::Values("tokenizers/gpt2/tokenizer.json",
                                           "tokenizers/llama3/tokenizer.json",
                                           "tokenizers/qwen2.5/tokenizer.json",
                                           "tokenizers/mistral-7b-v0.1/tokenizer.json",
                                           "tokenizers/mistral-7b-v0.1/tokenizer.model",
                                           "tokenizers/mistral-7b-v0.1/tokenizer-llama2c.bin",
                                           "models/gutenberg-gpt2-mini/tokenizer.json"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return s;
                         });

}  // namespace
}  // namespace logitrank::tokenizer::test
