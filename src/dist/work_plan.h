#pragma once
// The work plan, built once on rank 0 from the run configuration:
//   --qk input:  one QkField unit per (source, layer);
//   a model:     one ModelField unit per (model, text, window) -- the forward pass runs once
//                per window for all selected layers -- then one Weight unit per (model, layer).
// Order: models in the order given; per model its field units (texts/token-id files in the
// order given, windows ascending), then its weight units (layers ascending). Unit ids are
// "<4-digit plan index>-<model>.<text>.w<window>[.L<layer>]" or "<index>-<model>.weights.L<layer>",
// reduced to [A-Za-z0-9._-]. The same configuration and inputs always give the same plan.
// Texts are tokenized here, once per (model, text): the tokenizer from the model entry, else
// the one beside the model; BOS from the tokenizer unless bos is false; windows cut by
// tokenizer::cut_windows. Token-id files are used as given (no BOS); with no seq_len (or
// seq_len equal to their count) they form one window.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dist/run_config.h"
#include "dist/work_unit.h"

namespace logitrank::dist {

struct WorkPlan {
  std::vector<Unit> units;
  nlohmann::json inputs;    // manifest "inputs": models and texts (sizes, hashes, window ids)
  std::string config_hash;  // hash of everything that decides the results (not out/threads)
};

// Validates every input (InputError naming the file/key at fault) and builds the plan.
WorkPlan build_plan(const RunConfig& cfg);

// File-name-safe form of a name: characters outside [A-Za-z0-9._-] become '_'.
std::string safe_name(const std::string& s);

}  // namespace logitrank::dist
