// load_text (UTF-8 validation, Gutenberg stripping, sha256) and cut_windows.
#include <unistd.h>

#include <fstream>
#include <functional>

#include "io/error.h"
#include "io/sha256.h"
#include "tok_test_util.h"
#include "tokenizer/text_windows.h"
#include "tokenizer/token_ids.h"

namespace logitrank::tokenizer::test {
namespace {

namespace fs = std::filesystem;

fs::path write_temp(const std::string& name, const std::string& bytes) {
  fs::path dir = fs::temp_directory_path() / ("logitrank_tok_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path p = dir / name;
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "<no InputError>";
}

TEST(CutWindows, BosAndStride) {
  std::vector<int32_t> ids(100);
  for (int i = 0; i < 100; ++i) ids[i] = 1000 + i;
  auto w = cut_windows(ids, 10, 5, 3, 7, "t");
  ASSERT_EQ(w.size(), 3u);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(w[k].index, k);
    EXPECT_EQ(w[k].body_offset, 5 * k);
    ASSERT_EQ(w[k].ids.size(), 10u);
    EXPECT_EQ(w[k].ids[0], 7);
    for (int j = 1; j < 10; ++j) EXPECT_EQ(w[k].ids[j], 1000 + 5 * k + j - 1);
  }
}

TEST(CutWindows, NoBosNonOverlapping) {
  std::vector<int32_t> ids(30);
  for (int i = 0; i < 30; ++i) ids[i] = i;
  auto w = cut_windows(ids, 10, 10, 3, std::nullopt, "t");
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[2].body_offset, 20);
  EXPECT_EQ(w[2].ids.front(), 20);
  EXPECT_EQ(w[2].ids.back(), 29);
}

TEST(CutWindows, TooShortSaysHowMany) {
  std::vector<int32_t> ids(25, 3);
  EXPECT_EQ(error_of([&] { cut_windows(ids, 10, 10, 3, std::nullopt, "alice"); }),
            "text alice has 25 tokens; 3 windows of 10 with stride 10 need 30");
  // Exactly enough: (3-1)*8 + 9 = 25 body tokens with BOS.
  EXPECT_EQ(cut_windows(ids, 10, 8, 3, 1, "alice").size(), 3u);
  EXPECT_EQ(error_of([&] { cut_windows(ids, 10, 8, 4, 1, "alice"); }),
            "text alice has 25 tokens; 4 windows of 10 with stride 8 need 33");
}

TEST(CutWindows, RealTextWithLlama3Bos) {
  const auto data = logitrank::testing::data_dir();
  const auto& tok = cached(data / "tokenizers/llama3/tokenizer.json");
  auto text = load_text(data / "texts/alice_in_wonderland.txt");
  auto ids = tok.encode(text.body);
  auto w = cut_windows(ids, 64, 32, 4, tok.bos_id(), text.name);
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0].ids[0], 128000);
  EXPECT_EQ(std::vector<int32_t>(w[1].ids.begin() + 1, w[1].ids.end()),
            std::vector<int32_t>(ids.begin() + 32, ids.begin() + 32 + 63));
}

TEST(LoadText, BooksAreValidAndHashed) {
  const auto data = logitrank::testing::data_dir();
  int n = 0;
  for (const auto& e : fs::directory_iterator(data / "texts")) {
    if (e.path().extension() != ".txt") continue;
    auto t = load_text(e.path());
    EXPECT_FALSE(t.gutenberg_stripped) << e.path();  // these files carry no PG markers
    EXPECT_EQ(t.body, slurp(e.path()));
    EXPECT_EQ(t.file_bytes, fs::file_size(e.path()));
    EXPECT_EQ(t.sha256, io::sha256_file(e.path()));
    EXPECT_EQ(t.name, e.path().stem().string());
    ++n;
  }
  EXPECT_EQ(n, 7);
}

