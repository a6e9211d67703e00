#pragma once
// SHA-256 (lower-case hex) of a byte string or a file, for manifests. OpenSSL EVP.
#include <filesystem>
#include <string>
#include <string_view>

namespace logitrank::io {

std::string sha256_hex(std::string_view bytes);
// Streams the file; throws InputError naming it when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace logitrank::io
