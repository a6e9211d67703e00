#include "report/csv.h"

#include <stdexcept>

namespace logitrank::report::csv {

std::string quote(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::vector<Record> parse(std::string_view text) {
  std::vector<Record> records;
  std::size_t i = 0, n = text.size();
  int line = 1;
  while (i < n) {
    Record rec;
    rec.line = line;
    std::string field;
    bool end_of_record = false;
    while (!end_of_record) {
      field.clear();
      if (i < n && text[i] == '"') {
        ++i;
        for (;;) {
          if (i >= n)
            throw std::runtime_error("line " + std::to_string(rec.line) + ": unterminated quoted field");
          char c = text[i++];
          if (c == '"') {
            if (i < n && text[i] == '"') {
              field += '"';
              ++i;
            } else {
              break;
            }
          } else {
            if (c == '\n') ++line;
            field += c;
          }
        }
        if (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
          throw std::runtime_error("line " + std::to_string(line) + ": text after a closing quote");
      } else {
        while (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          if (text[i] == '"')
            throw std::runtime_error("line " + std::to_string(line) + ": stray quote in unquoted field");
          field += text[i++];
        }
      }
      rec.fields.push_back(field);
      if (i >= n) {
        end_of_record = true;
      } else if (text[i] == ',') {
        ++i;
      } else {  // line end
        if (text[i] == '\r') ++i;
        if (i < n && text[i] == '\n') ++i;
        ++line;
        end_of_record = true;
      }
    }
    // Skip blank lines (a record of one empty field).
    if (rec.fields.size() == 1 && rec.fields[0].empty()) continue;
    records.push_back(std::move(rec));
  }
  return records;
}

}  // namespace logitrank::report::csv
