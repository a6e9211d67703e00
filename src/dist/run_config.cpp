#include "dist/run_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include "io/error.h"

#ifndef LOGITRANK_DATA_DEFAULT
#define LOGITRANK_DATA_DEFAULT ""
#endif

namespace logitrank::dist {

namespace fs = std::filesystem;

const std::vector<std::string>& config_keys() {
  static const std::vector<std::string> keys = {
      "models", "texts",         "token_ids",     "seq_len", "windows",         "stride", "layers",
      "method", "softmax_check", "softmax_ranks", "bos",     "strip_gutenberg", "out",    "threads"};
  return keys;
}

int edit_distance(const std::string& a, const std::string& b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (std::size_t j = 1; j <= b.size(); ++j) {
      int sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  int best_d = 1 << 30;
  for (const auto& c : candidates) {
    int d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  // Close enough to be a plausible typo: at most a third of the longer word.
  int limit = std::max<int>(2, static_cast<int>(std::max(word.size(), best.size())) / 3);
  return best_d <= limit ? best : std::string();
}

fs::path default_data_dir() {
  if (const char* env = std::getenv("LOGITRANK_DATA"); env && *env) return env;
  std::error_code ec;
  fs::path rel = fs::current_path(ec) / ".." / "shared" / "data";
  if (!ec && fs::is_directory(rel, ec)) return fs::weakly_canonical(rel, ec);
  return LOGITRANK_DATA_DEFAULT;
}

namespace {

std::string lookup_var(const std::string& name, bool* found) {
  if (const char* env = std::getenv(name.c_str()); env && *env) {
    *found = true;
    return env;
  }
  if (name == "LOGITRANK_DATA") {
    *found = true;
    return default_data_dir().string();
  }
  if (name == "LOGITRANK_MODELS") {
    *found = true;
    return (fs::path(lookup_var("LOGITRANK_DATA", found)) / "models").string();
  }
  *found = false;
  return {};
}

}  // namespace

std::string expand_vars(const std::string& s, const std::string& where) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') {
      std::size_t close = std::string::npos;
      for (std::size_t j = i + 2, depth = 1; j < s.size(); ++j) {
        if (s[j] == '{') ++depth;
        if (s[j] == '}' && --depth == 0) {
          close = j;
          break;
        }
      }
      if (close == std::string::npos)
        throw InputError(fmt::format("{}: unterminated '${{' in '{}'", where, s));
      std::string body = s.substr(i + 2, close - i - 2);
      std::string name = body, fallback;
      bool has_default = false;
      if (auto p = body.find(":-"); p != std::string::npos) {
        name = body.substr(0, p);
        fallback = body.substr(p + 2);
        has_default = true;
      }
      if (name.empty()) throw InputError(fmt::format("{}: empty variable name in '{}'", where, s));
      bool found = false;
      std::string value;
      if (const char* env = std::getenv(name.c_str()); env && *env) {
        value = env;
        found = true;
      } else if (has_default) {
        value = expand_vars(fallback, where);
        found = true;
      } else {
        value = lookup_var(name, &found);
      }
      if (!found) throw InputError(fmt::format("{}: undefined variable ${{{}}} in '{}'", where, name, s));
      out += value;
      i = close + 1;
    } else {
      out += s[i++];
    }
  }
  return out;
}

namespace {

std::string scalar(const YAML::Node& v, const std::string& where) {
  if (!v.IsScalar()) throw InputError(fmt::format("{}: expected a single value", where));
  return v.Scalar();
}

std::string str(const YAML::Node& v, const std::string& where) {
  return expand_vars(scalar(v, where), where);
}

int to_int(const YAML::Node& v, const std::string& where, int min_value) {
  std::string s = scalar(v, where);
  std::size_t pos = 0;
  long long x = 0;
  try {
    x = std::stoll(s, &pos);
  } catch (...) {
    pos = 0;
  }
  if (pos == 0 || pos != s.size())
    throw InputError(fmt::format("{}: expected an integer, got '{}'", where, s));
  if (x < min_value || x > (1LL << 30))
    throw InputError(fmt::format("{}: {} is out of range (must be >= {})", where, s, min_value));
  return static_cast<int>(x);
}

bool to_bool(const YAML::Node& v, const std::string& where) {
  std::string s = scalar(v, where);
  std::string l = s;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  if (l == "true" || l == "yes" || l == "on" || l == "1") return true;
  if (l == "false" || l == "no" || l == "off" || l == "0") return false;
  throw InputError(fmt::format("{}: expected true or false, got '{}'", where, s));
}

std::vector<YAML::Node> as_list(const YAML::Node& v) {
  std::vector<YAML::Node> items;
  if (v.IsSequence()) {
    for (const auto& x : v) items.push_back(x);
  } else if (!v.IsNull()) {
    items.push_back(v);
  }
  return items;
}

void check_map_keys(const YAML::Node& m, const std::vector<std::string>& allowed, const std::string& where) {
  for (const auto& kv : m) {
    std::string k = kv.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      std::string near = nearest(k, allowed);
      throw InputError(fmt::format("{}: unknown key '{}'{}", where, k,
                                   near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near)));
    }
  }
}

