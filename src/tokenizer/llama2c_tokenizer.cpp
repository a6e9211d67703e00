// llama2.c tokenizer.bin: uint32 max_token_length, then per id {float32 score,
// uint32 length, bytes} until EOF (the vocab size is not stored). Encoding follows
// llama2.c run.c encode(): BOS, the dummy-prefix piece " " when the text is non-empty,
// each UTF-8 code point as its piece or as byte tokens (byte + 3), then repeatedly
// merge the adjacent pair whose concatenation is a piece with the highest score
// (leftmost on ties). A heap gives the same result as run.c's quadratic loop.
#include <cstring>
#include <mutex>
#include <queue>
#include <span>
#include <unordered_map>

#include "io/error.h"
#include "tokenizer/bpe.h"
#include "tokenizer/formats.h"
#include "tokenizer/utf8.h"

namespace logitrank::tokenizer {
namespace {

constexpr int32_t kBos = 1;

class Llama2cTokenizer final : public Tokenizer {
 public:
  explicit Llama2cTokenizer(const std::filesystem::path& path) : file_(path.string()) {
    const std::string b = read_file_bytes(path);
    std::size_t off = 0;
    auto rd = [&](void* dst, std::size_t n, const char* what) {
      if (off + n > b.size())
        throw InputError(file_ + ": truncated llama2.c tokenizer (" + what + " of token " +
                         std::to_string(pieces_.size()) + " at byte " + std::to_string(off) + ")");
      std::memcpy(dst, b.data() + off, n);
      off += n;
    };
    uint32_t max_len = 0;
    rd(&max_len, 4, "max_token_length");
    if (max_len == 0 || max_len > 1024)
      throw InputError(file_ + ": implausible max_token_length " + std::to_string(max_len) +
                       "; not a llama2.c tokenizer.bin");
    while (off < b.size()) {
      float score;
      uint32_t len;
      rd(&score, 4, "score");
      rd(&len, 4, "length");
      if (len > max_len)
        throw InputError(file_ + ": token " + std::to_string(pieces_.size()) + " has length " +
                         std::to_string(len) + " > max_token_length " + std::to_string(max_len));
      std::string piece(len, '\0');
      rd(piece.data(), len, "bytes");
      scores_.push_back(score);
      pieces_.push_back(std::move(piece));
    }
    if (pieces_.size() < 259)
      throw InputError(file_ + ": only " + std::to_string(pieces_.size()) +
                       " tokens; a llama2.c tokenizer needs at least 259 (specials + 256 bytes)");
    lookup_.reserve(pieces_.size() * 2);
    for (std::size_t i = 0; i < pieces_.size(); ++i)
      lookup_.emplace(pieces_[i], static_cast<int32_t>(i));  // first wins
    if (auto it = lookup_.find(std::string_view(" ")); it != lookup_.end()) space_id_ = it->second;
    space_chunking_ = true;
    for (const auto& p : pieces_)
      for (std::size_t i = p.find(' ', 1); i != std::string::npos; i = p.find(' ', i + 1))
        if (p[i - 1] != ' ') space_chunking_ = false;
  }

  std::vector<int32_t> encode(std::string_view text) const override {
    utf8::require_valid(text, "text");
    std::vector<int32_t> t;
    t.reserve(text.size() + 2);
    t.push_back(kBos);  // run.c merges with BOS in place; removed below
    if (!text.empty()) {
      if (auto it = lookup_.find(std::string_view(" ")); it != lookup_.end()) t.push_back(it->second);
    }
    for (std::size_t i = 0; i < text.size();) {
      std::size_t len = utf8::seq_len(static_cast<unsigned char>(text[i]));
      std::string_view cp = text.substr(i, len);
      if (auto it = lookup_.find(cp); it != lookup_.end())
        t.push_back(it->second);
      else
        for (unsigned char c : cp) t.push_back(int32_t(c) + 3);
      i += len;
    }
    if (space_id_ < 0 || !space_chunking_) {
      merge(t);
    } else {
      // Cut before each ' ' token that follows another token: no piece holds a non-space
      // byte followed by ' ' (checked at load), so no merge crosses the cut.
      std::vector<int32_t> out, chunk;
      out.reserve(t.size());
      std::size_t start = 0;
      for (std::size_t i = 1; i <= t.size(); ++i) {
        if (i < t.size() && !(t[i] == space_id_ && t[i - 1] != space_id_)) continue;
        merge_cached(std::span<const int32_t>(t.data() + start, i - start), out);
        start = i;
      }
      t.swap(out);
    }
    if (!t.empty() && t[0] == kBos) t.erase(t.begin());
    return t;
  }

