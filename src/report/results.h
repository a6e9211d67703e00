#pragma once
// Writing a results folder (INTERFACE.md "Results folder") from gathered records,
// and reading it back for `logitrank report`.
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/head_record.h"

namespace logitrank::report {

struct RunResults {
  std::vector<FieldRecord> fields;    // any order; sorted on write
  std::vector<WeightRecord> weights;  // any order; empty for --qk input
  bool softmax_check = false;
  nlohmann::json manifest;            // written as manifest.json as given
};

// Writes heads.csv, spectra.safetensors, softmax.csv (if softmax_check), summary.json,
// summary.md and manifest.json into `out`. Every file is written to a temporary name and
// renamed, so a folder never holds a partial file under a final name. Output bytes depend
// only on the records, never on their order.
void write_results(const std::filesystem::path& out, const RunResults& results);

}  // namespace logitrank::report