std::vector<InputSpec> input_list(const YAML::Node& v, const std::string& where) {
  std::vector<InputSpec> out;
  for (const auto& item : as_list(v)) {
    InputSpec s;
    if (item.IsMap()) {
      check_map_keys(item, {"name", "path"}, where);
      if (item["name"]) s.name = str(item["name"], where + ".name");
      if (!item["path"]) throw InputError(fmt::format("{}: entry without 'path'", where));
      s.path = str(item["path"], where + ".path");
    } else {
      s.path = str(item, where);
    }
    if (s.path.empty()) throw InputError(fmt::format("{}: empty path", where));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

void apply_key(RunConfig& cfg, const std::string& key, const YAML::Node& value, const std::string& where) {
  const std::string w = fmt::format("{}: key '{}'", where, key);
  if (key == "models") {
    cfg.models.clear();
    for (const auto& item : as_list(value)) {
      ModelSpec m;
      if (item.IsMap()) {
        check_map_keys(item, {"name", "path", "tokenizer", "qk"}, w);
        if (item["name"]) m.name = str(item["name"], w + " name");
        if (item["path"]) m.path = str(item["path"], w + " path");
        if (item["tokenizer"]) m.tokenizer = str(item["tokenizer"], w + " tokenizer");
        if (item["qk"]) m.qk = str(item["qk"], w + " qk");
        if (m.path.empty() == m.qk.empty())
          throw InputError(fmt::format("{}: each model needs exactly one of 'path' or 'qk'", w));
      } else {
        m.path = str(item, w);
        if (m.path.empty()) throw InputError(fmt::format("{}: empty path", w));
      }
      cfg.models.push_back(std::move(m));
    }
  } else if (key == "texts") {
    cfg.texts = input_list(value, w);
  } else if (key == "token_ids") {
    cfg.token_ids = input_list(value, w);
  } else if (key == "seq_len") {
    cfg.seq_len = to_int(value, w, 1);
  } else if (key == "windows") {
    cfg.windows = to_int(value, w, 1);
  } else if (key == "stride") {
    cfg.stride = to_int(value, w, 1);
  } else if (key == "layers") {
    if (value.IsSequence()) {
      std::string joined;
      for (const auto& x : value) joined += (joined.empty() ? "" : ",") + std::to_string(to_int(x, w, 0));
      cfg.layers = joined;
    } else {
      cfg.layers = str(value, w);
    }
    parse_layer_spec(cfg.layers, -1, w);  // syntax check now; range check once the model is known
  } else if (key == "method") {
    std::string m = str(value, w);
    if (m != "factored" && m != "dense" && m != "scalapack")
      throw InputError(fmt::format("{}: unknown method '{}' (factored, dense or scalapack)", w, m));
    cfg.method = m;
  } else if (key == "softmax_check") {
    cfg.softmax_check = to_bool(value, w);
  } else if (key == "softmax_ranks") {
    cfg.softmax_ranks.clear();
    if (value.IsScalar() && value.Scalar() == "all") return;
    for (const auto& x : as_list(value)) cfg.softmax_ranks.push_back(to_int(x, w, 1));
    std::sort(cfg.softmax_ranks.begin(), cfg.softmax_ranks.end());
    cfg.softmax_ranks.erase(std::unique(cfg.softmax_ranks.begin(), cfg.softmax_ranks.end()),
                            cfg.softmax_ranks.end());
  } else if (key == "bos") {
    cfg.bos = to_bool(value, w);
  } else if (key == "strip_gutenberg") {
    cfg.strip_gutenberg = to_bool(value, w);
  } else if (key == "out") {
    cfg.out = str(value, w);
  } else if (key == "threads") {
    cfg.threads = to_int(value, w, 0);
  } else {
    std::string near = nearest(key, config_keys());
    throw InputError(fmt::format("{}: unknown key '{}'{}", where, key,
                                 near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near)));
  }
}

void load_config_file(RunConfig& cfg, const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(fmt::format("{}: no such file", path.string()));
  YAML::Node root;
  try {
    root = YAML::LoadFile(path.string());
  } catch (const YAML::BadFile&) {
    throw InputError(fmt::format("{}: cannot read file", path.string()));
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{}: invalid YAML at line {}: {}", path.string(), e.mark.line + 1, e.msg));
  }
  if (root.IsNull()) return;
  if (!root.IsMap())
    throw InputError(fmt::format("{}: expected a map of keys at the top level", path.string()));
  try {
    for (const auto& kv : root) apply_key(cfg, kv.first.as<std::string>(), kv.second, path.string());
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{}: invalid value at line {}: {}", path.string(), e.mark.line + 1, e.msg));
  }
}

void apply_set(RunConfig& cfg, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError(fmt::format("--set {}: expected key=value", assignment));
  std::string key = assignment.substr(0, eq);
  std::string value = assignment.substr(eq + 1);
  YAML::Node node;
  try {
    node = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("--set {}: invalid value: {}", assignment, e.msg));
  }
  if (node.IsNull() && !value.empty()) node = YAML::Node(value);
  try {
    apply_key(cfg, key, node, "--set");
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("--set {}: invalid value: {}", assignment, e.msg));
  }
}

