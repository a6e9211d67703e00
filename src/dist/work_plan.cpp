#include "dist/work_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "dist/qk_source.h"
#include "dist/unit_store.h"
#include "io/error.h"
#include "model/model.h"
#include "tokenizer/text_windows.h"
#include "tokenizer/tokenizer.h"
#if __has_include("tokenizer/token_ids.h")
#include "tokenizer/token_ids.h"
#define LOGITRANK_HAVE_TOKEN_IDS 1
#endif
#if __has_include("io/sha256.h")
#include "io/sha256.h"
#define LOGITRANK_HAVE_SHA256 1
#endif

namespace logitrank::dist {

namespace fs = std::filesystem;
using nlohmann::json;

std::string safe_name(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) c = '_';
  return out;
}

namespace {

std::string file_sha256(const fs::path& p) {
#ifdef LOGITRANK_HAVE_SHA256
  return io::sha256_file(p);
#else
  (void)p;
  return {};
#endif
}

json file_entry(const fs::path& p) {
  std::error_code ec;
  json j{{"path", p.string()}, {"bytes", static_cast<uint64_t>(fs::file_size(p, ec))}};
  std::string h = file_sha256(p);
  if (!h.empty()) j["sha256"] = h;
  return j;
}

void require_file(const fs::path& p, const std::string& what) {
  std::error_code ec;
  if (!fs::exists(p, ec)) throw InputError(fmt::format("{}: no such file ({})", p.string(), what));
}

std::string unit_id(std::size_t index, const std::string& body) {
  return fmt::format("{:04d}-{}", index, safe_name(body));
}

std::string input_name(const InputSpec& s) { return s.name.empty() ? s.path.stem().string() : s.name; }

void check_unique(std::set<std::string>& seen, const std::string& name, const std::string& what) {
  if (!seen.insert(name).second)
    throw InputError(
        fmt::format("{} name '{}' is used twice; give each entry its own 'name' in the config", what, name));
}

std::vector<int32_t> read_ids(const fs::path& path, int64_t vocab_size) {
#ifdef LOGITRANK_HAVE_TOKEN_IDS
  return tokenizer::read_token_ids(path, vocab_size);
#else
  (void)vocab_size;
  throw InputError(fmt::format("{}: token-id files are not supported by this build", path.string()));
#endif
}

struct Window {
  int index = 0;
  int64_t body_offset = 0;
  std::vector<int32_t> ids;
};

void plan_qk(const RunConfig& cfg, const ModelSpec& spec, const ComputeSettings& settings, WorkPlan& plan,
             std::set<std::string>& model_names) {
  require_file(spec.qk, "qk file");
  QkSource src(spec.qk);
  fs::path parent = spec.qk.parent_path().filename();
  std::string model = !spec.name.empty()                                  ? spec.name
                      : parent.empty() || parent == "." || parent == ".." ? spec.qk.stem().string()
                                                                          : parent.string();
  std::string text = spec.qk.stem().string();
  check_unique(model_names, model, "model");
  std::vector<int> layers =
      parse_layer_spec(cfg.layers, src.n_layers(), fmt::format("{}: layers", spec.qk.string()));
  for (int l : layers) {
    Unit u;
    u.index = static_cast<int>(plan.units.size());
    u.id = unit_id(plan.units.size(), fmt::format("{}.{}.w0.L{}", model, text, l));
    u.kind = UnitKind::QkField;
    u.model = model;
    u.text = text;
    u.window = 0;
    u.path = spec.qk.string();
    u.layers = {l};
    u.settings = settings;
    plan.units.push_back(std::move(u));
  }
  json m = {{"name", model},
            {"kind", "qk"},
            {"files", json::array({file_entry(spec.qk)})},
            {"layers", src.n_layers()},
            {"heads", src.n_heads()},
            {"kv_heads", src.n_kv_heads()},
            {"head_dim", src.head_dim()},
            {"seq_len", src.seq_len()},
            {"selected_layers", layers}};
  plan.inputs["models"].push_back(m);
  json t = {{"model", model},
            {"name", text},
            {"kind", "qk"},
            {"path", spec.qk.string()},
            {"tokens", src.seq_len()}};
  json w = {{"index", 0}, {"body_offset", 0}};
  w["ids"] = src.input_ids().empty() ? json(nullptr) : json(src.input_ids());
  t["windows"] = json::array({w});
  plan.inputs["texts"].push_back(t);
}

void plan_model(const RunConfig& cfg, const ModelSpec& spec, const ComputeSettings& settings, WorkPlan& plan,
                std::set<std::string>& model_names) {
  std::error_code ec;
  if (!fs::exists(spec.path, ec))
    throw InputError(fmt::format("{}: no such file or folder (model)", spec.path.string()));
  auto mdl = model::Model::open(spec.path);
  const auto& mc = mdl->config();
  std::string model = spec.name.empty() ? mdl->default_name() : spec.name;
  check_unique(model_names, model, "model");
  std::vector<int> layers =
      parse_layer_spec(cfg.layers, mc.n_layers, fmt::format("{}: layers", spec.path.string()));
  if (cfg.texts.empty() && cfg.token_ids.empty())
    throw InputError(
        fmt::format("{}: no texts to run the model on (give --text or --token-ids)", spec.path.string()));

  int L = cfg.seq_len.value_or(1024);
  if (mc.max_positions > 0 && L > mc.max_positions) L = static_cast<int>(mc.max_positions);
  const int stride = cfg.stride.value_or(L);

  json mj = {{"name", model},
             {"kind", "checkpoint"},
             {"path", spec.path.string()},
             {"family", model::family_name(mc.family)},
             {"architecture", mc.architecture},
             {"layers", mc.n_layers},
             {"heads", mc.n_heads},
             {"kv_heads", mc.n_kv_heads},
             {"hidden", mc.hidden},
             {"head_dim", mc.head_dim},
             {"storage_dtype", mc.storage_dtype},
             {"checkpoint_bytes", static_cast<uint64_t>(mdl->checkpoint_bytes())},
             {"selected_layers", layers},
             {"seq_len", L}};
  mj["files"] = json::array();
  for (const auto& f : mdl->files()) mj["files"].push_back(file_entry(f));

  std::set<std::string> text_names;
  auto add_windows = [&](const std::string& text, const std::vector<Window>& windows) {
    for (const auto& w : windows) {
      Unit u;
      u.index = static_cast<int>(plan.units.size());
      u.id = unit_id(plan.units.size(), fmt::format("{}.{}.w{}", model, text, w.index));
      u.kind = UnitKind::ModelField;
      u.model = model;
      u.text = text;
      u.window = w.index;
      u.path = spec.path.string();
      u.layers = layers;
      u.ids = w.ids;
      u.settings = settings;
      plan.units.push_back(std::move(u));
    }
  };
  auto windows_json = [](const std::vector<Window>& windows) {
    json a = json::array();
    for (const auto& w : windows)
      a.push_back({{"index", w.index}, {"body_offset", w.body_offset}, {"ids", w.ids}});
    return a;
  };

  if (!cfg.texts.empty()) {
    fs::path tok_path = spec.tokenizer.empty() ? mdl->default_tokenizer() : spec.tokenizer;
    if (tok_path.empty())
      throw InputError(
          fmt::format("{}: no tokenizer found beside the model; pass --tokenizer", spec.path.string()));
    if (!fs::exists(tok_path, ec))
      throw InputError(fmt::format("{}: no such file (tokenizer)", tok_path.string()));
    auto tok = tokenizer::Tokenizer::open(tok_path);
    mj["tokenizer"] = {{"path", tok_path.string()}, {"kind", tok->kind()}};
    std::optional<int32_t> bos = cfg.bos ? tok->bos_id() : std::nullopt;
    for (const auto& ts : cfg.texts) {
      require_file(ts.path, "text");
      std::string name = input_name(ts);
      check_unique(text_names, name, fmt::format("text of model '{}'", model));
      auto text = tokenizer::load_text(ts.path, cfg.strip_gutenberg);
      std::vector<int32_t> body = tok->encode(text.body);
      std::vector<Window> windows;
      // The default stride is the body tokens a window holds (L - 1 after a BOS), so that
      // consecutive windows tile the text with neither gaps nor overlap.
      const int text_stride = cfg.stride.value_or(bos ? L - 1 : L);
      for (auto& w : tokenizer::cut_windows(body, L, text_stride, cfg.windows, bos, name))
        windows.push_back({w.index, w.body_offset, std::move(w.ids)});
      add_windows(name, windows);
      json t = {{"model", model},
                {"name", name},
                {"kind", "text"},
                {"path", ts.path.string()},
                {"bytes", static_cast<uint64_t>(text.file_bytes)},
                {"gutenberg_stripped", text.gutenberg_stripped},
                {"tokens", body.size()},
                {"bos", bos ? json(*bos) : json(nullptr)}};
      if (!text.sha256.empty()) t["sha256"] = text.sha256;
      t["windows"] = windows_json(windows);
      plan.inputs["texts"].push_back(t);
    }
  }
  for (const auto& ts : cfg.token_ids) {
    require_file(ts.path, "token ids");
    std::string name = input_name(ts);
    check_unique(text_names, name, fmt::format("text of model '{}'", model));
    std::vector<int32_t> ids = read_ids(ts.path, mc.vocab_size);
    std::vector<Window> windows;
    if (!cfg.seq_len || *cfg.seq_len == static_cast<int>(ids.size())) {
      if (mc.max_positions > 0 && static_cast<int64_t>(ids.size()) > mc.max_positions)
        throw InputError(fmt::format("{}: {} token ids exceed the model's context of {}", ts.path.string(),
                                     ids.size(), mc.max_positions));
      if (ids.empty()) throw InputError(fmt::format("{}: no token ids", ts.path.string()));
      windows.push_back({0, 0, ids});
    } else {
      for (auto& w : tokenizer::cut_windows(ids, L, stride, cfg.windows, std::nullopt, name))
        windows.push_back({w.index, w.body_offset, std::move(w.ids)});
    }
    add_windows(name, windows);
    json t = file_entry(ts.path);
    t.update({{"model", model}, {"name", name}, {"kind", "token_ids"}, {"tokens", ids.size()}});
    t["windows"] = windows_json(windows);
    plan.inputs["texts"].push_back(t);
  }
  for (int l : layers) {
    Unit u;
    u.index = static_cast<int>(plan.units.size());
    u.id = unit_id(plan.units.size(), fmt::format("{}.weights.L{}", model, l));
    u.kind = UnitKind::Weight;
    u.model = model;
    u.path = spec.path.string();
    u.layers = {l};
    u.settings = settings;
    plan.units.push_back(std::move(u));
  }
  plan.inputs["models"].push_back(mj);
}

}  // namespace

