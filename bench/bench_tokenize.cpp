// Tokenizer throughput: all of texts/moby_dick.txt with each tokenizer, single-threaded.
// Prints a plain table (MB/s = 1e6 bytes per second of encode(), best of --reps runs;
// the word cache is cleared only by reopening, so run 1 is "cold" and later runs "warm").
// Usage: bench_tokenize [DATA_DIR] [--reps N]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  using clk = std::chrono::steady_clock;
  fs::path data = LOGITRANK_DATA_DEFAULT;
  if (const char* env = std::getenv("LOGITRANK_DATA"); env && *env) data = env;
  int reps = 3;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--reps") && i + 1 < argc)
      reps = std::atoi(argv[++i]);
    else
      data = argv[i];
  }
  std::ifstream in(data / "texts/moby_dick.txt", std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "bench_tokenize: cannot read %s\n", (data / "texts/moby_dick.txt").c_str());
    return 2;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const double mb = text.size() / 1e6;

  const std::vector<std::pair<const char*, const char*>> toks = {
      {"gpt2 (tokenizer.json)", "tokenizers/gpt2/tokenizer.json"},
      {"llama3 (tokenizer.json)", "tokenizers/llama3/tokenizer.json"},
      {"qwen2.5 (tokenizer.json)", "tokenizers/qwen2.5/tokenizer.json"},
      {"mistral (tokenizer.json)", "tokenizers/mistral-7b-v0.1/tokenizer.json"},
      {"mistral (sentencepiece .model)", "tokenizers/mistral-7b-v0.1/tokenizer.model"},
      {"mistral (llama2.c .bin)", "tokenizers/mistral-7b-v0.1/tokenizer-llama2c.bin"},
      {"gutenberg-gpt2-mini", "models/gutenberg-gpt2-mini/tokenizer.json"},
  };
  std::printf("moby_dick.txt: %.3f MB, single-threaded, %d reps\n\n", mb, reps);
  std::printf("| tokenizer | load s | tokens | cold MB/s | warm MB/s |\n|---|---:|---:|---:|---:|\n");
  for (const auto& [name, rel] : toks) {
    auto t0 = clk::now();
    auto tok = logitrank::tokenizer::Tokenizer::open(data / rel);
    double load = std::chrono::duration<double>(clk::now() - t0).count();
    double cold = 0, best = 1e30;
    std::size_t n = 0;
    for (int r = 0; r < reps; ++r) {
      auto a = clk::now();
      auto ids = tok->encode(text);
      double s = std::chrono::duration<double>(clk::now() - a).count();
      if (r == 0) cold = s;
      best = std::min(best, s);
      n = ids.size();
    }
    std::printf("| %s | %.2f | %zu | %.2f | %.2f |\n", name, load, n, mb / cold, mb / best);
    std::fflush(stdout);
  }
  return 0;
}
