#pragma once
// Small UTF-8 helpers shared by the tokenizers and text loading.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace logitrank::tokenizer::utf8 {

inline constexpr std::size_t kValid = static_cast<std::size_t>(-1);

// Offset of the first byte that is not part of a well-formed UTF-8 sequence
// (overlongs, surrogates and > U+10FFFF are ill-formed), or kValid.
std::size_t first_invalid(std::string_view s);

// Throws InputError "<what>: invalid UTF-8 at byte offset N" when s is not UTF-8.
void require_valid(std::string_view s, const std::string& what);

// Length of the sequence starting with lead byte c (1 for invalid leads).
inline int seq_len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

// Decodes valid UTF-8 to code points / encodes code points.
std::vector<char32_t> decode(std::string_view s);
void append(std::string& out, char32_t cp);
std::string encode(const std::vector<char32_t>& cps);

// Like Rust's String::from_utf8_lossy: each maximal ill-formed subpart -> U+FFFD.
std::string lossy(std::string_view bytes);

}  // namespace logitrank::tokenizer::utf8
