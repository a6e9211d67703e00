#pragma once
// Internal: the concrete tokenizer formats behind Tokenizer::open.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "tokenizer/tokenizer.h"

namespace logitrank::tokenizer {

std::unique_ptr<Tokenizer> open_hf_json(const std::filesystem::path& path);
std::unique_ptr<Tokenizer> open_sentencepiece(const std::filesystem::path& path);
std::unique_ptr<Tokenizer> open_llama2c(const std::filesystem::path& path);

// tokenizer_config.json beside `tokenizer_file`: what it says about BOS.
struct BosConfig {
  bool present = false;  // the file exists and has add_bos_token
  bool add_bos = false;
  std::optional<std::string> bos_token;  // its bos_token (string or {"content": ...})
};
BosConfig read_bos_config(const std::filesystem::path& tokenizer_file);

std::string read_file_bytes(const std::filesystem::path& path);

}  // namespace logitrank::tokenizer
