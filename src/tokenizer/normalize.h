#pragma once
// Unicode normalization forms (tables generated from Python's unicodedata, see
// gen_unicode_tables.py). Input must be valid UTF-8.
#include <string>
#include <string_view>

namespace logitrank::tokenizer {

enum class NormalForm { NFC, NFD, NFKC, NFKD };

std::string unicode_normalize(std::string_view s, NormalForm form);

}  // namespace logitrank::tokenizer
