#pragma once
// Text -> token ids exactly as each family's own tokenizer files say.
// Formats: Hugging Face tokenizer.json (byte-level BPE; Metaspace/byte-fallback BPE),
// SentencePiece .model, llama2.c tokenizer .bin.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace logitrank::tokenizer {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // `path`: a tokenizer file, or a folder holding tokenizer.json / tokenizer.model /
  // tokenizer.bin. Throws InputError naming the file and what is wrong.
  static std::unique_ptr<Tokenizer> open(const std::filesystem::path& path);

  // Ids without the post-processor's special tokens (HF add_special_tokens=false).
  virtual std::vector<int32_t> encode(std::string_view text) const = 0;
  // The BOS id the tokenizer's own files say to prepend, or nullopt (GPT-2, Qwen2, ...).
  virtual std::optional<int32_t> bos_id() const = 0;
  virtual std::string decode(std::span<const int32_t> ids) const = 0;
  virtual int64_t vocab_size() const = 0;
  virtual std::string kind() const = 0;  // "hf-bpe", "sentencepiece", "llama2c" ...
};

// The tokenizer that goes with a model, for `run --model` without --tokenizer: in an HF
// checkpoint folder its tokenizer.json, tokenizer.model or tokenizer.bin (in that order);
// beside a llama2.c .bin checkpoint the same names, then tok*.bin. Throws InputError
// naming the model when there is none. Open the result with Tokenizer::open.
std::filesystem::path find_tokenizer_for_model(const std::filesystem::path& model);

}  // namespace logitrank::tokenizer
