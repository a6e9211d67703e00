// SentencePiece .model files through the SentencePiece library.
// BOS: the model's bos id, added when tokenizer_config.json beside the file says
// add_bos_token: true, or when there is no such setting (SentencePiece models such as
// Llama-2 / Mistral add BOS by default). add_bos_token: false -> no BOS.
#include <sentencepiece_processor.h>

#include "io/error.h"
#include "tokenizer/formats.h"
#include "tokenizer/utf8.h"

namespace logitrank::tokenizer {
namespace {

class SpTokenizer final : public Tokenizer {
 public:
  explicit SpTokenizer(const std::filesystem::path& path) : file_(path.string()) {
    const std::string bytes = read_file_bytes(path);
    auto st = sp_.LoadFromSerializedProto(bytes);
    if (!st.ok()) throw InputError(file_ + ": not a SentencePiece model: " + st.ToString());
    BosConfig cfg = read_bos_config(path);
    const bool add = cfg.present ? cfg.add_bos : true;
    if (add) {
      int bos = sp_.bos_id();
      if (bos < 0) {
        if (cfg.present)
          throw InputError((path.parent_path() / "tokenizer_config.json").string() +
                           ": add_bos_token is true but " + file_ + " has no BOS piece");
      } else {
        bos_ = bos;
      }
    }
  }

  std::vector<int32_t> encode(std::string_view text) const override {
    utf8::require_valid(text, "text");
    std::vector<int> ids;
    auto st = sp_.Encode(text, &ids);
    if (!st.ok()) throw InputError(file_ + ": encode failed: " + st.ToString());
    return std::vector<int32_t>(ids.begin(), ids.end());
  }
  std::optional<int32_t> bos_id() const override { return bos_; }
  std::string decode(std::span<const int32_t> ids) const override {
    std::vector<int> v(ids.begin(), ids.end());
    for (int id : v)
      if (id < 0 || id >= sp_.GetPieceSize())
        throw InputError("decode: id " + std::to_string(id) + " is not in " + file_);
    std::string out;
    auto st = sp_.Decode(v, &out);
    if (!st.ok()) throw InputError(file_ + ": decode failed: " + st.ToString());
    return out;
  }
  int64_t vocab_size() const override { return sp_.GetPieceSize(); }
  std::string kind() const override { return "sentencepiece"; }

 private:
  std::string file_;
  sentencepiece::SentencePieceProcessor sp_;
  std::optional<int32_t> bos_;
};

}  // namespace

std::unique_ptr<Tokenizer> open_sentencepiece(const std::filesystem::path& path) {
  return std::make_unique<SpTokenizer>(path);
}

}  // namespace logitrank::tokenizer
