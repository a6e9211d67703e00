#pragma once
// Unicode normalization forms, by ICU's Normalizer2. Input must be valid UTF-8.
#include <string>
#include <string_view>

namespace logitrank::tokenizer {

enum class NormalForm { NFC, NFD, NFKC, NFKD };

std::string unicode_normalize(std::string_view s, NormalForm form);

}  // namespace logitrank::tokenizer
