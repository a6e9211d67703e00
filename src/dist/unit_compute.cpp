#include "dist/unit_compute.h"

#include <cblas.h>
#include <fmt/format.h>

#include "dist/qk_source.h"
#include "io/error.h"
#include "spectra/field_spectrum.h"
#include "spectra/metrics.h"
#include "spectra/softmax_check.h"
#include "spectra/weight_spectrum.h"

namespace logitrank::dist {

namespace {

// Spectra are computed with one BLAS thread. LAPACK's results depend on how many threads
// share a reduction, and the number of threads per rank follows the number of ranks on a
// node; pinning the spectra to one thread keeps heads.csv byte-identical whatever the
// layout. (The forward keeps all its threads: OpenBLAS never splits a GEMM's inner
// dimension, so its bits do not depend on them.) The work per head is small anyway.
class SingleBlasThread {
 public:
  SingleBlasThread() : saved_(openblas_get_num_threads()) { openblas_set_num_threads(1); }
  ~SingleBlasThread() { openblas_set_num_threads(saved_); }
  SingleBlasThread(const SingleBlasThread&) = delete;
  SingleBlasThread& operator=(const SingleBlasThread&) = delete;

 private:
  int saved_;
};

}  // namespace

FieldSvFn local_field_sv(const std::string& method) {
  if (method == "factored" || method.empty())
    return [](std::span<const double> q, std::span<const double> k, int L, int dh) {
      return spectra::field_sv_factored(q, k, L, dh);
    };
  if (method == "dense")
    return [](std::span<const double> q, std::span<const double> k, int L, int dh) {
      return spectra::field_sv_dense(q, k, L, dh);
    };
  throw InputError(fmt::format("method '{}' has no local field SVD (factored or dense)", method));
}

std::vector<FieldRecord> field_records(const model::LayerQK& qk, const std::string& model,
                                       const std::string& text, int window, const ComputeSettings& settings,
                                       const FieldSvFn& field_sv) {
  SingleBlasThread one_thread;
  std::vector<FieldRecord> out;
  out.reserve(static_cast<std::size_t>(qk.n_heads));
  std::vector<int> ranks = settings.softmax_ranks;
  if (ranks.empty())
    for (int r = 1; r <= qk.head_dim; ++r) ranks.push_back(r);
  for (int h = 0; h < qk.n_heads; ++h) {
    FieldRecord r;
    r.model = model;
    r.text = text;
    r.window = window;
    r.layer = qk.layer;
    r.head = h;
    r.kv_head = qk.kv_of(h);
    r.head_dim = qk.head_dim;
    r.seq_len = qk.seq_len;
    auto q = qk.q_head(h);
    auto k = qk.k_head(r.kv_head);
    r.sv = field_sv(q, k, qk.seq_len, qk.head_dim);
    r.metrics = spectra::compute_metrics(r.sv);
    if (settings.softmax_check)
      r.softmax = spectra::softmax_truncation_curve(q, k, qk.seq_len, qk.head_dim, ranks);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<WeightRecord> weight_records(const model::AttentionWeights& w, const std::string& model) {
  SingleBlasThread one_thread;
  std::vector<WeightRecord> out;
  const int rep = w.n_heads / w.n_kv_heads;
  for (int h = 0; h < w.n_heads; ++h) {
    WeightRecord r;
    r.model = model;
    r.layer = w.layer;
    r.head = h;
    r.kv_head = h / rep;
    r.head_dim = w.head_dim;
    r.sv = spectra::weight_sv(w.wq_head(h), w.wk_head(r.kv_head), w.head_dim, w.hidden);
    r.metrics = spectra::compute_metrics(r.sv);
    out.push_back(std::move(r));
  }
  return out;
}

SourceCache::SourceCache() = default;
SourceCache::~SourceCache() = default;

const QkSource& SourceCache::qk(const std::filesystem::path& path) {
  if (!qk_ || qk_path_ != path) {
    qk_.reset();
    qk_ = std::make_unique<QkSource>(path);
    qk_path_ = path;
  }
  return *qk_;
}

model::Model& SourceCache::model(const std::filesystem::path& path) {
  if (!model_ || model_path_ != path) {
    model_.reset();
    model_ = model::Model::open(path);
    model_path_ = path;
  }
  return *model_;
}

UnitResult compute_unit(const Unit& unit, SourceCache& cache, const FieldSvFn& field_sv) {
  UnitResult res;
  res.index = unit.index;
  res.id = unit.id;
  switch (unit.kind) {
    case UnitKind::QkField: {
      const QkSource& src = cache.qk(unit.path);
      for (int l : unit.layers) {
        auto recs = field_records(src.layer(l), unit.model, unit.text, unit.window, unit.settings, field_sv);
        res.fields.insert(res.fields.end(), std::make_move_iterator(recs.begin()),
                          std::make_move_iterator(recs.end()));
      }
      break;
    }
    case UnitKind::ModelField: {
      model::Model& m = cache.model(unit.path);
      m.forward_qk(unit.ids, unit.layers, [&](const model::LayerQK& qk) {
        auto recs = field_records(qk, unit.model, unit.text, unit.window, unit.settings, field_sv);
        res.fields.insert(res.fields.end(), std::make_move_iterator(recs.begin()),
                          std::make_move_iterator(recs.end()));
      });
      break;
    }
    case UnitKind::Weight: {
      model::Model& m = cache.model(unit.path);
      for (int l : unit.layers) {
        auto recs = weight_records(m.attention_weights(l), unit.model);
        res.weights.insert(res.weights.end(), std::make_move_iterator(recs.begin()),
                           std::make_move_iterator(recs.end()));
      }
      break;
    }
  }
  return res;
}

}  // namespace logitrank::dist
