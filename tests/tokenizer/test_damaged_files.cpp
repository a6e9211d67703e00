// Damaged copies of real tokenizer files: open() (and encode on success) either works or
// throws InputError -- never another exception, never a crash. Deterministic seeds.
#include <unistd.h>

#include <fstream>
#include <random>

#include "io/error.h"
#include "tok_test_util.h"

namespace logitrank::tokenizer::test {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int ok = 0, input_error = 0;
};

void try_open(const fs::path& p, Outcome& o) {
  try {
    auto t = Tokenizer::open(p);
    (void)t->encode("Hello world, it is 3 o'clock.\n  Caf\xC3\xA9 <|endoftext|>");
    ++o.ok;
  } catch (const InputError&) {
    ++o.input_error;
  } catch (const std::exception& e) {
    ADD_FAILURE() << p << ": non-input exception: " << e.what();
  }
}

Outcome damage(const fs::path& src, const std::string& ext, int n, uint32_t seed) {
  const std::string orig = slurp(src);
  fs::path dir = fs::temp_directory_path() / ("logitrank_tok_damage_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::mt19937 rng(seed);
  Outcome o;
  for (int i = 0; i < n; ++i) {
    std::string b = orig;
    switch (i % 3) {
      case 0:
        b.resize(std::uniform_int_distribution<std::size_t>(0, b.size() - 1)(rng));
        break;  // truncate
      case 1:
        for (int k = 0; k < 8; ++k)
          b[std::uniform_int_distribution<std::size_t>(0, b.size() - 1)(rng)] ^= char(1 << (k % 8));
        break;
      case 2: {  // drop a chunk from the middle
        std::size_t a = std::uniform_int_distribution<std::size_t>(0, b.size() - 1)(rng);
        b.erase(a, std::min<std::size_t>(b.size() - a, 1 + rng() % 200));
        break;
      }
    }
    fs::path p = dir / ("t" + std::to_string(i) + ext);
    std::ofstream(p, std::ios::binary) << b;
    try_open(p, o);
  }
  return o;
}

TEST(DamagedFiles, HfJson) {
  auto o =
      damage(logitrank::testing::data_dir() / "models/gutenberg-gpt2-mini/tokenizer.json", ".json", 60, 1);
  EXPECT_EQ(o.ok + o.input_error, 60);
  EXPECT_GT(o.input_error, 10);
}

TEST(DamagedFiles, Llama2cBin) {
  auto o = damage(logitrank::testing::data_dir() / "tokenizers/mistral-7b-v0.1/tokenizer-llama2c.bin", ".bin",
                  30, 2);
  EXPECT_EQ(o.ok + o.input_error, 30);
  EXPECT_GT(o.input_error, 5);
}

TEST(DamagedFiles, SentencePieceModel) {
  auto o =
      damage(logitrank::testing::data_dir() / "tokenizers/mistral-7b-v0.1/tokenizer.model", ".model", 30, 3);
  EXPECT_EQ(o.ok + o.input_error, 30);
  EXPECT_GT(o.input_error, 5);
}

TEST(DamagedFiles, WrongJsonTypes) {
  auto j = load_json(logitrank::testing::data_dir() / "tokenizers/mistral-7b-v0.1/tokenizer.json");
  fs::path dir = fs::temp_directory_path() / ("logitrank_tok_types_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  int n = 0;
  Outcome o;
  for (const char* ptr :
       {"/decoder/decoders/3/start", "/post_processor/special_tokens/<s>/ids/0", "/added_tokens/0/id",
        "/pre_tokenizer/replacement", "/model/merges/0", "/model/byte_fallback", "/post_processor/single"}) {
    auto k = j;
    k[nlohmann::json::json_pointer(ptr)] = "oops";
    fs::path p = dir / ("types" + std::to_string(n++) + ".json");
    std::ofstream(p) << k.dump();
    try_open(p, o);
  }
  EXPECT_EQ(o.ok + o.input_error, n);
  EXPECT_GE(o.input_error, 4);
}

}  // namespace
}  // namespace logitrank::tokenizer::test
