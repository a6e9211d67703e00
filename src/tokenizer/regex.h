#pragma once
// PCRE2 (UTF + UCP, JIT) wrapper used by the pre-tokenizers and normalizers.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace logitrank::tokenizer {

class Regex {
 public:
  // Throws InputError "<where>: bad regex ...". `literal` escapes the pattern.
  Regex(const std::string& pattern, const std::string& where, bool literal = false);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // All non-overlapping matches [begin, end) in s (subject must be valid UTF-8).
  // Empty matches are skipped.
  void find_all(std::string_view s, std::vector<std::pair<std::size_t, std::size_t>>& out) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  std::string where_;
  void* code_ = nullptr;  // pcre2_code_8*
};

// The GPT-2 split regex the ByteLevel pre-tokenizer uses when use_regex is true
// (documented in the HF tokenizers source; not stored in tokenizer.json).
inline constexpr const char* kGpt2SplitPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

}  // namespace logitrank::tokenizer
