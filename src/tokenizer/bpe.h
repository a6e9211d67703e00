#pragma once
// The BPE model of a Hugging Face tokenizer.json ("model": {"type": "BPE", ...}).
#include <array>
#include <cstdint>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace logitrank::tokenizer {

// Ids at or above this are rejected as damaged files (real vocabularies are < 1M).
inline constexpr int64_t kMaxTokenId = 1 << 24;

struct SvHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using StrIdMap = std::unordered_map<std::string, int32_t, SvHash, std::equal_to<>>;

// GPT-2's reversible byte <-> printable code point mapping (bytes_to_unicode).
const std::array<char32_t, 256>& bytes_to_unicode();
// The UTF-8 of bytes_to_unicode() applied to each byte of s.
std::string byte_level_map(std::string_view s);

class BpeModel {
 public:
  // Reads vocab, merges (strings "a b" or [a, b] pairs), unk_token, byte_fallback,
  // fuse_unk, ignore_merges. `file` names the tokenizer file in errors.
  void load(const nlohmann::json& model, const std::string& file);

  // Appends the ids of one pre-token. With byte_level the piece holds raw bytes that are
  // mapped through bytes_to_unicode first.
  void tokenize(std::string_view piece, bool byte_level, std::vector<int32_t>& out) const;

  // Long non-byte-level pieces (a whole Metaspace text with split: false) are cut before
  // each occurrence of `ch` that follows a different character, and the chunks tokenized
  // separately (and cached) -- exact, because it is enabled only when no vocab token holds
  // `ch` right after another character, so no merge can cross such a cut.
  // Returns whether chunking is now on.
  bool enable_chunking(const std::string& ch);

  const StrIdMap& vocab() const { return vocab_; }
  const std::vector<std::string>& id_to_token() const { return id_to_token_; }

 private:
  void merge_word(std::vector<int32_t>& syms) const;
  void tokenize_uncached(std::string_view piece, std::vector<int32_t>& out) const;  // not byte-level
  void initial_symbols(std::string_view piece, bool byte_level, std::vector<int32_t>& syms) const;

  StrIdMap vocab_;
  std::vector<std::string> id_to_token_;
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges_;  // (a<<32|b) -> (rank, new id)
  std::array<int32_t, 256> byte_ids_{};      // id of the byte-level char of each byte, -1 if absent
  std::array<int32_t, 256> fallback_ids_{};  // id of "<0xNN>", -1 if absent
  int32_t unk_id_ = -1;
  bool byte_fallback_ = false;
  bool fuse_unk_ = false;
  bool ignore_merges_ = false;
  std::string chunk_char_;

  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, std::vector<int32_t>, SvHash, std::equal_to<>> cache_;
};

}  // namespace logitrank::tokenizer