  std::optional<int32_t> bos_id() const override { return kBos; }

  std::string decode(std::span<const int32_t> ids) const override {
    // As run.c decode(): "<0xNN>" pieces -> raw bytes, and the dummy-prefix space of
    // the first piece (after BOS, or at the start when there is no BOS) is dropped.
    std::string out;
    int32_t prev = kBos;
    for (int32_t id : ids) {
      if (id < 0 || static_cast<std::size_t>(id) >= pieces_.size())
        throw InputError("decode: id " + std::to_string(id) + " is not in " + file_);
      std::string_view p = pieces_[id];
      if (prev == kBos && !p.empty() && p[0] == ' ') p.remove_prefix(1);
      if (prev == kBos && id == kBos) {
        prev = id;
        continue;
      }  // BOS itself decodes to nothing
      unsigned int byte;
      if (p.size() == 6 && std::sscanf(std::string(p).c_str(), "<0x%02X>", &byte) == 1)
        out.push_back(static_cast<char>(byte));
      else
        out.append(p);
      prev = id;
    }
    return out;
  }

  int64_t vocab_size() const override { return static_cast<int64_t>(pieces_.size()); }
  std::string kind() const override { return "llama2c"; }

 private:
  void merge(std::vector<int32_t>& t) const {
    const std::size_t n = t.size();
    if (n < 2) return;
    std::vector<int32_t> prev(n), next(n), ver(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
      prev[i] = int32_t(i) - 1;
      next[i] = i + 1 < n ? int32_t(i + 1) : -1;
    }
    struct Cand {
      float score;
      int32_t pos;
      int32_t id;
      int32_t vl, vr;
    };
    auto cmp = [](const Cand& a, const Cand& b) {
      return a.score != b.score ? a.score < b.score : a.pos > b.pos;
    };
    std::priority_queue<Cand, std::vector<Cand>, decltype(cmp)> q(cmp);
    std::string buf;
    auto push = [&](int32_t l) {
      int32_t r = next[l];
      if (l < 0 || r < 0) return;
      buf = pieces_[t[l]];
      buf += pieces_[t[r]];
      auto it = lookup_.find(buf);
      if (it == lookup_.end()) return;
      // run.c starts best_score at -1e10: only pieces scoring above it merge.
      if (!(scores_[it->second] > -1e10f)) return;
      q.push({scores_[it->second], l, it->second, ver[l], ver[r]});
    };
    for (std::size_t i = 0; i + 1 < n; ++i) push(int32_t(i));
    std::vector<char> alive(n, 1);
    while (!q.empty()) {
      Cand c = q.top();
      q.pop();
      int32_t l = c.pos;
      if (!alive[l] || ver[l] != c.vl) continue;
      int32_t r = next[l];
      if (r < 0 || ver[r] != c.vr) continue;
      t[l] = c.id;
      ++ver[l];
      alive[r] = 0;
      next[l] = next[r];
      if (next[r] >= 0) prev[next[r]] = l;
      if (prev[l] >= 0) push(prev[l]);
      push(l);
    }
    std::size_t w = 0;
    for (int32_t i = 0; i >= 0; i = next[i]) t[w++] = t[i];
    t.resize(w);
  }

  void merge_cached(std::span<const int32_t> chunk, std::vector<int32_t>& out) const {
    std::string key(reinterpret_cast<const char*>(chunk.data()), chunk.size() * sizeof(int32_t));
    if (chunk.size() <= 32) {
      std::lock_guard lock(cache_mu_);
      if (auto it = cache_.find(key); it != cache_.end()) {
        out.insert(out.end(), it->second.begin(), it->second.end());
        return;
      }
    }
    std::vector<int32_t> v(chunk.begin(), chunk.end());
    merge(v);
    out.insert(out.end(), v.begin(), v.end());
    if (chunk.size() <= 32) {
      std::lock_guard lock(cache_mu_);
      if (cache_.size() < 2'000'000) cache_.emplace(std::move(key), std::move(v));
    }
  }

  std::string file_;
  int32_t space_id_ = -1;
  bool space_chunking_ = false;
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  StrIdMap lookup_;
};

}  // namespace

std::unique_ptr<Tokenizer> open_llama2c(const std::filesystem::path& path) {
  return std::make_unique<Llama2cTokenizer>(path);
}

}  // namespace logitrank::tokenizer
