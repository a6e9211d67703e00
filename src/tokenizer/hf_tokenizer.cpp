// Hugging Face tokenizer.json: added tokens -> normalizer -> pre-tokenizer -> BPE model,
// post-processor (for the BOS decision) and decoder, each read from the file's own fields.
#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "io/error.h"
#include "tokenizer/bpe.h"
#include "tokenizer/formats.h"
#include "tokenizer/normalize.h"
#include "tokenizer/regex.h"
#include "tokenizer/utf8.h"

namespace logitrank::tokenizer {
namespace {

using nlohmann::json;
const char* const kMetaspace = "\xE2\x96\x81";  // U+2581

std::string type_of(const json& j) {
  if (j.is_object() && j.contains("type") && j["type"].is_string()) return j["type"].get<std::string>();
  return {};
}
bool get_bool(const json& j, const char* key, bool dflt) {
  return (j.contains(key) && j[key].is_boolean()) ? j[key].get<bool>() : dflt;
}
std::string get_str(const json& j, const char* key, const std::string& dflt = {}) {
  return (j.contains(key) && j[key].is_string()) ? j[key].get<std::string>() : dflt;
}
// {"String": s} or {"Regex": r} -> Regex (literal for String).
std::unique_ptr<Regex> pattern_of(const json& j, const std::string& where) {
  if (j.is_object() && j.contains("Regex") && j["Regex"].is_string())
    return std::make_unique<Regex>(j["Regex"].get<std::string>(), where);
  if (j.is_object() && j.contains("String") && j["String"].is_string())
    return std::make_unique<Regex>(j["String"].get<std::string>(), where, /*literal=*/true);
  if (j.is_string()) return std::make_unique<Regex>(j.get<std::string>(), where, true);
  throw InputError(where + ": pattern must be {\"String\": ...} or {\"Regex\": ...}");
}

// ---------------------------------------------------------------- normalizers
struct NormStep {
  enum Kind { Unicode, Replace, Prepend, Strip } kind;
  explicit NormStep(Kind k) : kind(k) {}
  NormalForm form = NormalForm::NFC;
  std::unique_ptr<Regex> re;
  std::string content;
  bool left = false, right = false;
};

void parse_normalizer(const json& j, const std::string& where, std::vector<NormStep>& out) {
  if (j.is_null()) return;
  const std::string t = type_of(j);
  if (t == "Sequence") {
    if (!j.contains("normalizers") || !j["normalizers"].is_array())
      throw InputError(where + ": Sequence without a normalizers array");
    for (const auto& n : j["normalizers"]) parse_normalizer(n, where, out);
  } else if (t == "NFC" || t == "NFD" || t == "NFKC" || t == "NFKD") {
    NormStep s(NormStep::Unicode);
    s.form = t == "NFC"    ? NormalForm::NFC
             : t == "NFD"  ? NormalForm::NFD
             : t == "NFKC" ? NormalForm::NFKC
                           : NormalForm::NFKD;
    out.push_back(std::move(s));
  } else if (t == "Replace") {
    NormStep s(NormStep::Replace);
    s.re = pattern_of(j.value("pattern", json()), where + ": normalizer Replace");
    s.content = get_str(j, "content");
    out.push_back(std::move(s));
  } else if (t == "Prepend") {
    NormStep s(NormStep::Prepend);
    s.content = get_str(j, "prepend");
    out.push_back(std::move(s));
  } else if (t == "Strip") {
    NormStep s(NormStep::Strip);
    s.left = get_bool(j, "strip_left", true);
    s.right = get_bool(j, "strip_right", true);
    out.push_back(std::move(s));
  } else {
    throw InputError(where + ": unsupported normalizer type \"" + t +
                     "\" (supported: null, Sequence, NFC, NFD, NFKC, NFKD, Replace, Prepend, Strip)");
  }
}

std::string replace_all(const Regex& re, std::string_view s, const std::string& content) {
  std::vector<std::pair<std::size_t, std::size_t>> m;
  re.find_all(s, m);
  if (m.empty()) return std::string(s);
  std::string out;
  std::size_t last = 0;
  for (auto [b, e] : m) {
    out.append(s.substr(last, b - last));
    out += content;
    last = e;
  }
  out.append(s.substr(last));
  return out;
}

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

void apply_normalizers(const std::vector<NormStep>& steps, std::string& s) {
  for (const auto& st : steps) {
    switch (st.kind) {
      case NormStep::Unicode:
        s = unicode_normalize(s, st.form);
        break;
      case NormStep::Replace:
        s = replace_all(*st.re, s, st.content);
        break;
      case NormStep::Prepend:
        if (!s.empty()) s.insert(0, st.content);
        break;
      case NormStep::Strip: {
        std::size_t b = 0, e = s.size();
        if (st.left)
          while (b < e && is_ascii_space(s[b])) ++b;
        if (st.right)
          while (e > b && is_ascii_space(s[e - 1])) --e;
        s = s.substr(b, e - b);
        break;
      }
    }
  }
}

// ------------------------------------------------------------- pre-tokenizers
enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };
enum class PrependScheme { Always, First, Never };

struct Piece {
  std::string s;
  bool at_start;  // begins at byte 0 of the original text (for Metaspace "first")
};

struct PreStep {
  enum Kind { Split, ByteLevel, Metaspace } kind;
  explicit PreStep(Kind k) : kind(k) {}
  std::unique_ptr<Regex> re;  // Split; ByteLevel with use_regex
  Behavior behavior = Behavior::Isolated;
  bool invert = false;
  bool add_prefix_space = false;
  std::string replacement;
  PrependScheme prepend = PrependScheme::Always;
  bool split = false;
};

Behavior parse_behavior(const json& j, const std::string& where) {
  std::string b = j.is_string() ? j.get<std::string>() : "";
  if (b == "Removed") return Behavior::Removed;
  if (b == "Isolated") return Behavior::Isolated;
  if (b == "MergedWithPrevious") return Behavior::MergedWithPrevious;
  if (b == "MergedWithNext") return Behavior::MergedWithNext;
  if (b == "Contiguous") return Behavior::Contiguous;
  throw InputError(where + ": unknown split behavior \"" + b +
                   "\" (supported: Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous)");
}

PrependScheme metaspace_scheme(const json& j, const std::string& where) {
  if (j.contains("prepend_scheme") && j["prepend_scheme"].is_string()) {
    std::string s = j["prepend_scheme"].get<std::string>();
    if (s == "always") return PrependScheme::Always;
    if (s == "first") return PrependScheme::First;
    if (s == "never") return PrependScheme::Never;
    throw InputError(where + ": unknown Metaspace prepend_scheme \"" + s +
                     "\" (supported: always, first, never)");
  }
  // Older files: add_prefix_space (default true) -> always / never.
  return get_bool(j, "add_prefix_space", true) ? PrependScheme::Always : PrependScheme::Never;
}

void add_split(std::vector<PreStep>& out, std::unique_ptr<Regex> re, Behavior b, bool invert) {
  PreStep s(PreStep::Split);
  s.re = std::move(re);
  s.behavior = b;
  s.invert = invert;
  out.push_back(std::move(s));
}

void parse_pre_tokenizer(const json& j, const std::string& where, std::vector<PreStep>& out) {
  if (j.is_null()) return;
  const std::string t = type_of(j);
  const std::string w = where + ": pre_tokenizer " + t;
  if (t == "Sequence") {
    if (!j.contains("pretokenizers") || !j["pretokenizers"].is_array())
      throw InputError(where + ": pre_tokenizer Sequence without a pretokenizers array");
    for (const auto& p : j["pretokenizers"]) parse_pre_tokenizer(p, where, out);
  } else if (t == "Split") {
    if (!j.contains("pattern")) throw InputError(w + " has no pattern");
    add_split(out, pattern_of(j["pattern"], w), parse_behavior(j.value("behavior", json()), w),
              get_bool(j, "invert", false));
  } else if (t == "ByteLevel") {
    PreStep s(PreStep::ByteLevel);
    s.add_prefix_space = get_bool(j, "add_prefix_space", true);
    if (get_bool(j, "use_regex", true)) s.re = std::make_unique<Regex>(kGpt2SplitPattern, w);
    out.push_back(std::move(s));
  } else if (t == "Metaspace") {
    PreStep s(PreStep::Metaspace);
    s.replacement = get_str(j, "replacement", kMetaspace);
    if (s.replacement.empty()) throw InputError(w + ": empty replacement");
    s.prepend = metaspace_scheme(j, w);
    s.split = get_bool(j, "split", true);
    if (s.split) s.re = std::make_unique<Regex>(s.replacement, w, /*literal=*/true);
    out.push_back(std::move(s));
  } else if (t == "WhitespaceSplit") {
    add_split(out, std::make_unique<Regex>(R"(\s+)", w), Behavior::Removed, false);
  } else if (t == "Whitespace") {
    add_split(out, std::make_unique<Regex>(R"(\w+|[^\w\s]+)", w), Behavior::Removed, true);
  } else if (t == "Digits") {
    bool individual = get_bool(j, "individual_digits", false);
    add_split(out, std::make_unique<Regex>(individual ? R"(\p{N})" : R"(\p{N}+)", w), Behavior::Isolated,
              false);
  } else if (t == "Punctuation") {
    Behavior b = j.contains("behavior") ? parse_behavior(j["behavior"], w) : Behavior::Isolated;
    add_split(out, std::make_unique<Regex>(R"(\p{P}|[!-/:-@\[-`{-~])", w), b, false);
  } else if (t == "BertPreTokenizer") {
    add_split(out, std::make_unique<Regex>(R"(\s+)", w), Behavior::Removed, false);
    add_split(out, std::make_unique<Regex>(R"(\p{P}|[!-/:-@\[-`{-~])", w), Behavior::Isolated, false);
  } else {
    throw InputError(
        where + ": unsupported pre_tokenizer type \"" + t +
        "\" (supported: null, Sequence, Split, ByteLevel, Metaspace, Whitespace, WhitespaceSplit, "
        "Digits, Punctuation, BertPreTokenizer)");
  }
}

using Spans = std::vector<std::pair<std::size_t, std::size_t>>;

// The non-empty [begin, end) pieces of s after splitting by the regex matches according
// to HF's SplitDelimiterBehavior.
void split_spans(std::string_view str, const Regex& re, Behavior behavior, bool invert, Spans& scratch,
                 Spans& res) {
  scratch.clear();
  res.clear();
  re.find_all(str, scratch);
  if (behavior == Behavior::Isolated) {  // the common case, without the span list
    std::size_t last = 0;
    for (auto [b, e] : scratch) {
      if (b > last) res.emplace_back(last, b);
      res.emplace_back(b, e);
      last = e;
    }
    if (last < str.size()) res.emplace_back(last, str.size());
    return;
  }
  struct Span {
    std::size_t b, e;
    bool m;
  };
  std::vector<Span> spans;
  spans.reserve(scratch.size() * 2 + 1);
  std::size_t last = 0;
  for (auto [b, e] : scratch) {
    if (b > last) spans.push_back({last, b, invert});
    spans.push_back({b, e, !invert});
    last = e;
  }
  if (last < str.size()) spans.push_back({last, str.size(), invert});

  switch (behavior) {
    case Behavior::Removed:
      for (auto& s : spans)
        if (!s.m) res.emplace_back(s.b, s.e);
      break;
    case Behavior::Isolated:
      for (auto& s : spans) res.emplace_back(s.b, s.e);
      break;
    case Behavior::MergedWithPrevious: {
      bool prev = false;
      for (auto& s : spans) {
        if (s.m && !prev && !res.empty())
          res.back().second = s.e;
        else
          res.emplace_back(s.b, s.e);
        prev = s.m;
      }
      break;
    }
    case Behavior::MergedWithNext: {
      bool prev = false;
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->m && !prev && !res.empty())
          res.back().first = it->b;
        else
          res.emplace_back(it->b, it->e);
        prev = it->m;
      }
      std::reverse(res.begin(), res.end());
      break;
    }
    case Behavior::Contiguous: {
      bool prev = false;
      for (auto& s : spans) {
        if (s.m == prev && !res.empty())
          res.back().second = s.e;
        else
          res.emplace_back(s.b, s.e);
        prev = s.m;
      }
      break;
    }
  }
  std::erase_if(res, [](const auto& r) { return r.second <= r.first; });
}

