// Reading result folders back (logitrank report): heads.csv, softmax.csv,
// manifest.json, spectra.safetensors; merging several folders into one row set.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "io/error.h"
#include "io/json_file.h"
#include "io/safetensors.h"
#include "report/csv.h"
#include "report/results.h"

namespace logitrank::report {

namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw InputError(path.string() + ": cannot read file");
  return ss.str();
}

std::vector<csv::Record> parse_csv(const std::string& text, const fs::path& file) {
  try {
    return csv::parse(text);
  } catch (const std::runtime_error& e) {
    throw InputError(file.string() + ": " + e.what());
  }
}

std::vector<std::string> split_header(const char* header) {
  std::vector<std::string> out;
  std::string cur;
  for (const char* p = header; *p; ++p) {
    if (*p == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += *p;
    }
  }
  out.push_back(cur);
  return out;
}

// Field parsers with the file, line and column in the message.
struct Cursor {
  const fs::path& file;
  const csv::Record& rec;
  const std::vector<std::string>& names;

  [[noreturn]] void fail(std::size_t col, std::string_view what) const {
    throw InputError(fmt::format("{}: line {}: column {}: {} '{}'", file.string(), rec.line, names[col], what,
                                 rec.fields[col]));
  }
  int int_at(std::size_t col) const {
    const std::string& s = rec.fields[col];
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) fail(col, "not an integer:");
    return v;
  }
  double double_at(std::size_t col) const {
    const std::string& s = rec.fields[col];
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) fail(col, "not a number:");
    return v;
  }
  std::optional<double> opt_double_at(std::size_t col) const {
    if (rec.fields[col].empty()) return std::nullopt;
    return double_at(col);
  }
};

void check_header(const std::vector<csv::Record>& recs, const char* header, const fs::path& file) {
  if (recs.empty())
    throw InputError(file.string() + ": line 1: empty file (expected header '" + header + "')");
  if (recs[0].fields != split_header(header))
    throw InputError(file.string() + ": line 1: unexpected header (expected '" + header + "')");
}

void check_width(const csv::Record& rec, std::size_t n, const fs::path& file) {
  if (rec.fields.size() != n)
    throw InputError(
        fmt::format("{}: line {}: {} fields, expected {}", file.string(), rec.line, rec.fields.size(), n));
}

// Parses a CSV whose first line must be exactly `header`; every later line must have as many
// fields, and `fill(cursor, row)` reads one of them into a Row. Errors name file and line.
template <class Row, class Fill>
std::vector<Row> parse_table(const std::string& text, const fs::path& file, const char* header, Fill fill) {
  const auto recs = parse_csv(text, file);
  check_header(recs, header, file);
  const auto names = split_header(header);
  std::vector<Row> rows;
  rows.reserve(recs.size() - 1);
  for (std::size_t i = 1; i < recs.size(); ++i) {
    const csv::Record& rec = recs[i];
    check_width(rec, names.size(), file);
    const Cursor c{file, rec, names};
    Row r;
    r.model = rec.fields[0];
    r.text = rec.fields[1];
    fill(c, r);
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace

std::vector<HeadRow> parse_heads_csv(const std::string& text, const fs::path& file) {
  return parse_table<HeadRow>(text, file, kHeadsHeader, [](const Cursor& c, HeadRow& r) {
    const csv::Record& rec = c.rec;
    if (r.model.empty()) c.fail(0, "empty model name:");
    r.window = c.int_at(2);
    r.layer = c.int_at(3);
    r.head = c.int_at(4);
    r.kv_head = c.int_at(5);
    r.head_dim = c.int_at(6);
    r.seq_len = c.int_at(7);
    r.field.k80 = c.int_at(8);
    r.field.k90 = c.int_at(9);
    r.field.k95 = c.int_at(10);
    r.field.k99 = c.int_at(11);
    r.field.erank = c.double_at(12);
    r.field.pr = c.double_at(13);
    r.field.stable_rank = c.double_at(14);
    r.field.numerical_rank = c.int_at(15);
    std::size_t filled = 0;
    for (std::size_t k = 16; k <= 22; ++k) filled += rec.fields[k].empty() ? 0 : 1;
    if (filled != 0 && filled != 7) c.fail(16, "weight columns partly empty:");
    if (filled == 7) {
      SpectrumMetrics w;
      w.k80 = c.int_at(16);
      w.k90 = c.int_at(17);
      w.k95 = c.int_at(18);
      w.k99 = c.int_at(19);
      w.erank = c.double_at(20);
      w.pr = c.double_at(21);
      w.stable_rank = c.double_at(22);
      r.weight = w;
    }
    r.erank_gap = c.opt_double_at(23);
    r.k90_gap = c.opt_double_at(24);
  });
}

std::vector<SoftmaxRow> parse_softmax_csv(const std::string& text, const fs::path& file) {
  return parse_table<SoftmaxRow>(text, file, kSoftmaxHeader, [](const Cursor& c, SoftmaxRow& r) {
    r.window = c.int_at(2);
    r.layer = c.int_at(3);
    r.head = c.int_at(4);
    r.point.rank = c.int_at(5);
    r.point.tv_full = c.double_at(6);
    r.point.tv_causal = c.double_at(7);
    r.point.bound_full = c.double_at(8);
  });
}

ResultFolder read_results_folder(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw InputError(dir.string() + ": not a results folder (no such directory)");
  ResultFolder f;
  f.dir = dir;
  fs::path heads = dir / "heads.csv";
  if (!fs::exists(heads)) throw InputError(heads.string() + ": missing (not a logitrank results folder?)");
  f.rows = parse_heads_csv(read_text(heads), heads);
  if (f.rows.empty()) throw InputError(heads.string() + ": line 2: no rows");
  fs::path softmax = dir / "softmax.csv";
  if (fs::exists(softmax)) f.softmax = parse_softmax_csv(read_text(softmax), softmax);
  fs::path manifest = dir / "manifest.json";
  if (fs::exists(manifest)) f.manifest = io::read_json_file(manifest);
  fs::path spectra = dir / "spectra.safetensors";
  if (fs::exists(spectra)) {
    io::SafetensorsFile st(spectra);  // validates the header; InputError naming the file
    f.has_spectra = true;
  }
  return f;
}

std::vector<HeadRow> merge_rows(const std::vector<ResultFolder>& folders) {
  using Key = std::tuple<std::string, std::string, int, int, int>;
  std::map<Key, std::pair<const ResultFolder*, const HeadRow*>> seen;
  std::vector<HeadRow> rows;
  for (const auto& f : folders) {
    for (const auto& r : f.rows) {
      Key k{r.model, r.text, r.window, r.layer, r.head};
      auto [it, inserted] = seen.emplace(k, std::make_pair(&f, &r));
      if (!inserted) {
        const fs::path a = it->second.first->dir / "heads.csv", b = f.dir / "heads.csv";
        throw InputError(
            fmt::format("duplicate row (model {}, text {}, window {}, layer {}, head {}) in {} and {}",
                        r.model, r.text, r.window, r.layer, r.head, a.string(), b.string()));
      }
      rows.push_back(r);
    }
  }
  std::sort(rows.begin(), rows.end(), [](const HeadRow& a, const HeadRow& b) {
    return std::tie(a.model, a.text, a.window, a.layer, a.head) <
           std::tie(b.model, b.text, b.window, b.layer, b.head);
  });
  return rows;
}

}  // namespace logitrank::report
