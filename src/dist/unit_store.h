#pragma once
// Finished units on disk, for resuming: <out>/units/<unit-id>.bin (Boost binary archive of the
// unit's records, tagged with the run's config hash) and <out>/units/run.json (the hash).
// Each file is written to a temporary name and renamed, so a killed job leaves only whole files.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "dist/work_unit.h"

namespace logitrank::dist {

class UnitStore {
 public:
  UnitStore(std::filesystem::path out_dir, std::string config_hash);

  // Without resume: any earlier units/ folder is cleared. With resume: an existing
  // units/run.json must carry the same hash, else InputError "<out>: out dir holds a
  // different run ..."; a folder without one starts fresh. Writes run.json.
  void open(bool resume);

  void save(const UnitResult& result) const;
  // The unit's saved records, or nullopt when absent or unreadable (recomputed then).
  std::optional<UnitResult> load(const std::string& unit_id) const;

  std::filesystem::path unit_path(const std::string& unit_id) const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path out_, dir_;
  std::string hash_;
};

// Stable 64-bit FNV-1a as 16 hex digits (config hashes; not cryptographic).
std::string fnv1a_hex(const std::string& bytes);

}  // namespace logitrank::dist
