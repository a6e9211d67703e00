#pragma once
// Writing a results folder (INTERFACE.md "Results folder") from gathered records,
// and reading it back for `logitrank report`.
//
// Number format: every floating-point value in heads.csv and softmax.csv is printed
// with fmt "{:.17g}" (17 significant digits: round-trips a double exactly, so tables
// recomputed from heads.csv equal those computed from the records). Integers are
// printed plainly. Names holding a comma, a quote, CR or LF are quoted as in RFC 4180.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "io/head_record.h"

namespace logitrank::report {

struct RunResults {
  std::vector<FieldRecord> fields;    // any order; sorted on write
  std::vector<WeightRecord> weights;  // any order; empty for --qk input
  bool softmax_check = false;
  nlohmann::json manifest;  // written as manifest.json as given
};

// Writes heads.csv, spectra.safetensors, softmax.csv (if softmax_check), summary.json,
// summary.md and manifest.json into `out`. Every file is written to a temporary name and
// renamed, so a folder never holds a partial file under a final name. Output bytes depend
// only on the records, never on their order.
// Throws std::invalid_argument for two records with the same key (an internal error).
void write_results(const std::filesystem::path& out, const RunResults& results);

// ---- one row of heads.csv, as written and as read back ----
inline constexpr const char* kHeadsHeader =
    "model,text,window,layer,head,kv_head,head_dim,seq_len,"
    "field_k80,field_k90,field_k95,field_k99,field_erank,field_pr,field_stable_rank,field_rank,"
    "weight_k80,weight_k90,weight_k95,weight_k99,weight_erank,weight_pr,weight_stable_rank,"
    "erank_gap,k90_gap";
inline constexpr const char* kSoftmaxHeader =
    "model,text,window,layer,head,rank,tv_full,tv_causal,bound_full";

struct HeadRow {
  std::string model, text;
  int window = 0, layer = 0, head = 0, kv_head = 0, head_dim = 0, seq_len = 0;
  SpectrumMetrics field;
  std::optional<SpectrumMetrics> weight;     // none for --qk input (numerical_rank unused)
  std::optional<double> erank_gap, k90_gap;  // weight / field; none when undefined
};

struct SoftmaxRow {
  std::string model, text;
  int window = 0, layer = 0, head = 0;
  SoftmaxPoint point;
};

// Rows of heads.csv from records (joined, gaps computed, sorted).
std::vector<HeadRow> make_head_rows(const RunResults& results);
std::string format_heads_csv(const std::vector<HeadRow>& sorted_rows);
std::string format_softmax_csv(const std::vector<SoftmaxRow>& sorted_rows);

// ---- summary tables ----
struct Stats {
  double min = 0, median = 0, max = 0, mean = 0;
  std::size_t count = 0;
};
Stats compute_stats(std::vector<double> values);  // count 0 -> all zero

struct ModelSummary {
  std::string model;
  std::size_t heads = 0;  // distinct (layer, head)
  std::size_t rows = 0;   // (text, window, layer, head) rows
  int head_dim = 0;
  std::size_t texts = 0, windows = 0;  // distinct texts, distinct (text, window)
  Stats field_k90;                     // over all rows
  std::optional<Stats> weight_k90;     // over distinct (layer, head)
  std::optional<Stats> erank_gap;      // over all rows with a gap
  std::optional<Stats> k90_gap;        // over all rows with a gap
};

struct Summary {
  std::vector<ModelSummary> models;  // sorted by model name
};

Summary summarize(const std::vector<HeadRow>& rows);
std::string headline(const Summary& s);  // "field k90 a–b, weight k90 c–d, gap e–f×"
std::string summary_markdown(const Summary& s);
std::string summary_csv(const Summary& s);
nlohmann::json summary_json(const Summary& s);
std::string summary_tex(const Summary& s);

// ---- reading result folders back ----
struct ResultFolder {
  std::filesystem::path dir;
  std::vector<HeadRow> rows;        // as in heads.csv
  std::vector<SoftmaxRow> softmax;  // empty when softmax.csv is absent
  bool has_spectra = false;
  nlohmann::json manifest;  // null when manifest.json is absent
};

// Reads heads.csv (required), softmax.csv and manifest.json (optional) and checks
// spectra.safetensors when present. InputError naming the file (and line) on bad input.
ResultFolder read_results_folder(const std::filesystem::path& dir);
std::vector<HeadRow> parse_heads_csv(const std::string& text, const std::filesystem::path& file);
std::vector<SoftmaxRow> parse_softmax_csv(const std::string& text, const std::filesystem::path& file);

// Merges folders into one sorted row set; the same (model, text, window, layer, head)
// in two folders (or twice in one) -> InputError naming both places.
std::vector<HeadRow> merge_rows(const std::vector<ResultFolder>& folders);

// Writes `text` to `path` through a temporary file and a rename.
void write_file_atomic(const std::filesystem::path& path, const std::string& text);

}  // namespace logitrank::report
