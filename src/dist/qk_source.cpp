#include "dist/qk_source.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <map>
#include <regex>

#include "io/error.h"
#include "io/safetensors.h"

namespace logitrank::dist {

namespace fs = std::filesystem;

namespace {

std::string shape_str(const std::vector<int64_t>& s) { return fmt::format("[{}]", fmt::join(s, ", ")); }

// Index [a, b, c] of flat element i in a [.., d1, d2] tensor.
std::string index_str(std::size_t i, const std::vector<int64_t>& shape) {
  std::size_t d2 = static_cast<std::size_t>(shape[2]), d1 = static_cast<std::size_t>(shape[1]);
  return fmt::format("[{}, {}, {}]", i / (d1 * d2), (i / d2) % d1, i % d2);
}

void check_finite(const io::TensorView& t, const fs::path& path) {
  const std::size_t n = static_cast<std::size_t>(t.numel());
  std::vector<double> buf(std::min<std::size_t>(n, 1 << 16));
  for (std::size_t off = 0; off < n; off += buf.size()) {
    std::size_t len = std::min(buf.size(), n - off);
    io::convert_range(t, off, std::span<double>(buf.data(), len));
    for (std::size_t i = 0; i < len; ++i)
      if (!std::isfinite(buf[i]))
        throw InputError(fmt::format("{}: tensor {} has {} at index {}", path.string(), t.name,
                                     std::isnan(buf[i]) ? "NaN" : "Inf", index_str(off + i, t.shape)));
  }
}

}  // namespace

QkSource::QkSource(const fs::path& path) : path_(path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(fmt::format("{}: no such file", path.string()));
  if (fs::is_directory(path, ec))
    throw InputError(fmt::format("{}: is a folder, expected a safetensors file", path.string()));
  file_ = std::make_unique<io::SafetensorsFile>(path);
  const std::string p = path.string();

  static const std::regex re(R"(layer\.(\d+)\.(q|k))");
  std::map<int, std::pair<const io::TensorView*, const io::TensorView*>> layers;
  for (const auto& name : file_->names()) {
    std::smatch m;
    if (!std::regex_match(name, m, re)) continue;
    if (m[1].str().size() > 6)
      throw InputError(fmt::format("{}: tensor {}: layer number too large", p, name));
    int l = std::stoi(m[1].str());
    auto& slot = layers[l];
    (m[2] == "q" ? slot.first : slot.second) = &file_->at(name);
  }
  if (layers.empty()) throw InputError(fmt::format("{}: no layer.<l>.q / layer.<l>.k tensors", p));

  const int last = layers.rbegin()->first;
  for (int l = 0; l <= last; ++l) {
    auto it = layers.find(l);
    const io::TensorView* q = it == layers.end() ? nullptr : it->second.first;
    const io::TensorView* k = it == layers.end() ? nullptr : it->second.second;
    if (!q) throw InputError(fmt::format("{}: missing tensor layer.{}.q (layers 0-{} expected)", p, l, last));
    if (!k) throw InputError(fmt::format("{}: missing tensor layer.{}.k (layers 0-{} expected)", p, l, last));
    for (const auto* t : {q, k}) {
      if (t->dtype != io::DType::F32 && t->dtype != io::DType::F64)
        throw InputError(fmt::format("{}: tensor {} has dtype {}, expected F32 or F64", p, t->name,
                                     io::dtype_name(t->dtype)));
      if (t->shape.size() != 3)
        throw InputError(fmt::format("{}: tensor {} has shape {}, expected 3 dimensions [{}, L, d_h]", p,
                                     t->name, shape_str(t->shape), t == q ? "H" : "H_kv"));
      for (auto d : t->shape)
        if (d <= 0 || d > (1 << 24))
          throw InputError(fmt::format("{}: tensor {} has shape {}", p, t->name, shape_str(t->shape)));
    }
    if (q->shape[1] != k->shape[1] || q->shape[2] != k->shape[2])
      throw InputError(fmt::format("{}: tensor {} has shape {} but {} has shape {} (L and d_h must agree)", p,
                                   k->name, shape_str(k->shape), q->name, shape_str(q->shape)));
    if (q->shape[0] % k->shape[0] != 0)
      throw InputError(fmt::format("{}: tensor {}: H = {} is not divisible by H_kv = {} (tensor {})", p,
                                   q->name, q->shape[0], k->shape[0], k->name));
    if (l == 0) {
      n_heads_ = static_cast<int>(q->shape[0]);
      n_kv_heads_ = static_cast<int>(k->shape[0]);
      seq_len_ = static_cast<int>(q->shape[1]);
      head_dim_ = static_cast<int>(q->shape[2]);
    } else {
      const io::TensorView& q0 = file_->at("layer.0.q");
      const io::TensorView& k0 = file_->at("layer.0.k");
      if (q->shape != q0.shape)
        throw InputError(fmt::format("{}: tensor {} has shape {} but layer.0.q has shape {}", p, q->name,
                                     shape_str(q->shape), shape_str(q0.shape)));
      if (k->shape != k0.shape)
        throw InputError(fmt::format("{}: tensor {} has shape {} but layer.0.k has shape {}", p, k->name,
                                     shape_str(k->shape), shape_str(k0.shape)));
    }
  }
  n_layers_ = last + 1;
  for (int l = 0; l < n_layers_; ++l) {
    check_finite(*layers[l].first, path);
    check_finite(*layers[l].second, path);
  }

  if (const auto* ids = file_->find("input_ids")) {
    if (ids->dtype != io::DType::I64 || ids->shape.size() != 1 || ids->shape[0] != seq_len_)
      throw InputError(fmt::format("{}: tensor input_ids must be I64 [{}], got {} {}", p, seq_len_,
                                   io::dtype_name(ids->dtype), shape_str(ids->shape)));
    input_ids_.resize(static_cast<std::size_t>(seq_len_));
    std::memcpy(input_ids_.data(), ids->data, input_ids_.size() * sizeof(int64_t));
  }
}

QkSource::~QkSource() = default;

model::LayerQK QkSource::layer(int l) const {
  model::LayerQK qk;
  qk.layer = l;
  qk.n_heads = n_heads_;
  qk.n_kv_heads = n_kv_heads_;
  qk.seq_len = seq_len_;
  qk.head_dim = head_dim_;
  const auto& q = file_->at(fmt::format("layer.{}.q", l));
  const auto& k = file_->at(fmt::format("layer.{}.k", l));
  qk.q.resize(static_cast<std::size_t>(q.numel()));
  qk.k.resize(static_cast<std::size_t>(k.numel()));
  io::convert_to(q, std::span<double>(qk.q));
  io::convert_to(k, std::span<double>(qk.k));
  return qk;
}

}  // namespace logitrank::dist
