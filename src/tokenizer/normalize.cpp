#include "tokenizer/normalize.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tokenizer/utf8.h"

namespace logitrank::tokenizer {
namespace {

struct CccEntry {
  uint32_t cp;
  uint8_t ccc;
};
struct DecompEntry {
  uint32_t cp;
  uint32_t off;
  uint32_t len;
};
struct CompEntry {
  uint32_t a, b, c;
};
#include "tokenizer/unicode_tables.inc"

constexpr char32_t SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
constexpr int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

int ccc(char32_t cp) {
  if (cp < 0x300) return 0;
  auto it = std::lower_bound(std::begin(kCcc), std::end(kCcc), cp,
                             [](const CccEntry& e, char32_t c) { return e.cp < c; });
  return (it != std::end(kCcc) && it->cp == cp) ? it->ccc : 0;
}

template <std::size_t N, std::size_t M>
bool lookup_decomp(const DecompEntry (&index)[N], const uint32_t (&data)[M], char32_t cp,
                   std::vector<char32_t>& out) {
  auto it = std::lower_bound(std::begin(index), std::end(index), cp,
                             [](const DecompEntry& e, char32_t c) { return e.cp < c; });
  if (it == std::end(index) || it->cp != cp) return false;
  for (uint32_t k = 0; k < it->len; ++k) out.push_back(data[it->off + k]);
  return true;
}

void decompose(char32_t cp, bool compat, std::vector<char32_t>& out) {
  if (cp >= SBase && cp < SBase + SCount) {
    int s = cp - SBase;
    out.push_back(LBase + s / NCount);
    out.push_back(VBase + (s % NCount) / TCount);
    if (s % TCount) out.push_back(TBase + s % TCount);
    return;
  }
  if (cp < 0xA0) {
    out.push_back(cp);
    return;
  }
  if (compat && lookup_decomp(kCompatIndex, kCompatData, cp, out)) return;
  if (lookup_decomp(kCanonIndex, kCanonData, cp, out)) return;
  out.push_back(cp);
}

char32_t compose(char32_t a, char32_t b) {
  if (a >= LBase && a < LBase + LCount && b >= VBase && b < VBase + VCount)
    return SBase + ((a - LBase) * VCount + (b - VBase)) * TCount;
  if (a >= SBase && a < SBase + SCount && (a - SBase) % TCount == 0 && b > TBase && b < TBase + TCount)
    return a + (b - TBase);
  auto it = std::lower_bound(std::begin(kComp), std::end(kComp), std::pair<char32_t, char32_t>(a, b),
                             [](const CompEntry& e, const std::pair<char32_t, char32_t>& k) {
                               return e.a < k.first || (e.a == k.first && e.b < k.second);
                             });
  if (it != std::end(kComp) && it->a == a && it->b == b) return it->c;
  return 0;
}

}  // namespace

std::string unicode_normalize(std::string_view s, NormalForm form) {
  // ASCII is unchanged by every form; code points below U+0300 are unchanged by NFC.
  bool ascii = true, below_300 = true;
  for (unsigned char c : s) {
    if (c >= 0x80) ascii = false;
    if (c >= 0xCC) {
      below_300 = false;
      break;
    }  // lead bytes of U+0300 and above
  }
  if (ascii || (below_300 && form == NormalForm::NFC)) return std::string(s);

  const bool compat = form == NormalForm::NFKC || form == NormalForm::NFKD;
  std::vector<char32_t> buf;
  buf.reserve(s.size());
  for (char32_t cp : utf8::decode(s)) decompose(cp, compat, buf);
  // Canonical ordering: stable sort of each run of non-starters by combining class.
  for (std::size_t i = 0; i < buf.size();) {
    if (ccc(buf[i]) == 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < buf.size() && ccc(buf[j]) != 0) ++j;
    std::stable_sort(buf.begin() + i, buf.begin() + j,
                     [](char32_t a, char32_t b) { return ccc(a) < ccc(b); });
    i = j;
  }
  if (form == NormalForm::NFD || form == NormalForm::NFKD || buf.empty()) return utf8::encode(buf);

  // Canonical composition.
  std::size_t starter = 0, out = 1;
  char32_t starter_ch = buf[0];
  int last = ccc(starter_ch);
  if (last != 0) last = 256;
  for (std::size_t i = 1; i < buf.size(); ++i) {
    char32_t ch = buf[i];
    int cc = ccc(ch);
    char32_t comp = compose(starter_ch, ch);
    if (comp && (last < cc || last == 0)) {
      buf[starter] = comp;
      starter_ch = comp;
      continue;
    }
    if (cc == 0) {
      starter = out;
      starter_ch = ch;
    }
    last = cc;
    buf[out++] = ch;
  }
  buf.resize(out);
  return utf8::encode(buf);
}

}  // namespace logitrank::tokenizer
