#pragma once
// A work unit: the smallest piece of a run that a worker computes on its own, and its result.
//   QkField    -- one layer of a precomputed --qk file: every head's field spectrum.
//   ModelField -- one (model, text, window): a forward pass over the window's ids, then every
//                 head of every selected layer (the forward is the expensive step, done once).
//   Weight     -- one (model, layer): the learned-interaction spectrum of every head.
// A unit carries everything a worker needs (paths, ids, settings), so workers never read the
// run configuration.
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "dist/record_serialization.h"
#include "io/head_record.h"

namespace logitrank::dist {

enum class UnitKind : int { QkField = 0, ModelField = 1, Weight = 2 };

struct ComputeSettings {
  std::string method = "factored";  // factored | dense | scalapack
  bool softmax_check = false;
  std::vector<int> softmax_ranks;  // empty = 1..d_h

  template <class Archive>
  void serialize(Archive& ar, const unsigned int) {
    ar& method& softmax_check& softmax_ranks;
  }
};

struct Unit {
  int index = 0;   // position in the plan
  std::string id;  // file-name-safe, unique, deterministic: "0003-tiny-llama.golden.w0.L2"
  UnitKind kind = UnitKind::QkField;
  std::string model, text;  // record names (text empty for Weight)
  int window = 0;
  std::string path;          // qk file or model checkpoint
  std::vector<int> layers;   // QkField/Weight: one layer; ModelField: every selected layer
  std::vector<int32_t> ids;  // ModelField: the window's token ids
  ComputeSettings settings;

  template <class Archive>
  void serialize(Archive& ar, const unsigned int) {
    int k = static_cast<int>(kind);
    ar& index& id& k& model& text& window& path& layers& ids& settings;
    kind = static_cast<UnitKind>(k);
  }
};

struct UnitResult {
  int index = 0;
  std::string id;
  std::vector<FieldRecord> fields;
  std::vector<WeightRecord> weights;

  template <class Archive>
  void serialize(Archive& ar, const unsigned int) {
    ar& index& id& fields& weights;
  }
};

}  // namespace logitrank::dist