void split_piece(const Piece& p, const Regex& re, Behavior behavior, bool invert, std::vector<Piece>& out,
                 Spans& scratch, Spans& spans) {
  split_spans(p.s, re, behavior, invert, scratch, spans);
  for (auto [b, e] : spans) out.push_back({p.s.substr(b, e - b), p.at_start && b == 0});
}

// ------------------------------------------------------------------ decoders
struct DecStep {
  enum Kind { ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip } kind;
  DecStep(Kind k) : kind(k) {}  // NOLINT: implicit, so {DecStep::Fuse} works
  std::string pattern, content;
  PrependScheme prepend = PrependScheme::Always;
  int start = 0, stop = 0;
};

void parse_decoder(const json& j, const std::string& where, std::vector<DecStep>& out,
                   std::string& unsupported) {
  if (j.is_null()) return;
  const std::string t = type_of(j);
  if (t == "Sequence") {
    if (!j.contains("decoders") || !j["decoders"].is_array())
      throw InputError(where + ": decoder Sequence without a decoders array");
    for (const auto& d : j["decoders"]) parse_decoder(d, where, out, unsupported);
  } else if (t == "ByteLevel") {
    out.push_back({DecStep::ByteLevel});
  } else if (t == "Metaspace") {
    DecStep d{DecStep::Metaspace};
    d.pattern = get_str(j, "replacement", kMetaspace);
    d.prepend = metaspace_scheme(j, where + ": decoder Metaspace");
    out.push_back(d);
  } else if (t == "Replace") {
    DecStep d{DecStep::Replace};
    const json& p = j.value("pattern", json());
    if (!(p.is_object() && p.contains("String") && p["String"].is_string())) {
      unsupported = "decoder Replace with a non-String pattern";
      return;
    }
    d.pattern = p["String"].get<std::string>();
    d.content = get_str(j, "content");
    out.push_back(d);
  } else if (t == "ByteFallback") {
    out.push_back({DecStep::ByteFallback});
  } else if (t == "Fuse") {
    out.push_back({DecStep::Fuse});
  } else if (t == "Strip") {
    DecStep d{DecStep::Strip};
    d.content = get_str(j, "content", " ");
    d.start = j.value("start", 0);
    d.stop = j.value("stop", 0);
    out.push_back(d);
  } else {
    unsupported = "decoder type \"" + t +
                  "\" (supported: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence)";
  }
}

