// Peak RSS of a forward pass over every layer of a `make-checkpoint --like llama-3.2-1b
// --dtype bf16` checkpoint at L = 2048 (target: peak RSS <= checkpoint bytes + 2 GiB).
//
//   bench_rss [--model DIR] [--like NAME] [--scratch DIR] [--L 2048]
//
// Each LayerQK is consumed (a checksum) and dropped by the sink. The checkpoint is
// memory-mapped, so the pages of it that the forward touches count in RSS (as RssFile);
// the rest of the peak is the forward's own buffers (RssAnon). The checkpoint is
// generated (once, reused afterwards) in a child process, so the generator's buffers
// are not part of this process's peak.
#include <cstdio>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "bench_common.h"
#include "model/blas_threads.h"
#include "model/model.h"

int main(int argc, char** argv) {
  logitrank::model::ensure_short_blas_spin(argv);
  using namespace logitrank;
  std::string model_dir, like = "llama-3.2-1b", scratch = "/tmp/logitrank-bench";
  int L = 2048;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--model")
      model_dir = next();
    else if (a == "--like")
      like = next();
    else if (a == "--scratch")
      scratch = next();
    else if (a == "--L")
      L = std::stoi(next());
    else {
      std::fprintf(stderr, "usage: bench_rss [--model DIR] [--like NAME] [--scratch DIR] [--L N]\n");
      return 2;
    }
  }
  if (model_dir.empty()) {
    model_dir = scratch + "/" + like;
    bench::ensure_checkpoint(model_dir, like, io::DType::BF16);
  }
  const std::size_t rss_start = bench::peak_rss_bytes();

  const double t0 = bench::now_s();
  auto model = model::Model::open(model_dir);
  const model::ModelConfig& c = model->config();
  const std::size_t ckpt = model->checkpoint_bytes();
  std::vector<int32_t> ids(static_cast<std::size_t>(L));
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> tok(0, static_cast<int32_t>(c.vocab_size - 1));
  for (auto& x : ids) x = tok(rng);
  std::vector<int> layers(static_cast<std::size_t>(c.n_layers));
  std::iota(layers.begin(), layers.end(), 0);

  double checksum = 0;
  std::size_t qk_bytes = 0;
  model->forward_qk(ids, layers, [&](const model::LayerQK& qk) {
    for (double v : qk.q) checksum += v;
    for (double v : qk.k) checksum += v;
    qk_bytes = (qk.q.size() + qk.k.size()) * sizeof(double);
  });
  const double secs = bench::now_s() - t0;
  const std::size_t peak = bench::peak_rss_bytes();
  const std::size_t anon = bench::proc_status_bytes("RssAnon"), file = bench::proc_status_bytes("RssFile");
  const double GiB = double(1ull << 30);
  const std::size_t limit = ckpt + (std::size_t{2} << 30);

  std::printf("## bench_rss: %s (%s, %s), L = %d, all %d layers, %.1f s\n", model_dir.c_str(),
              model::family_name(c.family).c_str(), c.storage_dtype.c_str(), L, c.n_layers, secs);
  std::printf("%-46s %14s %10s\n", "what", "bytes", "GiB");
  auto row = [&](const char* what, std::size_t b) {
    std::printf("%-46s %14zu %10.3f\n", what, b, double(b) / GiB);
  };
  row("checkpoint bytes (Model::checkpoint_bytes)", ckpt);
  row("peak RSS before opening (ru_maxrss)", rss_start);
  row("peak RSS after the forward (ru_maxrss)", peak);
  row("  RSS at end: file-backed (mmap'd checkpoint)", file);
  row("  RSS at end: anonymous (buffers)", anon);
  row("one LayerQK (float64 q + k)", qk_bytes);
  row("target: checkpoint bytes + 2 GiB", limit);
  std::printf("peak RSS - checkpoint bytes: %.3f GiB (target <= 2 GiB: %s)\n",
              (double(peak) - double(ckpt)) / GiB, peak <= limit ? "met" : "NOT met");
  std::printf("(checksum %.6g)\n", checksum);
  return 0;
}
