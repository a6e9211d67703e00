#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/error.h"
#include "tokenizer/formats.h"

namespace logitrank::tokenizer {

namespace fs = std::filesystem;

std::string read_file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw InputError(path.string() + ": read error");
  return std::move(ss).str();
}

BosConfig read_bos_config(const fs::path& tokenizer_file) {
  BosConfig cfg;
  fs::path p = tokenizer_file.parent_path() / "tokenizer_config.json";
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return cfg;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file_bytes(p));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(p.string() + ": malformed JSON: " + e.what());
  }
  if (!j.is_object()) throw InputError(p.string() + ": not a JSON object");
  if (j.contains("bos_token")) {
    const auto& b = j["bos_token"];
    if (b.is_string())
      cfg.bos_token = b.get<std::string>();
    else if (b.is_object() && b.contains("content") && b["content"].is_string())
      cfg.bos_token = b["content"].get<std::string>();
  }
  if (j.contains("add_bos_token") && j["add_bos_token"].is_boolean()) {
    cfg.present = true;
    cfg.add_bos = j["add_bos_token"].get<bool>();
  }
  return cfg;
}

std::unique_ptr<Tokenizer> Tokenizer::open(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const char* name : {"tokenizer.json", "tokenizer.model", "tokenizer.bin"}) {
      if (fs::is_regular_file(path / name, ec)) return open(path / name);
    }
    throw InputError(path.string() + ": no tokenizer.json, tokenizer.model or tokenizer.bin in this folder");
  }
  if (!fs::exists(path, ec)) throw InputError(path.string() + ": tokenizer file not found");
  if (!fs::is_regular_file(path, ec)) throw InputError(path.string() + ": not a regular file");
  const std::string ext = path.extension().string();
  if (ext == ".json") return open_hf_json(path);
  if (ext == ".model") return open_sentencepiece(path);
  if (ext == ".bin") return open_llama2c(path);
  // Unknown extension: sniff the first byte (JSON starts with '{').
  std::ifstream in(path, std::ios::binary);
  char c = 0;
  while (in.get(c) && (c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
  }
  if (c == '{') return open_hf_json(path);
  throw InputError(
      path.string() +
      ": unknown tokenizer format (expected tokenizer.json, a SentencePiece .model or a llama2.c .bin)");
}

fs::path find_tokenizer_for_model(const fs::path& model) {
  std::error_code ec;
  const bool is_dir = fs::is_directory(model, ec);
  if (!is_dir && !fs::is_regular_file(model, ec)) throw InputError(model.string() + ": model not found");
  const fs::path dir = is_dir ? model : model.parent_path().empty() ? fs::path(".") : model.parent_path();
  for (const char* name : {"tokenizer.json", "tokenizer.model", "tokenizer.bin"})
    if (fs::is_regular_file(dir / name, ec)) return dir / name;
  if (!is_dir) {
    std::vector<fs::path> found;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string n = e.path().filename().string();
      if (e.is_regular_file() && n.rfind("tok", 0) == 0 && e.path().extension() == ".bin" &&
          !fs::equivalent(e.path(), model, ec))
        found.push_back(e.path());
    }
    std::sort(found.begin(), found.end());
    if (!found.empty()) return found.front();
  }
  throw InputError(model.string() +
                   ": no tokenizer found beside the model (looked for tokenizer.json, "
                   "tokenizer.model, tokenizer.bin" +
                   std::string(is_dir ? "" : ", tok*.bin") + "); pass --tokenizer");
}

}  // namespace logitrank::tokenizer
