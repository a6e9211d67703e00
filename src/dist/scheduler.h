#pragma once
// Dynamic distribution of work units over MPI ranks.
//
// With one process, rank 0 computes every unit itself, in plan order. With N > 1 ranks,
// rank 0 only coordinates (it computes nothing): each worker asks for a unit, computes it,
// sends back the records and asks again, so a slow unit never stalls the others. Rank 0
// polls for messages (MPI_Iprobe with a short sleep, so it does not steal a core from
// workers on an oversubscribed node).
//
// Messages (MPI_BYTE payloads, Boost.Serialization binary archives):
//   worker -> 0   kTagToCoordinator  WorkerMessage {ready | result | error}
//   0 -> worker   kTagUnit           Unit
//   0 -> worker   kTagStop           (empty) no more work: every unit handed out, an error, or an interrupt
// Stopping (stop_requested() true on rank 0, or any worker reporting a signal): no new units
// are handed out; units in flight are waited for and passed to on_done. An error in a unit
// stops the same way and is reported in the outcome. The MPI layer only moves units and
// records; `compute` does the work.
#include <mpi.h>

#include <functional>
#include <string>
#include <vector>

#include "dist/work_unit.h"

namespace logitrank::dist {

inline constexpr int kTagToCoordinator = 7101;
inline constexpr int kTagUnit = 7102;
inline constexpr int kTagStop = 7103;

struct ScheduleCallbacks {
  std::function<UnitResult(const Unit&)> compute;  // workers (rank 0 when alone)
  std::function<void(UnitResult&&)> on_done;       // rank 0, in arrival order
  std::function<bool()> stop_requested;            // polled on every rank; may be empty
  std::function<void()> tick;                      // rank 0, called regularly (progress); may be empty
};

struct ScheduleOutcome {
  int completed = 0;         // units passed to on_done (rank 0)
  bool interrupted = false;  // stopped by a signal before every unit was done
  int error_status = 0;      // 2 = InputError, 1 = other, 0 = none (rank 0; first error wins)
  std::string error;         // its one-line message
};

// Rank 0 passes the units to compute (plan order); workers pass an empty list.
// Collective over comm (all ranks return together). Never throws for errors inside `compute`
// or `on_done`: they end up in the outcome.
ScheduleOutcome run_schedule(MPI_Comm comm, const std::vector<Unit>& todo, const ScheduleCallbacks& cb);

}  // namespace logitrank::dist
