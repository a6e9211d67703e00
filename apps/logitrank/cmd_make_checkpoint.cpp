// `logitrank make-checkpoint --like NAME --out DIR [--dtype bf16|f32|f16] [--seed N] [--layers N]`:
// random weights in exactly the layout and config of a real model (model/make_checkpoint.h).
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "commands.h"
#include "io/error.h"
#include "model/make_checkpoint.h"

namespace logitrank::app {

namespace {

struct Options {
  std::string like, out, dtype;
  uint64_t seed = 0;
  int layers = 0;
  double shard_gb = 5.0;
  bool list = false, dry_run = false;
};

std::string human_bytes(double b) {
  char buf[64];
  if (b >= 1e9)
    std::snprintf(buf, sizeof buf, "%.2f GB", b / 1e9);
  else if (b >= 1e6)
    std::snprintf(buf, sizeof buf, "%.1f MB", b / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.0f B", b);
  return buf;
}

int run(const Options& o) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) return 0;  // a single-process command: under mpirun only rank 0 writes
  if (o.list) {
    for (const auto& n : model::known_checkpoints()) {
      const auto plan = model::plan_checkpoint(n);
      std::printf(
          "%-14s %-5s %14lld parameters  %s\n", n.c_str(), std::string(io::dtype_name(plan.dtype)).c_str(),
          static_cast<long long>(plan.parameter_count()), human_bytes(double(plan.total_bytes())).c_str());
    }
    return 0;
  }
  if (o.like.empty()) throw InputError("make-checkpoint: --like NAME is required (see --list)");
  std::optional<io::DType> dtype;
  if (!o.dtype.empty()) dtype = model::parse_checkpoint_dtype(o.dtype);
  std::optional<int> layers;
  if (o.layers != 0) layers = o.layers;
  const model::CheckpointPlan plan = model::plan_checkpoint(o.like, dtype, layers);
  if (o.dry_run) {
    for (const auto& t : plan.tensors) {
      std::string shape;
      for (int64_t d : t.shape) shape += (shape.empty() ? "" : ",") + std::to_string(d);
      std::printf("%s %s [%s]%s\n", t.name.c_str(), std::string(io::dtype_name(plan.dtype)).c_str(),
                  shape.c_str(), t.parameter ? "" : " (buffer)");
    }
    std::printf("tensors: %zu\nparameters: %lld\nbytes: %zu\n", plan.tensors.size(),
                static_cast<long long>(plan.parameter_count()), plan.total_bytes());
    return 0;
  }
  if (o.out.empty()) throw InputError("make-checkpoint: --out DIR is required");
  if (!(o.shard_gb > 0)) throw InputError("make-checkpoint: --shard-size-gb must be positive");

  model::MakeCheckpointOptions mo;
  mo.seed = o.seed;
  mo.max_shard_bytes = static_cast<std::size_t>(o.shard_gb * 1e9);
  const auto start = std::chrono::steady_clock::now();
  auto last = start;
  int last_pct = -1;
  mo.progress = [&](std::size_t done, std::size_t total, const std::string& tensor) {
    const auto now = std::chrono::steady_clock::now();
    const int pct = total ? static_cast<int>(100.0 * double(done) / double(total)) : 100;
    if (done != total && pct == last_pct) return;
    if (done != total && now - last < std::chrono::seconds(2)) return;
    last = now;
    last_pct = pct;
    std::fprintf(stderr, "make-checkpoint: %3d%%  %s / %s  %s\n", pct, human_bytes(double(done)).c_str(),
                 human_bytes(double(total)).c_str(), tensor.c_str());
  };
  std::fprintf(stderr, "make-checkpoint: %s (%s, %lld parameters, %s) -> %s\n", plan.like.c_str(),
               std::string(io::dtype_name(plan.dtype)).c_str(),
               static_cast<long long>(plan.parameter_count()),
               human_bytes(double(plan.total_bytes())).c_str(), o.out.c_str());
  const auto files = model::write_checkpoint(plan, o.out, mo);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& f : files) std::printf("%s\n", f.string().c_str());
  std::fprintf(stderr, "make-checkpoint: done in %.1f s\n", secs);
  return 0;
}

}  // namespace

Handler add_make_checkpoint_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "make-checkpoint",
      "random weights (normal(0, 0.02), norms 1) in exactly the shapes, names and config of a real model");
  sub->add_option("--like", o->like, "model to imitate (see --list)");
  sub->add_option("--out", o->out, "output folder (config.json + model.safetensors or shards)");
  sub->add_option("--dtype", o->dtype, "storage dtype: bf16, f32 or f16 (default: the model's)");
  sub->add_option("--seed", o->seed, "random seed (default 0)");
  sub->add_option("--layers", o->layers, "override the number of layers (quick tests)");
  sub->add_option("--shard-size-gb", o->shard_gb, "split into shards above this size (default 5, like HF)");
  sub->add_flag("--list", o->list, "list the known model names and exit");
  sub->add_flag("--dry-run", o->dry_run,
                "print the tensor plan (name dtype [shape]) and totals, write nothing");
  return [o]() { return run(*o); };
}

}  // namespace logitrank::app
