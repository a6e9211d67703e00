#pragma once
// `logitrank run` end to end, on every rank:
//   1. rank 0 resolves the configuration (file, --set, flags), validates every input and
//      builds the work plan; an InputError here is printed once (by rank 0) and every rank
//      returns 2 cleanly (status broadcast, no MPI_Abort);
//   2. finished units from an earlier run are loaded with --resume (<out>/units/*.bin);
//   3. the remaining units are computed -- dynamically scheduled (scheduler.h) for the
//      factored and dense methods; for method scalapack all ranks form one BLACS grid and
//      work through the heads in plan order, rank 0 producing Q/K and broadcasting them,
//      every rank calling the distributed SVD collectively (the only collective method);
//   4. each finished unit is saved by rank 0 as it arrives; when every unit is done, rank 0
//      writes the results folder (report::write_results) and returns 0.
// Signals: SIGTERM, SIGINT and SIGUSR1 (on rank 0 or any worker) stop handing out units;
// units in flight finish and are saved; then rank 0 prints "interrupted: N of M units saved;
// rerun with --resume" and every rank returns 3 (kExitInterrupted; job scripts requeue on 3).
// Under Open MPI's mpirun, send SIGUSR1 to mpirun (it forwards it to every rank; exit 3).
// SIGTERM to mpirun also reaches the ranks and the finished units are saved, but mpirun then
// ends the job itself and exits 1. Slurm's scancel/time limit signals every rank directly.
// Units are saved as they finish, so even a SIGKILL loses only the units in flight.
// Progress on stderr from rank 0: "[units 12/40] elapsed 00:01:03 ETA 00:02:30", at most
// every 2 s and once at the end.
#include <mpi.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dist/run_config.h"

namespace logitrank::dist {

inline constexpr int kExitInterrupted = 3;

// The command line of `logitrank run`, as given (unset = not given).
struct RunRequest {
  std::optional<std::filesystem::path> config;
  std::vector<std::string> models, qk, texts, token_ids, sets;
  std::optional<std::string> tokenizer;
  bool no_bos = false, softmax_check = false, resume = false;
  std::optional<int> seq_len, windows, stride;
  std::optional<std::string> layers, method, out;
};

// Config file, then --set overrides, then flags. --model/--qk replace the model list,
// --text/--token-ids replace theirs, --tokenizer applies to every model.
RunConfig resolve_config(const RunRequest& req);

// Runs on every rank of `comm`; returns the process exit status (0, 1, 2 or 3), the same on
// every rank. Error messages go to stderr from rank 0 only.
int run(const RunRequest& req, MPI_Comm comm);

// "results/20261128T174012Z" (UTC).
std::filesystem::path default_out_dir();

}  // namespace logitrank::dist
