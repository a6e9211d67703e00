#pragma once
// The per-head result that flows from the workers to rank 0 and into the tables.
// Plain data: it knows nothing of models, ranks or file formats.
#include <cstdint>
#include <string>
#include <vector>

namespace logitrank {

// Metrics of one spectrum, exactly as SCIENCE.md defines them.
struct SpectrumMetrics {
  int k80 = 0, k90 = 0, k95 = 0, k99 = 0;
  double erank = 0, pr = 0, stable_rank = 0;
  int numerical_rank = 0;
};

// One point of the softmax-truncation curve of one head (--softmax-check).
struct SoftmaxPoint {
  int rank = 0;
  double tv_full = 0, tv_causal = 0, bound_full = 0;
};

// Field spectrum of one (model, text, window, layer, head).
struct FieldRecord {
  std::string model, text;
  int window = 0, layer = 0, head = 0, kv_head = 0, head_dim = 0, seq_len = 0;
  std::vector<double> sv;  // descending, min(L, d_h) values
  SpectrumMetrics metrics;
  std::vector<SoftmaxPoint> softmax;  // empty unless --softmax-check
};

// Weight-interaction spectrum of one (model, layer, head): M_h = W_Q,h^T W_K,g.
struct WeightRecord {
  std::string model;
  int layer = 0, head = 0, kv_head = 0, head_dim = 0;
  std::vector<double> sv;  // descending, d_h values
  SpectrumMetrics metrics;
};

}  // namespace logitrank
