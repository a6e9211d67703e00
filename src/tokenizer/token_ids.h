#pragma once
// Reading a --token-ids file: whitespace-separated non-negative integers.
#include <cstdint>
#include <filesystem>
#include <vector>

namespace logitrank::tokenizer {

// Throws InputError naming the file and the first bad entry (not an integer, or an id
// outside [0, vocab_size) with its position, 0-based). vocab_size <= 0: unchecked.
std::vector<int32_t> read_token_ids(const std::filesystem::path& path, int64_t vocab_size);

}  // namespace logitrank::tokenizer
