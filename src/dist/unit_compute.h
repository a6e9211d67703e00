#pragma once
// What a worker does with one unit: spectra of every head, as records. Pure computation over
// the unit's inputs -- no MPI here, except through the injected field-SVD function that the
// collective scalapack mode supplies.
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dist/work_unit.h"
#include "model/model.h"

namespace logitrank::dist {

class QkSource;

// Singular values of one head's row-centred field (min(L, d_h) values, descending).
using FieldSvFn =
    std::function<std::vector<double>(std::span<const double> q, std::span<const double> k, int L, int dh)>;

// spectra::field_sv_factored or spectra::field_sv_dense; InputError for another name.
FieldSvFn local_field_sv(const std::string& method);

// One FieldRecord per query head of `qk` (sorted by head).
std::vector<FieldRecord> field_records(const model::LayerQK& qk, const std::string& model,
                                       const std::string& text, int window, const ComputeSettings& settings,
                                       const FieldSvFn& field_sv);

// One WeightRecord per query head of `w` (sorted by head).
std::vector<WeightRecord> weight_records(const model::AttentionWeights& w, const std::string& model);

// Keeps the most recently used qk file and model open between units of a worker.
class SourceCache {
 public:
  SourceCache();
  ~SourceCache();
  const QkSource& qk(const std::filesystem::path& path);
  model::Model& model(const std::filesystem::path& path);

 private:
  std::filesystem::path qk_path_, model_path_;
  std::unique_ptr<QkSource> qk_;
  std::unique_ptr<model::Model> model_;
};

UnitResult compute_unit(const Unit& unit, SourceCache& cache, const FieldSvFn& field_sv);

}  // namespace logitrank::dist