WorkPlan build_plan(const RunConfig& cfg) {
  if (cfg.models.empty())
    throw InputError("run: no input; give --qk FILE or --model DIR (or 'models' in --config)");
  WorkPlan plan;
  plan.inputs = {{"models", json::array()}, {"texts", json::array()}};
  ComputeSettings settings;
  settings.method = cfg.method;
  settings.softmax_check = cfg.softmax_check;
  settings.softmax_ranks = cfg.softmax_ranks;
  std::set<std::string> model_names;
  for (const auto& spec : cfg.models) {
    if (!spec.qk.empty())
      plan_qk(cfg, spec, settings, plan, model_names);
    else
      plan_model(cfg, spec, settings, plan, model_names);
  }

  // The hash covers what decides the results: settings, units (names, layers, token ids) and
  // the input files' sizes -- not out, threads or paths.
  json h;
  h["settings"] = {{"method", settings.method},
                   {"softmax_check", settings.softmax_check},
                   {"softmax_ranks", settings.softmax_ranks}};
  h["units"] = json::array();
  for (const auto& u : plan.units)
    h["units"].push_back({u.id, static_cast<int>(u.kind), u.model, u.text, u.window, u.layers, u.ids});
  for (const auto& m : plan.inputs["models"])
    for (const auto& f : m["files"]) h["files"].push_back({f["bytes"], f.value("sha256", "")});
  plan.config_hash = fnv1a_hex(h.dump());
  return plan;
}

}  // namespace logitrank::dist
