#pragma once
// RFC 4180 CSV: quoting on write, a parser that keeps line numbers for error messages.
#include <string>
#include <string_view>
#include <vector>

namespace logitrank::report::csv {

// Quotes `field` when it holds a comma, a double quote, CR or LF (quotes doubled).
std::string quote(std::string_view field);

struct Record {
  std::vector<std::string> fields;
  int line = 0;  // 1-based line where the record starts
};

// Splits CSV text into records (CRLF or LF line ends; quoted fields may span lines).
// Throws std::runtime_error("line N: ...") on an unterminated quote or text after a
// closing quote; callers prefix the file name.
std::vector<Record> parse(std::string_view text);

}  // namespace logitrank::report::csv
