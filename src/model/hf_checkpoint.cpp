// Hugging Face checkpoint folders: config.json + model.safetensors (or shards).
#include "io/error.h"
#include "io/safetensors.h"
#include "model/checkpoints.h"
#include "model/config.h"
#include "model/transformer.h"

namespace logitrank::model::detail {

namespace fs = std::filesystem;

namespace {

class StoreSource final : public WeightSource {
 public:
  StoreSource(std::unique_ptr<io::TensorStore> store, std::string where)
      : store_(std::move(store)), where_(std::move(where)) {}
  const io::TensorView* find(std::string_view name) const override { return store_->find(name); }
  std::string where() const override { return where_; }
  std::vector<fs::path> files() const override { return store_->files(); }
  std::size_t bytes() const override {
    std::size_t s = 0;
    std::error_code ec;
    for (const auto& f : store_->files()) {
      auto n = fs::file_size(f, ec);
      if (!ec) s += n;
    }
    return s;
  }

 private:
  std::unique_ptr<io::TensorStore> store_;
  std::string where_;
};

}  // namespace

std::unique_ptr<Model> open_hf_folder(const fs::path& dir) {
  const fs::path config = dir / "config.json";
  std::error_code ec;
  if (!fs::exists(config, ec))
    throw InputError(dir.string() + ": no config.json in this folder (not a Hugging Face checkpoint)");
  ForwardSettings settings;
  ModelConfig cfg = parse_hf_config(config, settings);
  auto store = io::TensorStore::open(dir);
  const fs::path index = dir / "model.safetensors.index.json";
  ModelInfo info;
  info.meta_files.push_back(config);
  std::string where;
  if (fs::exists(index, ec)) {
    info.meta_files.push_back(index);
    where = index.string();
  } else {
    where = (dir / "model.safetensors").string();
  }
  info.config_file = config;
  fs::path abs = fs::weakly_canonical(dir, ec);
  if (ec) abs = dir;
  info.name = abs.filename().string();
  if (info.name.empty()) info.name = abs.parent_path().filename().string();
  for (const char* t : {"tokenizer.json", "tokenizer.model"})
    if (fs::exists(dir / t, ec)) {
      info.tokenizer = dir / t;
      break;
    }
  return std::make_unique<TransformerModel>(std::move(cfg), std::move(settings),
                                            std::make_unique<StoreSource>(std::move(store), where),
                                            std::move(info));
}

}  // namespace logitrank::model::detail
