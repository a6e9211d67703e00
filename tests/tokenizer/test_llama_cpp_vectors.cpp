// llama.cpp's tokenizer test vectors (HF transformers encode, add_special_tokens=False).
#include "tok_test_util.h"

namespace logitrank::tokenizer::test {
namespace {

std::vector<std::string> split_inputs(const std::string& s) {
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (std::size_t f; (f = s.find(sep, pos)) != std::string::npos; pos = f + sep.size())
    out.push_back(s.substr(pos, f - pos));
  if (pos < s.size()) out.push_back(s.substr(pos));
  return out;
}

std::vector<std::vector<int32_t>> read_outputs(const std::string& s) {
  std::vector<std::vector<int32_t>> out;
  std::istringstream lines(s);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream ls(line);
    std::vector<int32_t> ids;
    for (int32_t v; ls >> v;) ids.push_back(v);
    out.push_back(std::move(ids));
  }
  return out;
}

struct Vec {
  const char* gguf;
  const char* tokenizer;
};
class LlamaCppVectors : public ::testing::TestWithParam<Vec> {};

TEST_P(LlamaCppVectors, AllMatch) {
  const auto data = logitrank::testing::data_dir();
  const auto dir = data / "golden/llama_cpp_vocab_tests";
  const std::string base = std::string("ggml-vocab-") + GetParam().gguf + ".gguf";
  const auto inputs = split_inputs(slurp(dir / (base + ".inp")));
  const auto outputs = read_outputs(slurp(dir / (base + ".out")));
  ASSERT_GT(inputs.size(), 0u);
  ASSERT_EQ(inputs.size(), outputs.size());
  const auto& tok = cached(data / "tokenizers" / GetParam().tokenizer / "tokenizer.json");
  int pass = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    auto ids = tok.encode(inputs[i]);
    EXPECT_EQ(ids, outputs[i]) << base << " input " << i << ": \"" << inputs[i] << "\"";
    pass += ids == outputs[i];
  }
  EXPECT_EQ(pass, static_cast<int>(inputs.size()));
}

INSTANTIATE_TEST_SUITE_P(Vocabs, LlamaCppVectors,
                         ::testing::Values(Vec{"gpt-2", "gpt2"}, Vec{"llama-bpe", "llama3"},
                                           Vec{"qwen2", "qwen2.5"}),
                         [](const auto& info) {
                           std::string s = info.param.tokenizer;
                           for (char& c : s)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return s;
                         });

}  // namespace
}  // namespace logitrank::tokenizer::test
