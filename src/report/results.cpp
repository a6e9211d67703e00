// Writing a results folder: heads.csv, spectra.safetensors, softmax.csv, summary.*,
// manifest.json. Everything is sorted before formatting so the bytes depend only on the
// records, never on the order they arrived in.
#include "report/results.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <stdexcept>
#include <tuple>

#include "io/error.h"
#include "io/safetensors.h"
#include "report/csv.h"

namespace logitrank::report {

namespace fs = std::filesystem;

namespace {

// 17 significant digits: exact round trip of a double, deterministic across platforms.
std::string fmt_double(double x) { return fmt::format("{:.17g}", x); }

auto row_key(const HeadRow& r) { return std::tie(r.model, r.text, r.window, r.layer, r.head); }

void append_metrics(std::string& line, const SpectrumMetrics& m, bool with_rank) {
  line += fmt::format(",{},{},{},{},{},{},{}", m.k80, m.k90, m.k95, m.k99, fmt_double(m.erank),
                      fmt_double(m.pr), fmt_double(m.stable_rank));
  if (with_rank) line += fmt::format(",{}", m.numerical_rank);
}

std::string fmt_opt(const std::optional<double>& x) { return x ? fmt_double(*x) : std::string(); }

}  // namespace

void write_file_atomic(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += fmt::format(".tmp.{}", static_cast<long>(::getpid()));
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw InputError(path.string() + ": cannot create file");
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    f.flush();
    if (!f) {
      f.close();
      std::error_code ec;
      fs::remove(tmp, ec);
      throw InputError(path.string() + ": write failed (disk full?)");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw InputError(path.string() + ": cannot rename temporary file into place");
  }
}

std::vector<HeadRow> make_head_rows(const RunResults& results) {
  std::map<std::tuple<std::string, int, int>, const WeightRecord*> weights;
  for (const auto& w : results.weights) {
    auto [it, inserted] = weights.emplace(std::make_tuple(w.model, w.layer, w.head), &w);
    if (!inserted)
      throw std::invalid_argument(fmt::format(
          "write_results: two weight records for model {} layer {} head {}", w.model, w.layer, w.head));
  }
  std::vector<HeadRow> rows;
  rows.reserve(results.fields.size());
  for (const auto& f : results.fields) {
    HeadRow r;
    r.model = f.model;
    r.text = f.text;
    r.window = f.window;
    r.layer = f.layer;
    r.head = f.head;
    r.kv_head = f.kv_head;
    r.head_dim = f.head_dim;
    r.seq_len = f.seq_len;
    r.field = f.metrics;
    if (auto it = weights.find(std::make_tuple(f.model, f.layer, f.head)); it != weights.end()) {
      const SpectrumMetrics& w = it->second->metrics;
      r.weight = w;
      if (f.metrics.erank > 0) r.erank_gap = w.erank / f.metrics.erank;
      if (f.metrics.k90 > 0) r.k90_gap = static_cast<double>(w.k90) / f.metrics.k90;
    }
    rows.push_back(std::move(r));
  }
  std::sort(rows.begin(), rows.end(),
            [](const HeadRow& a, const HeadRow& b) { return row_key(a) < row_key(b); });
  for (std::size_t i = 1; i < rows.size(); ++i)
    if (row_key(rows[i - 1]) == row_key(rows[i]))
      throw std::invalid_argument(
          fmt::format("write_results: two field records for model {} text {} window {} layer {} head {}",
                      rows[i].model, rows[i].text, rows[i].window, rows[i].layer, rows[i].head));
  return rows;
}

std::string format_heads_csv(const std::vector<HeadRow>& rows) {
  std::string out = kHeadsHeader;
  out += '\n';
  for (const auto& r : rows) {
    std::string line = csv::quote(r.model) + ',' + csv::quote(r.text);
    line += fmt::format(",{},{},{},{},{},{}", r.window, r.layer, r.head, r.kv_head, r.head_dim, r.seq_len);
    append_metrics(line, r.field, true);
    if (r.weight)
      append_metrics(line, *r.weight, false);
    else
      line += ",,,,,,,";
    line += ',' + fmt_opt(r.erank_gap) + ',' + fmt_opt(r.k90_gap);
    out += line;
    out += '\n';
  }
  return out;
}

std::string format_softmax_csv(const std::vector<SoftmaxRow>& rows) {
  std::string out = kSoftmaxHeader;
  out += '\n';
  for (const auto& r : rows) {
    out += csv::quote(r.model) + ',' + csv::quote(r.text);
    out += fmt::format(",{},{},{},{},{},{},{}\n", r.window, r.layer, r.head, r.point.rank,
                       fmt_double(r.point.tv_full), fmt_double(r.point.tv_causal),
                       fmt_double(r.point.bound_full));
  }
  return out;
}

namespace {

// Pads singular-value rows of one tensor to a common width (missing values are zero
// singular values); a head absent from the set leaves a row of NaN.
void add_sv_tensor(io::SafetensorsWriter& w, const std::string& name,
                   const std::map<int, const std::vector<double>*>& by_head) {
  int heads = by_head.empty() ? 0 : by_head.rbegin()->first + 1;
  std::size_t width = 0;
  for (const auto& [h, sv] : by_head) width = std::max(width, sv->size());
  std::vector<double> data(static_cast<std::size_t>(heads) * width, std::numeric_limits<double>::quiet_NaN());
  for (const auto& [h, sv] : by_head) {
    double* row = data.data() + static_cast<std::size_t>(h) * width;
    std::fill(row, row + width, 0.0);
    std::copy(sv->begin(), sv->end(), row);
  }
  w.add_f64(name, {heads, static_cast<int64_t>(width)}, data);
}

void write_spectra(const fs::path& path, const RunResults& results) {
  // name -> head -> values; std::map keeps tensor names (and heads) sorted.
  std::map<std::string, std::map<int, const std::vector<double>*>> tensors;
  for (const auto& f : results.fields)
    tensors[fmt::format("{}/{}/{}/layer.{}.field_sv", f.model, f.text, f.window, f.layer)][f.head] = &f.sv;
  for (const auto& wr : results.weights)
    tensors[fmt::format("{}/layer.{}.weight_sv", wr.model, wr.layer)][wr.head] = &wr.sv;
  io::SafetensorsWriter w;
  w.set_metadata("format", "logitrank spectra v1");
  for (const auto& [name, by_head] : tensors) add_sv_tensor(w, name, by_head);
  w.write(path);
}

}  // namespace

void write_results(const fs::path& out, const RunResults& results) {
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec || !fs::is_directory(out)) throw InputError(out.string() + ": cannot create results folder");

  std::vector<HeadRow> rows = make_head_rows(results);
  write_file_atomic(out / "heads.csv", format_heads_csv(rows));
  write_spectra(out / "spectra.safetensors", results);

  if (results.softmax_check) {
    std::vector<SoftmaxRow> sm;
    for (const auto& f : results.fields)
      for (const auto& p : f.softmax) sm.push_back({f.model, f.text, f.window, f.layer, f.head, p});
    std::sort(sm.begin(), sm.end(), [](const SoftmaxRow& a, const SoftmaxRow& b) {
      return std::tie(a.model, a.text, a.window, a.layer, a.head, a.point.rank) <
             std::tie(b.model, b.text, b.window, b.layer, b.head, b.point.rank);
    });
    write_file_atomic(out / "softmax.csv", format_softmax_csv(sm));
  } else {
    std::error_code ec;
    fs::remove(out / "softmax.csv", ec);  // a stale one from an earlier run would not match
  }

  Summary s = summarize(rows);
  write_file_atomic(out / "summary.json", summary_json(s).dump(2) + "\n");
  write_file_atomic(out / "summary.md", summary_markdown(s));
  write_file_atomic(out / "manifest.json", results.manifest.dump(2) + "\n");
}

}  // namespace logitrank::report
