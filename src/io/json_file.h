#pragma once
// Reading JSON files with one-line InputErrors naming the file (and key) at fault.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace logitrank::io {

// Parses `path` as JSON; InputError "<path>: cannot read ..." / "<path>: invalid JSON: ...".
nlohmann::json read_json_file(const std::filesystem::path& path);

// Typed lookups in a JSON object; InputError naming the file and key when the key is
// missing or has the wrong type. `file` is used only for the message.
int64_t json_int(const nlohmann::json& obj, std::string_view key, const std::filesystem::path& file);
double json_number(const nlohmann::json& obj, std::string_view key, const std::filesystem::path& file);
std::string json_string(const nlohmann::json& obj, std::string_view key, const std::filesystem::path& file);
bool json_bool(const nlohmann::json& obj, std::string_view key, const std::filesystem::path& file);

}  // namespace logitrank::io
