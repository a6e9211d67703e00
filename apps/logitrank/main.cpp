// logitrank: the command-line entry point. Dispatches to one subcommand and maps
// errors to the exit statuses of INTERFACE.md (0 ok, 2 bad usage/input, 1 internal).
#include <mpi.h>

#include <cstdio>
#include <exception>
#include <vector>

#include "commands.h"
#include "io/error.h"
#include "model/blas_threads.h"

namespace {

// MPI is initialised for every command so that any of them can run under mpirun;
// only `run` uses more than rank 0.
struct MpiSession {
  MpiSession(int* argc, char*** argv) {
    int provided = 0;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  }
  ~MpiSession() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
};

int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

// A failure on one rank must not leave the others waiting forever.
[[noreturn]] void abort_all(int status) {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size > 1) MPI_Abort(MPI_COMM_WORLD, status);
  MPI_Finalize();
  std::exit(status);
}

}  // namespace

int main(int argc, char** argv) {
  logitrank::model::ensure_short_blas_spin(argv);  // before MPI_Init: it may re-execute
  MpiSession mpi(&argc, &argv);
  using namespace logitrank;

  CLI::App app{"logitrank: effective rank of transformer attention logit fields"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", std::string("logitrank ") + LOGITRANK_VERSION);

  std::vector<std::pair<CLI::App*, app::Handler>> commands;
  auto add = [&](auto adder) {
    std::size_t before = app.get_subcommands({}).size();
    app::Handler h = adder(app);
    commands.emplace_back(app.get_subcommands({})[before], std::move(h));
  };
  add(app::add_run_command);
  add(app::add_report_command);
  add(app::add_tokenize_command);
  add(app::add_inspect_command);
  add(app::add_make_checkpoint_command);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    if (world_rank() == 0) app.exit(e);
    return 0;
  } catch (const CLI::CallForAllHelp& e) {
    if (world_rank() == 0) app.exit(e);
    return 0;
  } catch (const CLI::CallForVersion& e) {
    if (world_rank() == 0) app.exit(e);
    return 0;
  } catch (const CLI::ParseError& e) {
    // Every rank parses the same arguments and fails the same way, so no rank is left
    // waiting: one line from rank 0 and a clean exit (MPI_Abort would add its banner).
    if (world_rank() == 0) std::fprintf(stderr, "logitrank: %s\n", e.what());
    return 2;
  }

  for (auto& [sub, handler] : commands) {
    if (!sub->parsed()) continue;
    try {
      return handler();
    } catch (const InputError& e) {
      std::fprintf(stderr, "logitrank: error: %s\n", e.what());
      abort_all(2);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "logitrank: internal error: %s\n", e.what());
      abort_all(1);
    }
  }
  if (world_rank() == 0) std::fprintf(stderr, "%s", app.help().c_str());
  return 2;
}
