// Project Gutenberg header / licence footer stripping.
// Header: everything up to and including the line that starts with "*** START OF" and
// names "PROJECT GUTENBERG" (e.g. "*** START OF THE PROJECT GUTENBERG EBOOK DRACULA ***").
// Footer: from the line that starts with "*** END OF" and names "PROJECT GUTENBERG"
// (or, in older files without it, a line starting "End of the Project Gutenberg" / "End of
// Project Gutenberg") to the end. Blank lines left at either end of the body are removed
// and the body ends with one newline. A file without a start marker is left untouched.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace logitrank::tokenizer {
namespace {

std::string upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

// Byte offset of the first line (at or after `from`) satisfying pred, or npos.
template <class Pred>
std::size_t find_line(const std::string& t, std::size_t from, Pred pred) {
  std::size_t pos = from;
  while (pos < t.size()) {
    std::size_t eol = t.find('\n', pos);
    std::size_t end = eol == std::string::npos ? t.size() : eol;
    std::string_view line(t.data() + pos, end - pos);
    if (pred(line)) return pos;
    if (eol == std::string::npos) break;
    pos = eol + 1;
  }
  return std::string::npos;
}

bool marker(std::string_view line, std::string_view prefix) {
  std::size_t i = 0;
  while (i < line.size() &&
         (line[i] == ' ' || line[i] == '\t' || line[i] == '\xEF' || line[i] == '\xBB' || line[i] == '\xBF'))
    ++i;
  std::string u = upper(line.substr(i));
  std::string p(prefix);
  // "***START OF" without the space also occurs.
  if (u.rfind("***", 0) != 0) return false;
  std::string rest = u.substr(3);
  while (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
  return rest.rfind(p, 0) == 0 && u.find("PROJECT GUTENBERG") != std::string::npos;
}

bool is_blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

}  // namespace

bool strip_gutenberg_boilerplate(std::string& text) {
  std::size_t start = find_line(text, 0, [](std::string_view l) { return marker(l, "START OF"); });
  if (start == std::string::npos) return false;
  std::size_t body_begin = text.find('\n', start);
  body_begin = body_begin == std::string::npos ? text.size() : body_begin + 1;
  std::size_t body_end = find_line(text, body_begin, [](std::string_view l) { return marker(l, "END OF"); });
  if (body_end == std::string::npos) {
    body_end = find_line(text, body_begin, [](std::string_view l) {
      std::string u = upper(l.substr(0, 40));
      return u.rfind("END OF THE PROJECT GUTENBERG", 0) == 0 || u.rfind("END OF PROJECT GUTENBERG", 0) == 0;
    });
  }
  if (body_end == std::string::npos) body_end = text.size();
  std::string_view body(text.data() + body_begin, body_end - body_begin);
  // Drop blank lines at both ends: [b, e) runs from the first to the end of the last
  // non-blank line.
  std::size_t b = 0, e = 0, pos = 0;
  bool seen = false;
  while (pos < body.size()) {
    std::size_t eol = body.find('\n', pos);
    std::size_t end = eol == std::string_view::npos ? body.size() : eol;
    if (!is_blank(body.substr(pos, end - pos))) {
      if (!seen) b = pos;
      seen = true;
      e = end;
    }
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  std::string out = seen ? std::string(body.substr(b, e - b)) + "\n" : std::string();
  text = std::move(out);
  return true;
}

}  // namespace logitrank::tokenizer
