#include "model/model.h"

#include "io/error.h"
#include "model/checkpoints.h"

namespace logitrank::model {

namespace fs = std::filesystem;

std::unique_ptr<Model> Model::open(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return detail::open_hf_folder(path);
  if (fs::is_regular_file(path, ec)) {
    if (path.extension() == ".safetensors")
      throw InputError(path.string() +
                       ": pass the checkpoint folder (with config.json), not the .safetensors file");
    if (path.filename() == "config.json") return detail::open_hf_folder(path.parent_path());
    return detail::open_llama2c(path);
  }
  throw InputError(path.string() + ": no such checkpoint folder or file");
}

}  // namespace logitrank::model
