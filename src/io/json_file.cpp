#include "io/json_file.h"

#include <fstream>
#include <sstream>

#include "io/error.h"

namespace logitrank::io {

namespace {
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

const nlohmann::json& lookup(const nlohmann::json& obj, std::string_view key,
                             const std::filesystem::path& file) {
  if (!obj.is_object())
    throw InputError(file.string() + ": expected a JSON object holding key '" + std::string(key) + "'");
  auto it = obj.find(std::string(key));
  if (it == obj.end()) throw InputError(file.string() + ": missing key '" + std::string(key) + "'");
  return *it;
}
}  // namespace

nlohmann::json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw InputError(path.string() + ": cannot read file");
  try {
    return nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path.string() + ": invalid JSON: " + one_line(e.what()));
  }
}

int64_t json_int(const nlohmann::json& obj, std::string_view key, const std::filesystem::path& file) {
  const auto& v = lookup(obj, key, file);
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d))) return static_cast<int64_t>(d);
  }
  throw InputError(file.string() + ": key '" + std::string(key) + "' must be an integer, got " +
                   one_line(v.dump()));
}

double json_number(const nlohmann::json& obj, std::string_view key, const std::filesystem::path& file) {
  const auto& v = lookup(obj, key, file);
  if (v.is_number()) return v.get<double>();
  throw InputError(file.string() + ": key '" + std::string(key) + "' must be a number, got " +
                   one_line(v.dump()));
}

std::string json_string(const nlohmann::json& obj, std::string_view key, const std::filesystem::path& file) {
  const auto& v = lookup(obj, key, file);
  if (v.is_string()) return v.get<std::string>();
  throw InputError(file.string() + ": key '" + std::string(key) + "' must be a string, got " +
                   one_line(v.dump()));
}

bool json_bool(const nlohmann::json& obj, std::string_view key, const std::filesystem::path& file) {
  const auto& v = lookup(obj, key, file);
  if (v.is_boolean()) return v.get<bool>();
  throw InputError(file.string() + ": key '" + std::string(key) + "' must be true or false, got " +
                   one_line(v.dump()));
}

}  // namespace logitrank::io