TEST(LoadText, StripsGutenbergHeaderAndFooter) {
  const std::string body = "Chapter 1\n\nIt was a dark and stormy night.\nThe end.\n";
  const std::string text =
      "\xEF\xBB\xBFThe Project Gutenberg eBook of Test, by Nobody\r\n\r\nThis eBook is for the use of "
      "anyone.\n\n"
      "*** START OF THE PROJECT GUTENBERG EBOOK TEST ***\n\n\n" +
      body +
      "\n\n\n*** END OF THE PROJECT GUTENBERG EBOOK TEST ***\n\nSection 1. General Terms of "
      "Use\nlicence...\n";
  auto p = write_temp("pg_test.txt", text);
  auto t = load_text(p);
  EXPECT_TRUE(t.gutenberg_stripped);
  EXPECT_EQ(t.body, body);
  EXPECT_EQ(t.file_bytes, text.size());
  EXPECT_EQ(t.sha256, io::sha256_hex(text));
  auto u = load_text(p, /*strip_gutenberg=*/false);
  EXPECT_FALSE(u.gutenberg_stripped);
  EXPECT_EQ(u.body, text);
}

TEST(LoadText, OlderMarkersAndNoMarkers) {
  auto p = write_temp("pg_old.txt",
                      "header\n***START OF THIS PROJECT GUTENBERG EBOOK X***\nbody line\nEnd of the Project "
                      "Gutenberg EBook of X\nlicence\n");
  auto t = load_text(p);
  EXPECT_TRUE(t.gutenberg_stripped);
  EXPECT_EQ(t.body, "body line\n");
  auto q = write_temp("plain.txt", "no markers here\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n");
  auto s = load_text(q);
  EXPECT_FALSE(s.gutenberg_stripped);
  EXPECT_EQ(s.body, "no markers here\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n");
}

TEST(LoadText, InvalidUtf8ReportsOffset) {
  auto p = write_temp("bad_utf8.txt", std::string("hello w\xC3\xB6rld, then \xE2\x82 bad"));
  auto msg = error_of([&] { load_text(p); });
  EXPECT_NE(msg.find("invalid UTF-8 at byte offset 19"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad_utf8.txt"), std::string::npos) << msg;
  auto q = write_temp("overlong.txt", std::string("ab\xC0\xAF"));
  EXPECT_NE(error_of([&] { load_text(q); }).find("byte offset 2"), std::string::npos);
  auto r = write_temp("surrogate.txt", std::string("abc\xED\xA0\x80"));
  EXPECT_NE(error_of([&] { load_text(r); }).find("byte offset 3"), std::string::npos);
  EXPECT_NE(error_of([&] { load_text("/nonexistent/text.txt"); }).find("/nonexistent/text.txt"),
            std::string::npos);
}

TEST(LoadText, EncodeRejectsInvalidUtf8) {
  const auto data = logitrank::testing::data_dir();
  int n = 0;
  for (const char* t : {"tokenizers/gpt2/tokenizer.json", "tokenizers/mistral-7b-v0.1/tokenizer.model",
                        "tokenizers/mistral-7b-v0.1/tokenizer-llama2c.bin"}) {
    auto msg = error_of([&] { cached(data / t).encode(std::string("ok \xFF")); });
    EXPECT_NE(msg.find("invalid UTF-8 at byte offset 3"), std::string::npos) << t << ": " << msg;
    ++n;
  }
  EXPECT_EQ(n, 3);
}

TEST(TokenIds, ParsesAndChecksVocabulary) {
  auto p = write_temp("ids.txt", " 1 2\n3\t50256 \n");
  EXPECT_EQ(read_token_ids(p, 50257), (std::vector<int32_t>{1, 2, 3, 50256}));
  EXPECT_EQ(read_token_ids(p, 0), (std::vector<int32_t>{1, 2, 3, 50256}));
  auto msg = error_of([&] { read_token_ids(p, 50000); });
  EXPECT_NE(msg.find("ids.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("token id 50256 at position 3"), std::string::npos) << msg;
  auto q = write_temp("ids_bad.txt", "1 2 x3 4");
  msg = error_of([&] { read_token_ids(q, 0); });
  EXPECT_NE(msg.find("entry 2 \"x3\""), std::string::npos) << msg;
  EXPECT_NE(error_of([&] { read_token_ids(write_temp("ids_neg.txt", "5 -1"), 0); }).find("entry 1"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_token_ids(write_temp("ids_empty.txt", " \n"), 0); }).find("no token ids"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_token_ids("/nonexistent/ids.txt", 0); }).find("/nonexistent/ids.txt"),
            std::string::npos);
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(io::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(io::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto p = write_temp("sha.txt", "abc");
  EXPECT_EQ(io::sha256_file(p), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_THROW(io::sha256_file("/nonexistent/x"), InputError);
}

}  // namespace
}  // namespace logitrank::tokenizer::test