std::vector<int> parse_layer_spec(const std::string& spec_in, int n_layers, const std::string& where) {
  std::string spec;
  for (char c : spec_in)
    if (!std::isspace(static_cast<unsigned char>(c))) spec += c;
  std::vector<int> layers;
  if (spec == "all") {
    if (n_layers < 0) return layers;
    for (int l = 0; l < n_layers; ++l) layers.push_back(l);
    return layers;
  }
  auto bad = [&](const std::string& why) {
    return InputError(
        fmt::format("{}: bad layer spec '{}': {} (use \"all\", \"0-5\" or \"0,3,11\")", where, spec_in, why));
  };
  auto number = [&](const std::string& s) {
    if (s.empty() || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); }))
      throw bad("'" + s + "' is not a layer number");
    if (s.size() > 9) throw bad("'" + s + "' is too large");
    return std::stoi(s);
  };
  if (spec.empty()) throw bad("empty");
  std::stringstream ss(spec);
  std::string part;
  while (std::getline(ss, part, ',')) {
    auto dash = part.find('-');
    int a, b;
    if (dash == std::string::npos) {
      a = b = number(part);
    } else {
      a = number(part.substr(0, dash));
      b = number(part.substr(dash + 1));
      if (b < a) throw bad("range " + part + " is descending");
    }
    if (n_layers < 0) continue;  // syntax check only
    for (int l = a; l <= b; ++l) {
      if (l >= n_layers)
        throw InputError(fmt::format("{}: layer {} out of range (the model has {} layers, 0-{})", where, l,
                                     n_layers, n_layers - 1));
      layers.push_back(l);
    }
  }
  if (spec.back() == ',') throw bad("trailing comma");
  std::sort(layers.begin(), layers.end());
  layers.erase(std::unique(layers.begin(), layers.end()), layers.end());
  return layers;
}

nlohmann::json RunConfig::to_json() const {
  nlohmann::json j;
  j["models"] = nlohmann::json::array();
  for (const auto& m : models) {
    nlohmann::json e;
    e["name"] = m.name;
    if (!m.path.empty()) e["path"] = m.path.string();
    if (!m.qk.empty()) e["qk"] = m.qk.string();
    if (!m.tokenizer.empty()) e["tokenizer"] = m.tokenizer.string();
    j["models"].push_back(e);
  }
  auto inputs = [](const std::vector<InputSpec>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& s : v) a.push_back({{"name", s.name}, {"path", s.path.string()}});
    return a;
  };
  j["texts"] = inputs(texts);
  j["token_ids"] = inputs(token_ids);
  j["seq_len"] = seq_len ? nlohmann::json(*seq_len) : nlohmann::json(nullptr);
  j["windows"] = windows;
  j["stride"] = stride ? nlohmann::json(*stride) : nlohmann::json(nullptr);
  j["layers"] = layers;
  j["method"] = method;
  j["softmax_check"] = softmax_check;
  j["softmax_ranks"] = softmax_ranks.empty() ? nlohmann::json("all") : nlohmann::json(softmax_ranks);
  j["bos"] = bos;
  j["strip_gutenberg"] = strip_gutenberg;
  j["out"] = out.string();
  j["threads"] = threads;
  return j;
}

}  // namespace logitrank::dist
