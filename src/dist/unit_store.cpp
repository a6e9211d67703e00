#include "dist/unit_store.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dist/record_serialization.h"
#include "io/error.h"

namespace logitrank::dist {

namespace fs = std::filesystem;

namespace {

constexpr const char* kMagic = "logitrank-unit-v1";

struct UnitFile {
  std::string magic, hash;
  UnitResult result;
  template <class Archive>
  void serialize(Archive& ar, const unsigned int) {
    ar& magic& hash& result;
  }
};

void write_atomic(const fs::path& path, const std::string& bytes) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw InputError(fmt::format("{}: cannot write", tmp.string()));
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.flush();
    if (!f) throw InputError(fmt::format("{}: write failed (disk full?)", tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec)
    throw InputError(fmt::format("{}: cannot rename to {}: {}", tmp.string(), path.string(), ec.message()));
}

std::string read_file(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return {};
  std::ostringstream ss;
  ss << f.rdbuf();
  return std::move(ss).str();
}

}  // namespace

std::string fnv1a_hex(const std::string& bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

UnitStore::UnitStore(fs::path out_dir, std::string config_hash)
    : out_(std::move(out_dir)), dir_(out_ / "units"), hash_(std::move(config_hash)) {}

fs::path UnitStore::unit_path(const std::string& unit_id) const { return dir_ / (unit_id + ".bin"); }

void UnitStore::open(bool resume) {
  std::error_code ec;
  const fs::path run_json = dir_ / "run.json";
  if (resume && fs::exists(run_json, ec)) {
    std::string old;
    try {
      old = nlohmann::json::parse(read_file(run_json)).at("config_hash").get<std::string>();
    } catch (const std::exception&) {
      throw InputError(fmt::format("{}: unreadable run state {}", out_.string(), run_json.string()));
    }
    if (old != hash_)
      throw InputError(
          fmt::format("{}: out dir holds a different run (config hash {}, this run {}); use another --out",
                      out_.string(), old, hash_));
  } else if (!resume && fs::exists(dir_, ec)) {
    fs::remove_all(dir_, ec);
    if (ec) throw InputError(fmt::format("{}: cannot clear earlier units: {}", dir_.string(), ec.message()));
  }
  fs::create_directories(dir_, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create folder: {}", dir_.string(), ec.message()));
  write_atomic(run_json, nlohmann::json{{"config_hash", hash_}}.dump(2) + "\n");
}

void UnitStore::save(const UnitResult& result) const {
  UnitFile f{kMagic, hash_, result};
  write_atomic(unit_path(result.id), to_bytes(f));
}

std::optional<UnitResult> UnitStore::load(const std::string& unit_id) const {
  std::error_code ec;
  fs::path p = unit_path(unit_id);
  if (!fs::exists(p, ec)) return std::nullopt;
  try {
    auto f = from_bytes<UnitFile>(read_file(p));
    if (f.magic != kMagic || f.hash != hash_ || f.result.id != unit_id) return std::nullopt;
    return std::move(f.result);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace logitrank::dist