std::string replace_str(const std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  std::string out;
  std::size_t pos = 0;
  for (std::size_t f; (f = s.find(from, pos)) != std::string::npos; pos = f + from.size()) {
    out.append(s, pos, f - pos);
    out += to;
  }
  out.append(s, pos);
  return out;
}

void run_decoder(const DecStep& d, std::vector<std::string>& toks) {
  switch (d.kind) {
    case DecStep::ByteLevel: {
      static const auto rev = [] {
        std::unordered_map<char32_t, unsigned char> m;
        for (int b = 0; b < 256; ++b) m[bytes_to_unicode()[b]] = static_cast<unsigned char>(b);
        return m;
      }();
      std::string bytes;
      for (const auto& t : toks) {
        std::string mapped;
        bool ok = true;
        for (char32_t c : utf8::decode(t)) {
          auto it = rev.find(c);
          if (it == rev.end()) {
            ok = false;
            break;
          }
          mapped.push_back(static_cast<char>(it->second));
        }
        bytes += ok ? mapped : t;
      }
      toks = {utf8::lossy(bytes)};
      break;
    }
    case DecStep::Metaspace:
      for (std::size_t i = 0; i < toks.size(); ++i) {
        bool drop = i == 0 && d.prepend != PrependScheme::Never;
        toks[i] = replace_str(toks[i], d.pattern, drop ? "" : " ");
      }
      break;
    case DecStep::Replace:
      for (auto& t : toks) t = replace_str(t, d.pattern, d.content);
      break;
    case DecStep::ByteFallback: {
      std::vector<std::string> out;
      std::string pending;
      std::size_t npending = 0;
      auto flush = [&] {
        if (!npending) return;
        if (utf8::first_invalid(pending) == utf8::kValid)
          out.push_back(pending);
        else
          for (std::size_t k = 0; k < npending; ++k) out.push_back("\xEF\xBF\xBD");
        pending.clear();
        npending = 0;
      };
      for (auto& t : toks) {
        if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>' &&
            std::isxdigit(static_cast<unsigned char>(t[3])) &&
            std::isxdigit(static_cast<unsigned char>(t[4]))) {
          pending.push_back(static_cast<char>(std::stoi(t.substr(3, 2), nullptr, 16)));
          ++npending;
        } else {
          flush();
          out.push_back(std::move(t));
        }
      }
      flush();
      toks = std::move(out);
      break;
    }
    case DecStep::Fuse: {
      std::string all;
      for (auto& t : toks) all += t;
      toks = {all};
      break;
    }
    case DecStep::Strip:
      for (auto& t : toks) {
        auto cps = utf8::decode(t);
        auto content = utf8::decode(d.content);
        char32_t c = content.empty() ? U' ' : content[0];
        std::size_t b = 0, e = cps.size();
        for (int k = 0; k < d.start && b < e && cps[b] == c; ++k) ++b;
        for (int k = 0; k < d.stop && e > b && cps[e - 1] == c; ++k) --e;
        t = utf8::encode(std::vector<char32_t>(cps.begin() + b, cps.begin() + e));
      }
      break;
  }
}

