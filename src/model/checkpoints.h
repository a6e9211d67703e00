#pragma once
// Checkpoint openers behind Model::open (internal to src/model).
#include <filesystem>
#include <memory>

#include "model/model.h"

namespace logitrank::model::detail {

// A Hugging Face folder: config.json + model.safetensors or sharded safetensors.
std::unique_ptr<Model> open_hf_folder(const std::filesystem::path& dir);

// A llama2.c legacy (v0) checkpoint: 7 int32 header then float32 tensors, memory-mapped.
std::unique_ptr<Model> open_llama2c(const std::filesystem::path& file);

}  // namespace logitrank::model::detail
