#include "tokenizer/text_windows.h"

#include "io/error.h"
#include "io/sha256.h"
#include "tokenizer/formats.h"
#include "tokenizer/utf8.h"

namespace logitrank::tokenizer {

// Defined in gutenberg.cpp.
bool strip_gutenberg_boilerplate(std::string& text);

LoadedText load_text(const std::filesystem::path& path, bool strip_gutenberg) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw InputError(path.string() + ": text file not found");
  LoadedText t;
  t.path = path;
  t.name = path.stem().string();
  std::string bytes = read_file_bytes(path);
  t.file_bytes = bytes.size();
  t.sha256 = io::sha256_hex(bytes);
  utf8::require_valid(bytes, path.string());
  if (strip_gutenberg) t.gutenberg_stripped = strip_gutenberg_boilerplate(bytes);
  t.body = std::move(bytes);
  return t;
}

std::vector<Window> cut_windows(std::span<const int32_t> body_ids, int seq_len, int stride, int count,
                                std::optional<int32_t> bos, const std::string& text_name) {
  if (seq_len < 1 || (bos && seq_len < 2))
    throw InputError("text " + text_name + ": seq_len " + std::to_string(seq_len) + " is too small");
  if (stride < 1)
    throw InputError("text " + text_name + ": stride must be >= 1 (got " + std::to_string(stride) + ")");
  if (count < 1)
    throw InputError("text " + text_name + ": windows must be >= 1 (got " + std::to_string(count) + ")");
  const int64_t body_per = bos ? seq_len - 1 : seq_len;
  const int64_t need = int64_t(count - 1) * stride + body_per;
  const int64_t have = static_cast<int64_t>(body_ids.size());
  if (have < need)
    throw InputError("text " + text_name + " has " + std::to_string(have) + " tokens; " +
                     std::to_string(count) + " windows of " + std::to_string(seq_len) + " with stride " +
                     std::to_string(stride) + " need " + std::to_string(need));
  std::vector<Window> out;
  out.reserve(count);
  for (int w = 0; w < count; ++w) {
    Window win;
    win.index = w;
    win.body_offset = int64_t(w) * stride;
    win.ids.reserve(seq_len);
    if (bos) win.ids.push_back(*bos);
    win.ids.insert(win.ids.end(), body_ids.begin() + win.body_offset,
                   body_ids.begin() + win.body_offset + body_per);
    out.push_back(std::move(win));
  }
  return out;
}

}  // namespace logitrank::tokenizer
