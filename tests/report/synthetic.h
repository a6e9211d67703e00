#pragma once
// Synthetic records for the report tests, and for tests/scripts/report_figures.sh
// (which runs test_report with LOGITRANK_REPORT_FIXTURE_OUT set to get result folders
// without depending on `logitrank run`).
#include <cmath>
#include <string>
#include <vector>

#include "io/head_record.h"
#include "report/results.h"

namespace logitrank::testing {

// Metrics computed from a spectrum exactly as SCIENCE.md defines them (test-side, so
// that the synthetic records are self-consistent for the figures).
inline SpectrumMetrics metrics_of(const std::vector<double>& sv) {
  SpectrumMetrics m;
  double e2 = 0, e1 = 0, e4 = 0;
  for (double s : sv) {
    e2 += s * s;
    e1 += s;
    e4 += s * s * s * s;
  }
  auto kp = [&](double p) {
    double acc = 0;
    for (std::size_t i = 0; i < sv.size(); ++i) {
      acc += sv[i] * sv[i];
      if (acc >= p * e2) return static_cast<int>(i + 1);
    }
    return static_cast<int>(sv.size());
  };
  m.k80 = kp(0.80);
  m.k90 = kp(0.90);
  m.k95 = kp(0.95);
  m.k99 = kp(0.99);
  double h = 0;
  for (double s : sv)
    if (s > 0) h -= (s / e1) * std::log(s / e1);
  m.erank = std::exp(h);
  m.pr = e2 * e2 / e4;
  m.stable_rank = e2 / (sv[0] * sv[0]);
  for (double s : sv) m.numerical_rank += s > 1e-10 * sv[0] ? 1 : 0;
  return m;
}

// A model with `layers` x `heads` heads of width d_h, `texts` texts, `windows` windows;
// fields decay fast (low rank), weights slowly (flat).
inline report::RunResults synthetic_run(const std::string& model, int layers, int heads, int d_h, int texts,
                                        int windows, bool softmax) {
  report::RunResults r;
  r.softmax_check = softmax;
  r.manifest = {{"model", model}, {"synthetic", true}};
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h) {
      WeightRecord w;
      w.model = model;
      w.layer = l;
      w.head = h;
      w.kv_head = h;
      w.head_dim = d_h;
      for (int i = 0; i < d_h; ++i) w.sv.push_back(10.0 * std::pow(0.97 + 0.002 * h, i));
      w.metrics = metrics_of(w.sv);
      r.weights.push_back(w);
      for (int t = 0; t < texts; ++t)
        for (int win = 0; win < windows; ++win) {
          FieldRecord f;
          f.model = model;
          f.text = "text" + std::to_string(t);
          f.window = win;
          f.layer = l;
          f.head = h;
          f.kv_head = h;
          f.head_dim = d_h;
          f.seq_len = 2 * d_h;
          double rate = 0.45 + 0.03 * l + 0.02 * h + 0.01 * t + 0.005 * win;
          for (int i = 0; i < d_h; ++i) f.sv.push_back(50.0 * std::pow(rate, i));
          f.metrics = metrics_of(f.sv);
          if (softmax)
            for (int rank = 1; rank <= d_h; rank *= 2) {
              double tv = std::pow(rate, rank) * 0.3;
              f.softmax.push_back({rank, tv, 0.8 * tv, std::tanh(2.0 * std::pow(rate, rank))});
            }
          r.fields.push_back(f);
        }
    }
  return r;
}

}  // namespace logitrank::testing
