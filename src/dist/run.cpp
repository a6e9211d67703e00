#include "dist/run.h"

#include <cblas.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <thread>
#include <tuple>

#include "dist/blacs_grid.h"
#include "dist/scalapack_svd.h"
#include "dist/scheduler.h"
#include "dist/unit_compute.h"
#include "dist/unit_store.h"
#include "dist/work_plan.h"
#include "io/error.h"
#include "report/results.h"

namespace logitrank::dist {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_signal(int sig) { g_signal = sig; }

void install_signal_handlers() {
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGTERM, SIGINT, SIGUSR1}) sigaction(sig, &sa, nullptr);
}

bool stop_requested() { return g_signal != 0; }

std::string hms(double seconds) {
  long s = static_cast<long>(seconds + 0.5);
  return fmt::format("{:02d}:{:02d}:{:02d}", s / 3600, (s / 60) % 60, s % 60);
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// "[units 12/40] elapsed 00:01:03 ETA 00:02:30" at most every 2 s, and on demand.
class Progress {
 public:
  Progress(int total, int already_done)
      : total_(total), done_(already_done), start_(Clock::now()), last_(start_) {}
  void unit_done() { ++done_, ++computed_; }
  void tick() {
    if (seconds_since(last_) >= 2.0) print();
  }
  // At the end: once, unless the last line already showed the final count.
  void finish() {
    if (printed_done_ != done_) print();
  }
  void print() {
    last_ = Clock::now();
    printed_done_ = done_;
    double el = seconds_since(start_);
    std::string eta = computed_ > 0 ? hms(el / computed_ * (total_ - done_)) : std::string("--:--:--");
    std::fprintf(stderr, "[units %d/%d] elapsed %s ETA %s\n", done_, total_, hms(el).c_str(), eta.c_str());
    std::fflush(stderr);
  }
  int done() const { return done_; }

 private:
  int total_, done_, computed_ = 0, printed_done_ = -1;
  Clock::time_point start_, last_;
};

void print_error(const std::string& msg) {
  std::fprintf(stderr, "logitrank: error: %s\n", msg.c_str());
  std::fflush(stderr);
}

int bcast_int(int value, MPI_Comm comm) {
  MPI_Bcast(&value, 1, MPI_INT, 0, comm);
  return value;
}

std::string utc_now(const char* format) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

// ---- collective scalapack mode ----
// Rank 0 broadcasts one command per head: {1, L, d_h} then Q and K; {0, 0, 0} ends the loop.
// Every rank makes the BLACS grid once, before the first command, and reuses it for all
// heads (making a grid is itself collective and not free).
FieldSvFn collective_field_sv(MPI_Comm comm) {
  auto grid = std::make_shared<BlacsGrid>(comm);
  return [comm, grid](std::span<const double> q, std::span<const double> k, int L, int dh) {
    int cmd[3] = {1, L, dh};
    MPI_Bcast(cmd, 3, MPI_INT, 0, comm);
    MPI_Bcast(const_cast<double*>(q.data()), L * dh, MPI_DOUBLE, 0, comm);
    MPI_Bcast(const_cast<double*>(k.data()), L * dh, MPI_DOUBLE, 0, comm);
    return field_sv_scalapack(*grid, q, k, L, dh);
  };
}

void end_collective(MPI_Comm comm) {
  int cmd[3] = {0, 0, 0};
  MPI_Bcast(cmd, 3, MPI_INT, 0, comm);
}

void collective_worker(MPI_Comm comm) {
  const BlacsGrid grid(comm);
  std::vector<double> q, k;
  for (;;) {
    int cmd[3];
    MPI_Bcast(cmd, 3, MPI_INT, 0, comm);
    if (cmd[0] == 0) return;
    const std::size_t n = static_cast<std::size_t>(cmd[1]) * cmd[2];
    q.resize(n);
    k.resize(n);
    MPI_Bcast(q.data(), static_cast<int>(n), MPI_DOUBLE, 0, comm);
    MPI_Bcast(k.data(), static_cast<int>(n), MPI_DOUBLE, 0, comm);
    field_sv_scalapack(grid, q, k, cmd[1], cmd[2]);
  }
}

struct Coordinator {
  RunConfig cfg;
  WorkPlan plan;
  fs::path out;
  std::unique_ptr<UnitStore> store;
  std::vector<UnitResult> results;  // resumed and computed
  std::vector<Unit> todo;
  int resumed = 0;
  json timings = json::object();
};

// Rank 0: configuration, plan, resume. Throws InputError for bad input.
void prepare(const RunRequest& req, Coordinator& c, int ranks) {
  auto t0 = Clock::now();
  c.cfg = resolve_config(req);
  if (c.cfg.resume && c.cfg.out.empty())
    throw InputError("--resume needs --out DIR (the folder of the run to resume)");
  if (c.cfg.method == "scalapack" && ranks < 1) throw InputError("method scalapack needs MPI");
  c.plan = build_plan(c.cfg);
  c.timings["plan_s"] = seconds_since(t0);
  c.out = c.cfg.out.empty() ? default_out_dir() : c.cfg.out;
  std::error_code ec;
  if (fs::exists(c.out, ec) && !fs::is_directory(c.out, ec))
    throw InputError(fmt::format("{}: exists and is not a folder (--out)", c.out.string()));
  c.store = std::make_unique<UnitStore>(c.out, c.plan.config_hash);
  c.store->open(c.cfg.resume);
  for (const auto& u : c.plan.units) {
    if (c.cfg.resume) {
      if (auto r = c.store->load(u.id)) {
        c.results.push_back(std::move(*r));
        ++c.resumed;
        continue;
      }
    }
    c.todo.push_back(u);
  }
}

json build_manifest(const Coordinator& c, int ranks, const json& timings) {
  json m;
  m["tool"] = "logitrank";
  m["version"] = LOGITRANK_VERSION;
  m["command"] = "run";
  m["method"] = c.cfg.method;
  m["ranks"] = ranks;
  m["finished_utc"] = utc_now("%Y-%m-%dT%H:%M:%SZ");
  m["config"] = c.cfg.to_json();
  m["config"]["out"] = c.out.string();
  // Echo the names actually used (defaults resolved); plan inputs keep the config's order.
  auto& models = m["config"]["models"];
  for (std::size_t i = 0; i < models.size() && i < c.plan.inputs["models"].size(); ++i)
    models[i]["name"] = c.plan.inputs["models"][i]["name"];
  m["config_hash"] = c.plan.config_hash;
  m["inputs"] = c.plan.inputs;
  m["units"] = {{"total", c.plan.units.size()},
                {"resumed", c.resumed},
                {"computed", static_cast<int>(c.plan.units.size()) - c.resumed}};
  m["timings"] = timings;
  return m;
}

void write_final(Coordinator& c, int ranks) {
  report::RunResults rr;
  rr.softmax_check = c.cfg.softmax_check;
  for (auto& r : c.results) {
    rr.fields.insert(rr.fields.end(), std::make_move_iterator(r.fields.begin()),
                     std::make_move_iterator(r.fields.end()));
    rr.weights.insert(rr.weights.end(), std::make_move_iterator(r.weights.begin()),
                      std::make_move_iterator(r.weights.end()));
  }
  std::sort(rr.fields.begin(), rr.fields.end(), [](const FieldRecord& a, const FieldRecord& b) {
    return std::tie(a.model, a.text, a.window, a.layer, a.head) <
           std::tie(b.model, b.text, b.window, b.layer, b.head);
  });
  std::sort(rr.weights.begin(), rr.weights.end(), [](const WeightRecord& a, const WeightRecord& b) {
    return std::tie(a.model, a.layer, a.head) < std::tie(b.model, b.layer, b.head);
  });
  rr.manifest = build_manifest(c, ranks, c.timings);  // the write itself is not timed
  report::write_results(c.out, rr);
}

// Runs a rank-0 step; a failure becomes one line on stderr and the exit status that the
// other ranks are then told (2 bad input, 1 internal error).
template <class Step>
int exit_status_of(Step&& step) {
  try {
    step();
    return 0;
  } catch (const InputError& e) {
    print_error(e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "logitrank: internal error: %s\n", e.what());
    return 1;
  }
}

// OpenBLAS threads per rank. An explicit `threads` wins, then OPENBLAS_NUM_THREADS /
// OMP_NUM_THREADS from the environment; otherwise the node's cores are shared among the
// ranks placed on it, so that N ranks on a node never start N x cores BLAS threads
// (oversubscription made pdgesvd on 2 ranks slower than on 1).
int blas_threads_per_rank(int configured, MPI_Comm comm) {
  if (configured > 0) return configured;
  for (const char* var : {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"}) {
    if (const char* v = std::getenv(var); v && std::atoi(v) > 0) return std::atoi(v);
  }
  MPI_Comm node;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int local_ranks = 1;
  MPI_Comm_size(node, &local_ranks);
  MPI_Comm_free(&node);
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  return std::max(1, cores / local_ranks);
}

}  // namespace

fs::path default_out_dir() { return fs::path("results") / utc_now("%Y%m%dT%H%M%SZ"); }

RunConfig resolve_config(const RunRequest& req) {
  RunConfig cfg;
  if (req.config) load_config_file(cfg, *req.config);
  for (const auto& s : req.sets) apply_set(cfg, s);
  auto path_of = [](const std::string& s) { return fs::path(expand_vars(s, "command line")); };
  if (!req.models.empty() || !req.qk.empty()) {
    cfg.models.clear();
    for (const auto& m : req.models) cfg.models.push_back({"", path_of(m), {}, {}});
    for (const auto& q : req.qk) cfg.models.push_back({"", {}, {}, path_of(q)});
  }
  if (req.tokenizer)
    for (auto& m : cfg.models) m.tokenizer = path_of(*req.tokenizer);
  if (!req.texts.empty()) {
    cfg.texts.clear();
    for (const auto& t : req.texts) cfg.texts.push_back({"", path_of(t)});
  }
  if (!req.token_ids.empty()) {
    cfg.token_ids.clear();
    for (const auto& t : req.token_ids) cfg.token_ids.push_back({"", path_of(t)});
  }
  if (req.no_bos) cfg.bos = false;
  if (req.softmax_check) cfg.softmax_check = true;
  if (req.resume) cfg.resume = true;
  if (req.seq_len) {
    if (*req.seq_len < 1) throw InputError("--seq-len must be >= 1");
    cfg.seq_len = *req.seq_len;
  }
  if (req.windows) {
    if (*req.windows < 1) throw InputError("--windows must be >= 1");
    cfg.windows = *req.windows;
  }
  if (req.stride) {
    if (*req.stride < 1) throw InputError("--stride must be >= 1");
    cfg.stride = *req.stride;
  }
  if (req.layers) {
    parse_layer_spec(*req.layers, -1, "--layers");
    cfg.layers = *req.layers;
  }
  if (req.method) {
    if (*req.method != "factored" && *req.method != "dense" && *req.method != "scalapack")
      throw InputError(
          fmt::format("--method: unknown method '{}' (factored, dense or scalapack)", *req.method));
    cfg.method = *req.method;
  }
  if (req.out) cfg.out = path_of(*req.out);
  return cfg;
}

int run(const RunRequest& req, MPI_Comm comm) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  install_signal_handlers();
  const auto start = Clock::now();

  // 1. Rank 0 validates everything before any work starts.
  Coordinator c;
  int status = 0;
  if (rank == 0) {
    status = exit_status_of([&] { prepare(req, c, size); });
  }
  status = bcast_int(status, comm);
  if (status != 0) return status;

  const bool collective = bcast_int(rank == 0 && c.cfg.method == "scalapack" ? 1 : 0, comm) != 0;
  const int threads = bcast_int(rank == 0 ? c.cfg.threads : 0, comm);
  openblas_set_num_threads(blas_threads_per_rank(threads, comm));

  // 2. Compute.
  std::unique_ptr<Progress> progress;
  if (rank == 0) {
    if (c.resumed > 0)
      std::fprintf(stderr, "resumed %d of %zu units from %s\n", c.resumed, c.plan.units.size(),
                   c.store->dir().string().c_str());
    progress = std::make_unique<Progress>(static_cast<int>(c.plan.units.size()), c.resumed);
  }
  auto on_done = [&](UnitResult&& r) {
    c.store->save(r);
    c.results.push_back(std::move(r));
    progress->unit_done();
    progress->tick();
  };
  ScheduleOutcome outcome;
  auto t_compute = Clock::now();
  if (!collective) {
    SourceCache cache;
    ScheduleCallbacks cb;
    cb.compute = [&](const Unit& u) { return compute_unit(u, cache, local_field_sv(u.settings.method)); };
    cb.on_done = on_done;
    cb.stop_requested = stop_requested;
    if (rank == 0) cb.tick = [&] { progress->tick(); };
    outcome = run_schedule(comm, rank == 0 ? c.todo : std::vector<Unit>{}, cb);
  } else if (rank == 0) {
    SourceCache cache;
    FieldSvFn fsv = collective_field_sv(comm);
    for (const auto& u : c.todo) {
      if (stop_requested()) {
        outcome.interrupted = true;
        break;
      }
      try {
        on_done(compute_unit(u, cache, fsv));
        ++outcome.completed;
      } catch (const InputError& e) {
        outcome.error_status = 2, outcome.error = e.what();
      } catch (const std::exception& e) {
        outcome.error_status = 1, outcome.error = std::string("internal error: ") + e.what();
      }
      if (outcome.error_status) break;
    }
    end_collective(comm);
  } else {
    collective_worker(comm);
  }

  // 3. Rank 0 reports, or writes the results folder.
  if (rank == 0) {
    c.timings["compute_s"] = seconds_since(t_compute);
    progress->finish();
    if (outcome.error_status) {
      if (outcome.error.rfind("internal error: ", 0) == 0)
        std::fprintf(stderr, "logitrank: %s\n", outcome.error.c_str());
      else
        print_error(outcome.error);
      status = outcome.error_status;
    } else if (outcome.interrupted || progress->done() < static_cast<int>(c.plan.units.size())) {
      std::fprintf(stderr, "interrupted: %d of %zu units saved; rerun with --resume\n", progress->done(),
                   c.plan.units.size());
      status = kExitInterrupted;
    } else {
      status = exit_status_of([&] {
        c.timings["total_s"] = seconds_since(start);
        write_final(c, size);
      });
    }
  }
  return bcast_int(status, comm);
}

}  // namespace logitrank::dist
