#include "tokenizer/bpe.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <queue>

#include "io/error.h"
#include "tokenizer/utf8.h"

namespace logitrank::tokenizer {

const std::array<char32_t, 256>& bytes_to_unicode() {
  static const std::array<char32_t, 256> table = [] {
    std::array<char32_t, 256> t{};
    std::array<bool, 256> direct{};
    for (int b = '!'; b <= '~'; ++b) direct[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b) direct[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b) direct[b] = true;
    int n = 0;
    for (int b = 0; b < 256; ++b) t[b] = direct[b] ? char32_t(b) : char32_t(256 + n++);
    return t;
  }();
  return table;
}

namespace {
const std::array<std::string, 256>& byte_level_strings() {
  static const std::array<std::string, 256> strs = [] {
    std::array<std::string, 256> s;
    for (int b = 0; b < 256; ++b) utf8::append(s[b], bytes_to_unicode()[b]);
    return s;
  }();
  return strs;
}
}  // namespace

std::string byte_level_map(std::string_view s) {
  const auto& strs = byte_level_strings();
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) out += strs[c];
  return out;
}

void BpeModel::load(const nlohmann::json& model, const std::string& file) {
  using nlohmann::json;
  if (!model.contains("vocab") || !model["vocab"].is_object())
    throw InputError(file + ": model.vocab is missing or not an object");
  int32_t max_id = -1;
  vocab_.reserve(model["vocab"].size() * 2);
  for (auto it = model["vocab"].begin(); it != model["vocab"].end(); ++it) {
    if (!it.value().is_number_integer())
      throw InputError(file + ": model.vocab[\"" + it.key() + "\"] is not an integer id");
    int64_t id = it.value().get<int64_t>();
    if (id < 0 || id >= kMaxTokenId)
      throw InputError(file + ": model.vocab id " + std::to_string(id) + " out of range");
    vocab_.emplace(it.key(), static_cast<int32_t>(id));
    max_id = std::max<int32_t>(max_id, static_cast<int32_t>(id));
  }
  id_to_token_.assign(static_cast<std::size_t>(max_id + 1), std::string());
  for (const auto& [tok, id] : vocab_) id_to_token_[id] = tok;

  auto str_field = [&](const char* key) -> std::string {
    if (model.contains(key) && model[key].is_string()) return model[key].get<std::string>();
    return {};
  };
  auto bool_field = [&](const char* key) {
    return model.contains(key) && model[key].is_boolean() && model[key].get<bool>();
  };
  if (!str_field("continuing_subword_prefix").empty() || !str_field("end_of_word_suffix").empty())
    throw InputError(file + ": BPE continuing_subword_prefix / end_of_word_suffix are not supported");
  byte_fallback_ = bool_field("byte_fallback");
  fuse_unk_ = bool_field("fuse_unk");
  ignore_merges_ = bool_field("ignore_merges");
  std::string unk = str_field("unk_token");
  if (!unk.empty()) {
    auto it = vocab_.find(unk);
    if (it == vocab_.end()) throw InputError(file + ": model.unk_token \"" + unk + "\" is not in the vocab");
    unk_id_ = it->second;
  }

  if (!model.contains("merges") || !model["merges"].is_array())
    throw InputError(file + ": model.merges is missing or not an array");
  const auto& merges = model["merges"];
  merges_.reserve(merges.size() * 2);
  std::string a, b;
  int32_t rank = 0;
  for (const auto& m : merges) {
    if (m.is_string()) {
      const std::string& s = m.get_ref<const std::string&>();
      auto sp = s.find(' ');
      if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
        throw InputError(file + ": model.merges[" + std::to_string(rank) + "] \"" + s + "\" is not \"a b\"");
      a = s.substr(0, sp);
      b = s.substr(sp + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      a = m[0].get<std::string>();
      b = m[1].get<std::string>();
    } else {
      throw InputError(file + ": model.merges[" + std::to_string(rank) + "] is neither \"a b\" nor [a, b]");
    }
    auto ia = vocab_.find(a), ib = vocab_.find(b), ic = vocab_.find(a + b);
    if (ia == vocab_.end() || ib == vocab_.end() || ic == vocab_.end())
      throw InputError(file + ": model.merges[" + std::to_string(rank) + "] (\"" + a + "\", \"" + b +
                       "\") uses a token that is not in the vocab");
    uint64_t key = (uint64_t(uint32_t(ia->second)) << 32) | uint32_t(ib->second);
    merges_[key] = std::make_pair(rank, ic->second);  // a repeated pair keeps its last rank, as HF's map does
    ++rank;
  }

  const auto& strs = byte_level_strings();
  for (int c = 0; c < 256; ++c) {
    auto it = vocab_.find(strs[c]);
    byte_ids_[c] = it == vocab_.end() ? -1 : it->second;
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", c);
    auto jt = vocab_.find(std::string_view(name));
    fallback_ids_[c] = jt == vocab_.end() ? -1 : jt->second;
  }
}

void BpeModel::initial_symbols(std::string_view piece, bool byte_level, std::vector<int32_t>& syms) const {
  // Unknown symbols: byte fallback, else unk (fused when fuse_unk), else dropped (as HF does).
  bool last_unk = false;
  auto unknown = [&](std::string_view ch) {
    if (byte_fallback_) {
      bool all = true;
      for (unsigned char c : ch) all = all && fallback_ids_[c] >= 0;
      if (all) {
        for (unsigned char c : ch) syms.push_back(fallback_ids_[c]);
        last_unk = false;
        return;
      }
    }
    if (unk_id_ >= 0) {
      if (!(fuse_unk_ && last_unk)) syms.push_back(unk_id_);
      last_unk = true;
    }
  };
  if (byte_level) {
    const auto& strs = byte_level_strings();
    for (unsigned char c : piece) {
      if (byte_ids_[c] >= 0) {
        syms.push_back(byte_ids_[c]);
        last_unk = false;
      } else
        unknown(strs[c]);
    }
    return;
  }
  for (std::size_t i = 0; i < piece.size();) {
    std::size_t len =
        std::min<std::size_t>(utf8::seq_len(static_cast<unsigned char>(piece[i])), piece.size() - i);
    std::string_view ch = piece.substr(i, len);
    auto it = vocab_.find(ch);
    if (it != vocab_.end()) {
      syms.push_back(it->second);
      last_unk = false;
    } else
      unknown(ch);
    i += len;
  }
}

void BpeModel::merge_word(std::vector<int32_t>& syms) const {
  const std::size_t n = syms.size();
  if (n < 2) return;
  auto lookup = [&](int32_t a, int32_t b) -> const std::pair<int32_t, int32_t>* {
    auto it = merges_.find((uint64_t(uint32_t(a)) << 32) | uint32_t(b));
    return it == merges_.end() ? nullptr : &it->second;
  };
  if (n <= 48) {
    // Short words: repeatedly merge the lowest-rank pair (leftmost on ties).
    std::size_t len = n;
    while (len > 1) {
      int32_t best_rank = INT32_MAX, best_new = -1;
      std::size_t best_i = 0;
      for (std::size_t i = 0; i + 1 < len; ++i) {
        if (auto* m = lookup(syms[i], syms[i + 1]); m && m->first < best_rank) {
          best_rank = m->first;
          best_new = m->second;
          best_i = i;
        }
      }
      if (best_new < 0) break;
      syms[best_i] = best_new;
      syms.erase(syms.begin() + best_i + 1);
      --len;
    }
    return;
  }
  // Long words: linked list + priority queue of candidate merges (as HF's word.rs).
  std::vector<int32_t> prev(n), next(n);
  std::vector<char> alive(n, 1);
  for (std::size_t i = 0; i < n; ++i) {
    prev[i] = int32_t(i) - 1;
    next[i] = i + 1 < n ? int32_t(i + 1) : -1;
  }
  struct Cand {
    int32_t rank;
    int32_t pos;
    int32_t new_id;
  };
  auto cmp = [](const Cand& x, const Cand& y) { return x.rank != y.rank ? x.rank > y.rank : x.pos > y.pos; };
  std::priority_queue<Cand, std::vector<Cand>, decltype(cmp)> q(cmp);
  for (std::size_t i = 0; i + 1 < n; ++i)
    if (auto* m = lookup(syms[i], syms[i + 1])) q.push({m->first, int32_t(i), m->second});
  while (!q.empty()) {
    Cand c = q.top();
    q.pop();
    if (!alive[c.pos] || next[c.pos] < 0) continue;
    int32_t r = next[c.pos];
    auto* m = lookup(syms[c.pos], syms[r]);
    if (!m || m->second != c.new_id || m->first != c.rank) continue;
    syms[c.pos] = c.new_id;
    alive[r] = 0;
    next[c.pos] = next[r];
    if (next[r] >= 0) prev[next[r]] = c.pos;
    if (prev[c.pos] >= 0)
      if (auto* p = lookup(syms[prev[c.pos]], syms[c.pos])) q.push({p->first, prev[c.pos], p->second});
    if (next[c.pos] >= 0)
      if (auto* p = lookup(syms[c.pos], syms[next[c.pos]])) q.push({p->first, c.pos, p->second});
  }
  std::size_t w = 0;
  for (int32_t i = 0; i >= 0; i = next[i]) syms[w++] = syms[i];
  syms.resize(w);
}

bool BpeModel::enable_chunking(const std::string& ch) {
  chunk_char_.clear();
  if (ch.empty()) return false;
  for (const auto& [tok, id] : vocab_) {
    for (std::size_t i = tok.find(ch, 1); i != std::string::npos; i = tok.find(ch, i + 1)) {
      if (i < ch.size() || tok.compare(i - ch.size(), ch.size(), ch) != 0) return false;
    }
  }
  chunk_char_ = ch;
  return true;
}

void BpeModel::tokenize(std::string_view piece, bool byte_level, std::vector<int32_t>& out) const {
  if (piece.empty()) return;
  constexpr std::size_t kMaxCachedLen = 64;
  if (!byte_level && !chunk_char_.empty() && piece.size() > kMaxCachedLen) {
    const std::string& c = chunk_char_;
    std::size_t start = 0;
    for (std::size_t i = piece.find(c, 1); i != std::string_view::npos; i = piece.find(c, i + 1)) {
      if (i >= c.size() && piece.compare(i - c.size(), c.size(), c) == 0) continue;  // inside a run of c
      if (i > start) {
        std::string_view chunk = piece.substr(start, i - start);
        if (chunk.size() > kMaxCachedLen)
          tokenize_uncached(chunk, out);
        else
          tokenize(chunk, false, out);
      }
      start = i;
    }
    std::string_view chunk = piece.substr(start);
    if (chunk.size() > kMaxCachedLen)
      tokenize_uncached(chunk, out);
    else
      tokenize(chunk, false, out);
    return;
  }
  const bool cacheable = piece.size() <= kMaxCachedLen;
  if (cacheable) {
    std::lock_guard lock(cache_mu_);
    if (auto it = cache_.find(piece); it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> syms;
  bool done = false;
  if (!cacheable && !byte_level) {
    tokenize_uncached(piece, out);
    return;
  }
  if (ignore_merges_) {
    auto it = byte_level ? vocab_.find(byte_level_map(piece)) : vocab_.find(piece);
    if (it != vocab_.end()) {
      syms.push_back(it->second);
      done = true;
    }
  }
  if (!done) {
    syms.reserve(piece.size());
    initial_symbols(piece, byte_level, syms);
    merge_word(syms);
  }
  out.insert(out.end(), syms.begin(), syms.end());
  if (cacheable) {
    std::lock_guard lock(cache_mu_);
    if (cache_.size() < 2'000'000) cache_.emplace(std::string(piece), std::move(syms));
  }
}

void BpeModel::tokenize_uncached(std::string_view piece, std::vector<int32_t>& out) const {
  if (ignore_merges_) {
    if (auto it = vocab_.find(piece); it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  std::vector<int32_t> syms;
  syms.reserve(piece.size());
  initial_symbols(piece, false, syms);
  merge_word(syms);
  out.insert(out.end(), syms.begin(), syms.end());
}

}  // namespace logitrank::tokenizer
