#include "tokenizer/token_ids.h"

#include <cctype>
#include <charconv>

#include "io/error.h"
#include "tokenizer/formats.h"

namespace logitrank::tokenizer {

std::vector<int32_t> read_token_ids(const std::filesystem::path& path, int64_t vocab_size) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(path.string() + ": token-ids file not found");
  const std::string s = read_file_bytes(path);
  std::vector<int32_t> ids;
  std::size_t i = 0;
  while (true) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i >= s.size()) break;
    std::size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    std::string_view tok(s.data() + i, j - i);
    int64_t v = -1;
    auto [p, err] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
    if (err != std::errc() || p != tok.data() + tok.size() || v < 0 || v > INT32_MAX)
      throw InputError(path.string() + ": entry " + std::to_string(ids.size()) + " \"" +
                       std::string(tok.substr(0, 40)) + "\" (byte " + std::to_string(i) +
                       ") is not a token id");
    if (vocab_size > 0 && v >= vocab_size)
      throw InputError(path.string() + ": token id " + std::to_string(v) + " at position " +
                       std::to_string(ids.size()) + " is outside the vocabulary (size " +
                       std::to_string(vocab_size) + ")");
    ids.push_back(static_cast<int32_t>(v));
    i = j;
  }
  if (ids.empty()) throw InputError(path.string() + ": no token ids in the file");
  return ids;
}

}  // namespace logitrank::tokenizer
