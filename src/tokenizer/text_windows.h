#pragma once
// Loading a text and cutting its token ids into analysis windows.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace logitrank::tokenizer {

struct LoadedText {
  std::string name;  // file stem, e.g. "dracula"
  std::filesystem::path path;
  std::string body;  // after optional Gutenberg header/footer stripping
  bool gutenberg_stripped = false;
  std::string sha256;  // of the file's bytes
  std::size_t file_bytes = 0;
};

// Reads a UTF-8 file. Invalid UTF-8 -> InputError with the byte offset. With
// strip_gutenberg, removes the Project Gutenberg header/licence footer when present.
LoadedText load_text(const std::filesystem::path& path, bool strip_gutenberg = true);

struct Window {
  int index = 0;             // 0-based window number within the text
  int64_t body_offset = 0;   // offset of its first body token in the text's ids
  std::vector<int32_t> ids;  // exactly seq_len ids (BOS first when bos is set)
};

// Windows of seq_len tokens with `stride` body tokens between starts, `count` of them
// from the start of the body. With bos, each window is BOS + (seq_len - 1) body tokens.
// Too short a text -> InputError saying how many tokens it has and how many are needed.
std::vector<Window> cut_windows(std::span<const int32_t> body_ids, int seq_len, int stride, int count,
                                std::optional<int32_t> bos, const std::string& text_name);

}  // namespace logitrank::tokenizer