// ---------------------------------------------------------------- the tokenizer
struct AddedToken {
  std::string content;
  int32_t id;
  bool special, lstrip, rstrip, single_word, normalized;
};

bool is_word_byte(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

class HfTokenizer final : public Tokenizer {
 public:
  explicit HfTokenizer(const std::filesystem::path& path) : file_(path.string()) {
    json j;
    try {
      j = json::parse(read_file_bytes(path));
    } catch (const json::exception& e) {
      throw InputError(file_ + ": malformed JSON: " + e.what());
    }
    if (!j.is_object()) throw InputError(file_ + ": not a JSON object");
    if (!j.contains("model") || !j["model"].is_object()) throw InputError(file_ + ": no \"model\" object");
    const std::string mtype = type_of(j["model"]);
    if (mtype != "BPE" && !(mtype.empty() && j["model"].contains("merges")))
      throw InputError(file_ + ": unknown model type \"" + mtype + "\" (supported: BPE)");
    bpe_.load(j["model"], file_);
    id_to_token_ = bpe_.id_to_token();

    if (j.contains("added_tokens") && j["added_tokens"].is_array()) {
      for (const auto& a : j["added_tokens"]) {
        if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
            !a["content"].is_string())
          throw InputError(file_ + ": an added_tokens entry lacks an integer id or a string content");
        AddedToken t{a["content"].get<std::string>(), a["id"].get<int32_t>(),
                     get_bool(a, "special", false),   get_bool(a, "lstrip", false),
                     get_bool(a, "rstrip", false),    get_bool(a, "single_word", false),
                     get_bool(a, "normalized", false)};
        if (t.id < 0 || t.id >= kMaxTokenId)
          throw InputError(file_ + ": added token \"" + t.content + "\" has id " + std::to_string(t.id) +
                           " out of range");
        if (t.content.empty()) continue;
        if (static_cast<std::size_t>(t.id) >= id_to_token_.size()) id_to_token_.resize(t.id + 1);
        id_to_token_[t.id] = t.content;
        added_.push_back(std::move(t));
      }
    }
    for (std::size_t i = 0; i < added_.size(); ++i)
      by_first_byte_[static_cast<unsigned char>(added_[i].content[0])].push_back(i);
    for (auto& v : by_first_byte_)
      std::stable_sort(v.begin(), v.end(), [&](std::size_t a, std::size_t b) {
        return added_[a].content.size() > added_[b].content.size();
      });

    bpe_.enable_chunking(kMetaspace);  // only takes effect when exact (see bpe.h)
    parse_normalizer(j.value("normalizer", json()), file_ + ": normalizer", norm_);
    parse_pre_tokenizer(j.value("pre_tokenizer", json()), file_, pre_);
    parse_decoder(j.value("decoder", json()), file_, dec_, decoder_unsupported_);
    has_decoder_ = !j.value("decoder", json()).is_null();

    std::optional<int32_t> pp_bos = post_processor_bos(j.value("post_processor", json()));
    BosConfig cfg = read_bos_config(path);
    if (cfg.present) {
      if (cfg.add_bos) {
        if (!cfg.bos_token)
          throw InputError((path.parent_path() / "tokenizer_config.json").string() +
                           ": add_bos_token is true but bos_token is not set");
        bos_ = token_id(*cfg.bos_token);
        if (!bos_)
          throw InputError((path.parent_path() / "tokenizer_config.json").string() + ": bos_token \"" +
                           *cfg.bos_token + "\" is not in " + file_);
      }
    } else {
      bos_ = pp_bos;
    }
  }

  std::vector<int32_t> encode(std::string_view text) const override {
    utf8::require_valid(text, "text");
    std::vector<int32_t> ids;
    ids.reserve(text.size() / 3 + 8);
    Spans scratch;
    std::size_t seg_start = 0, pos = 0;
    const std::size_t n = text.size();
    auto flush = [&](std::size_t end) {
      if (end > seg_start)
        encode_segment(text.substr(seg_start, end - seg_start), seg_start == 0, ids, scratch);
    };
    if (!added_.empty()) {
      while (pos < n) {
        const auto& cands = by_first_byte_[static_cast<unsigned char>(text[pos])];
        bool matched = false;
        for (std::size_t idx : cands) {
          const AddedToken& a = added_[idx];
          if (text.compare(pos, a.content.size(), a.content) != 0) continue;
          std::size_t mb = pos, me = pos + a.content.size();
          if (a.single_word && ((mb > 0 && is_word_byte(text[mb - 1])) || (me < n && is_word_byte(text[me]))))
            continue;
          if (a.lstrip)
            while (mb > seg_start && is_ascii_space(text[mb - 1])) --mb;
          if (a.rstrip)
            while (me < n && is_ascii_space(text[me])) ++me;
          flush(mb);
          ids.push_back(a.id);
          seg_start = pos = me;
          matched = true;
          break;
        }
        if (!matched) ++pos;
      }
    }
    flush(n);
    return ids;
  }

  std::optional<int32_t> bos_id() const override { return bos_; }

  std::string decode(std::span<const int32_t> ids) const override {
    if (!decoder_unsupported_.empty())
      throw InputError(file_ + ": cannot decode: unsupported " + decoder_unsupported_);
    std::vector<std::string> toks;
    toks.reserve(ids.size());
    for (int32_t id : ids) {
      if (id < 0 || static_cast<std::size_t>(id) >= id_to_token_.size() || id_to_token_[id].empty())
        throw InputError("decode: id " + std::to_string(id) + " is not in " + file_);
      toks.push_back(id_to_token_[id]);
    }
    if (!has_decoder_) {
      std::string out;
      for (std::size_t i = 0; i < toks.size(); ++i) out += (i ? " " : "") + toks[i];
      return out;
    }
    for (const auto& d : dec_) run_decoder(d, toks);
    std::string out;
    for (auto& t : toks) out += t;
    return out;
  }

  int64_t vocab_size() const override { return static_cast<int64_t>(id_to_token_.size()); }
  std::string kind() const override { return "hf-bpe"; }

 private:
  std::optional<int32_t> token_id(const std::string& tok) const {
    for (const auto& a : added_)
      if (a.content == tok) return a.id;
    auto it = bpe_.vocab().find(tok);
    if (it != bpe_.vocab().end()) return it->second;
    return std::nullopt;
  }

  std::optional<int32_t> post_processor_bos(const json& pp) const {
    if (pp.is_null()) return std::nullopt;
    const std::string t = type_of(pp);
    const std::string w = file_ + ": post_processor " + t;
    if (t == "ByteLevel") return std::nullopt;
    if (t == "Sequence") {
      std::optional<int32_t> bos;
      if (pp.contains("processors") && pp["processors"].is_array())
        for (const auto& p : pp["processors"])
          if (auto b = post_processor_bos(p)) bos = b;
      return bos;
    }
    if (t == "TemplateProcessing") {
      if (!pp.contains("single") || !pp["single"].is_array())
        throw InputError(w + " has no \"single\" template");
      for (const auto& piece : pp["single"]) {
        if (piece.contains("Sequence")) return std::nullopt;  // nothing before $A
        if (piece.contains("SpecialToken")) {
          std::string name = get_str(piece["SpecialToken"], "id");
          const json& st = pp.value("special_tokens", json::object());
          if (st.contains(name) && st[name].contains("ids") && st[name]["ids"].is_array() &&
              !st[name]["ids"].empty())
            return st[name]["ids"][0].get<int32_t>();
          if (auto id = token_id(name)) return id;
          throw InputError(w + ": special token \"" + name + "\" has no id");
        }
      }
      return std::nullopt;
    }
    if (t == "RobertaProcessing" || t == "BertProcessing") {
      if (pp.contains("cls") && pp["cls"].is_array() && pp["cls"].size() == 2 &&
          pp["cls"][1].is_number_integer())
        return pp["cls"][1].get<int32_t>();
      throw InputError(w + " has no [token, id] \"cls\"");
    }
    throw InputError(
        file_ + ": unsupported post_processor type \"" + t +
        "\" (supported: null, ByteLevel, TemplateProcessing, RobertaProcessing, BertProcessing, Sequence)");
  }

  void encode_segment(std::string_view seg, bool at_start, std::vector<int32_t>& ids, Spans& scratch) const {
    std::vector<Piece> pieces;
    if (norm_.empty()) {
      pieces.push_back({std::string(seg), at_start});
    } else {
      std::string s(seg);
      apply_normalizers(norm_, s);
      pieces.push_back({std::move(s), at_start});
    }
    bool byte_level_pending = false;
    std::vector<Piece> next;
    Spans spans;
    for (std::size_t si = 0; si < pre_.size(); ++si) {
      const PreStep& step = pre_[si];
      const bool last = si + 1 == pre_.size();
      if (byte_level_pending && step.kind != PreStep::ByteLevel) {
        for (auto& p : pieces) p.s = byte_level_map(p.s);
        byte_level_pending = false;
      }
      next.clear();
      // A splitting last step hands its spans straight to the model (no copies).
      auto emit = [&](const Piece& p, const Regex& re, Behavior b, bool inv, bool byte_level) {
        if (last) {
          split_spans(p.s, re, b, inv, scratch, spans);
          for (auto [x, y] : spans) bpe_.tokenize(std::string_view(p.s).substr(x, y - x), byte_level, ids);
        } else {
          split_piece(p, re, b, inv, next, scratch, spans);
        }
      };
      switch (step.kind) {
        case PreStep::Split:
          for (const auto& p : pieces) emit(p, *step.re, step.behavior, step.invert, false);
          if (last) return;
          break;
        case PreStep::ByteLevel:
          for (auto& p : pieces) {
            if (step.add_prefix_space && (p.s.empty() || p.s[0] != ' ')) p.s.insert(0, " ");
            if (step.re)
              emit(p, *step.re, Behavior::Isolated, false, true);
            else
              next.push_back(std::move(p));
          }
          if (last && step.re) return;
          byte_level_pending = true;
          break;
        case PreStep::Metaspace:
          for (auto& p : pieces) {
            std::string s = replace_str(p.s, " ", step.replacement);
            bool prepend =
                step.prepend == PrependScheme::Always || (step.prepend == PrependScheme::First && p.at_start);
            if (prepend && s.compare(0, step.replacement.size(), step.replacement) != 0)
              s.insert(0, step.replacement);
            Piece q{std::move(s), p.at_start};
            if (step.split)
              emit(q, *step.re, Behavior::MergedWithNext, false, false);
            else
              next.push_back(std::move(q));
          }
          if (last && step.split) return;
          break;
      }
      pieces.swap(next);
    }
    for (const auto& p : pieces) bpe_.tokenize(p.s, byte_level_pending, ids);
  }

  std::string file_;
  BpeModel bpe_;
  std::vector<std::string> id_to_token_;
  std::vector<AddedToken> added_;
  std::array<std::vector<std::size_t>, 256> by_first_byte_;
  std::vector<NormStep> norm_;
  std::vector<PreStep> pre_;
  std::vector<DecStep> dec_;
  std::string decoder_unsupported_;
  bool has_decoder_ = false;
  std::optional<int32_t> bos_;
};

}  // namespace

std::unique_ptr<Tokenizer> open_hf_json(const std::filesystem::path& path) {
  try {
    return std::make_unique<HfTokenizer>(path);
  } catch (const json::exception& e) {
    // A field of an unexpected JSON type somewhere in the file.
    throw InputError(path.string() + ": unexpected tokenizer.json structure: " + e.what());
  }
}

}  // namespace logitrank::tokenizer
