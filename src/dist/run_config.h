#pragma once
// Configuration of `logitrank run`: a YAML file, then `--set key=value` overrides, then the
// explicit command-line flags (a flag wins over --set, --set wins over the file).
//
// Keys (configs/*.yaml use exactly these; an unknown key is an InputError that suggests the
// nearest valid key, e.g. "configs/x.yaml: unknown key 'seqlen' (did you mean 'seq_len'?)"):
//
//   models:            list of {name, path, tokenizer, qk} maps or plain path strings. name defaults to the
//                      folder/file stem; path = HF folder or llama2.c .bin; qk = precomputed safetensors
//                      (instead of path). For a qk file the model name defaults to the file's parent folder
//                      name and the text name to the file stem (fixtures/tiny-llama/golden.safetensors ->
//                      tiny-llama, golden).
//   texts:             list of text files (or {name, path}); name defaults to file stem
//   token_ids:         list of token-id files (or {name, path}) -- ids used exactly as given, no BOS
//   seq_len:           int (default: from config, else 1024, capped by the model's context); with token_ids
//   and
//                      no seq_len, one window of all the file's ids. Ignored for qk files (L comes from the
//                      file).
//   windows:           int, default 1
//   stride:            int, body tokens between window starts; default = the body tokens a
//                      window holds (seq_len, or seq_len - 1 when a BOS is prepended)
//   layers:            "all" | "0-5" | "0,3,11" (also a YAML int or list of ints; ranges and lists combine:
//   "0-2,7") method:            factored | dense | scalapack softmax_check:     bool, default false
//   softmax_ranks:     "all" (r = 1..d_h) or a list of ints
//   bos:               bool, default true (false = --no-bos)
//   strip_gutenberg:   bool, default true
//   out:               results folder, default results/<UTC timestamp>
//   threads:           OpenBLAS threads per rank, default 0 = library default
//
// String values expand ${VAR} and ${VAR:-default} from the environment. LOGITRANK_DATA, when
// not set, is the first existing of ./../shared/data (relative to the current directory) and
// the build-time default; LOGITRANK_MODELS, when not set, is ${LOGITRANK_DATA}/models.
// Relative paths (in a config file, in --set or on the command line) resolve against the
// current directory, not the config file's folder.
// Inside a YAML flow collection ([...] or {...}) quote a value that holds ${...}.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace logitrank::dist {

struct ModelSpec {
  std::string name;                 // empty = default
  std::filesystem::path path;       // HF folder or llama2.c .bin (empty for qk)
  std::filesystem::path tokenizer;  // empty = beside the model
  std::filesystem::path qk;         // precomputed queries/keys (instead of path)
};

struct InputSpec {
  std::string name;  // empty = file stem
  std::filesystem::path path;
};

struct RunConfig {
  std::vector<ModelSpec> models;
  std::vector<InputSpec> texts;
  std::vector<InputSpec> token_ids;
  std::optional<int> seq_len;
  int windows = 1;
  std::optional<int> stride;
  std::string layers = "all";
  std::string method = "factored";
  bool softmax_check = false;
  std::vector<int> softmax_ranks;  // empty = all (1..d_h)
  bool bos = true;
  bool strip_gutenberg = true;
  std::filesystem::path out;  // empty = results/<UTC timestamp>
  int threads = 0;
  bool resume = false;  // command line only

  // The keys above as JSON (manifest "config" echo). Paths as given after expansion.
  nlohmann::json to_json() const;
};

// The valid keys, in the order of the table above.
const std::vector<std::string>& config_keys();

// Applies one key. `where` names the source for messages ("configs/x.yaml", "--set").
// Throws InputError for an unknown key (with a suggestion) or a value of the wrong type.
void apply_key(RunConfig& cfg, const std::string& key, const YAML::Node& value, const std::string& where);

// Reads a YAML file (a map of the keys above) into `cfg`.
void load_config_file(RunConfig& cfg, const std::filesystem::path& path);

// "key=value", value parsed as a YAML scalar or flow list ("[0, 3]").
void apply_set(RunConfig& cfg, const std::string& assignment);

// ${VAR} / ${VAR:-default} expansion; `where` names the key for messages.
std::string expand_vars(const std::string& s, const std::string& where);

// Default data folder (see above) and models folder.
std::filesystem::path default_data_dir();

// Layer selection: "all" | "0-5" | "0,3,11" | "0-2,7". Sorted, unique; every layer must be
// < n_layers (n_layers < 0: syntax check only, returns nothing). `where` names the source.
std::vector<int> parse_layer_spec(const std::string& spec, int n_layers, const std::string& where);

// Levenshtein distance and the nearest of `candidates` (empty when nothing is close).
int edit_distance(const std::string& a, const std::string& b);
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace logitrank::dist
