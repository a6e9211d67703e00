#include "dist/scheduler.h"

#include <chrono>
#include <thread>

#include "dist/record_serialization.h"
#include "io/error.h"

namespace logitrank::dist {

namespace {

struct WorkerMessage {
  int kind = 0;  // 0 ready, 1 result, 2 error
  int status = 0;
  bool stop = false;  // this worker saw a signal
  std::string error;
  UnitResult result;

  template <class Archive>
  void serialize(Archive& ar, const unsigned int) {
    ar& kind& status& stop& error& result;
  }
};

void send_bytes(const std::string& bytes, int dest, int tag, MPI_Comm comm) {
  MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, dest, tag, comm);
}

std::string recv_bytes(const MPI_Status& st, MPI_Comm comm) {
  int count = 0;
  MPI_Get_count(&st, MPI_BYTE, &count);
  std::string bytes(static_cast<std::size_t>(count), '\0');
  MPI_Recv(bytes.data(), count, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, comm, MPI_STATUS_IGNORE);
  return bytes;
}

template <class F>
void guarded(F&& f, ScheduleOutcome& out) {
  try {
    f();
  } catch (const InputError& e) {
    if (!out.error_status) out.error_status = 2, out.error = e.what();
  } catch (const std::exception& e) {
    if (!out.error_status) out.error_status = 1, out.error = std::string("internal error: ") + e.what();
  }
}

bool stop_now(const ScheduleCallbacks& cb) { return cb.stop_requested && cb.stop_requested(); }

ScheduleOutcome run_alone(const std::vector<Unit>& todo, const ScheduleCallbacks& cb) {
  ScheduleOutcome out;
  for (const auto& unit : todo) {
    if (stop_now(cb)) {
      out.interrupted = true;
      break;
    }
    guarded(
        [&] {
          cb.on_done(cb.compute(unit));
          ++out.completed;
        },
        out);
    if (out.error_status) break;
    if (cb.tick) cb.tick();
  }
  return out;
}

ScheduleOutcome run_coordinator(MPI_Comm comm, int size, const std::vector<Unit>& todo,
                                const ScheduleCallbacks& cb) {
  ScheduleOutcome out;
  std::size_t next = 0;
  int active = size - 1;
  bool stopping = false;
  auto sleep = std::chrono::microseconds(200);
  while (active > 0) {
    if (!stopping && stop_now(cb)) stopping = true;
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, kTagToCoordinator, comm, &flag, &st);
    if (!flag) {
      if (cb.tick) cb.tick();
      std::this_thread::sleep_for(sleep);
      sleep = std::min(sleep * 2, std::chrono::microseconds(20000));
      continue;
    }
    sleep = std::chrono::microseconds(200);
    const int worker = st.MPI_SOURCE;
    std::string bytes = recv_bytes(st, comm);
    WorkerMessage msg;
    guarded([&] { msg = from_bytes<WorkerMessage>(bytes); }, out);
    if (msg.stop) stopping = true;
    if (msg.kind == 1) {
      guarded(
          [&] {
            cb.on_done(std::move(msg.result));
            ++out.completed;
          },
          out);
    } else if (msg.kind == 2 && !out.error_status) {
      out.error_status = msg.status ? msg.status : 1;
      out.error = msg.error;
    }
    if (out.error_status) stopping = true;
    if (!stopping && next < todo.size()) {
      send_bytes(to_bytes(todo[next]), worker, kTagUnit, comm);
      ++next;
    } else {
      MPI_Send(nullptr, 0, MPI_BYTE, worker, kTagStop, comm);
      --active;
    }
    if (cb.tick) cb.tick();
  }
  out.interrupted = !out.error_status && static_cast<std::size_t>(out.completed) < todo.size();
  return out;
}

ScheduleOutcome run_worker(MPI_Comm comm, const ScheduleCallbacks& cb) {
  ScheduleOutcome out;
  WorkerMessage msg;  // kind 0: ready
  for (;;) {
    msg.stop = stop_now(cb);
    send_bytes(to_bytes(msg), 0, kTagToCoordinator, comm);
    MPI_Status st;
    MPI_Probe(0, MPI_ANY_TAG, comm, &st);
    std::string bytes = recv_bytes(st, comm);
    if (st.MPI_TAG == kTagStop) break;
    msg = WorkerMessage{};
    try {
      Unit unit = from_bytes<Unit>(bytes);
      msg.result = cb.compute(unit);
      msg.kind = 1;
      ++out.completed;
    } catch (const InputError& e) {
      msg.kind = 2, msg.status = 2, msg.error = e.what();
    } catch (const std::exception& e) {
      msg.kind = 2, msg.status = 1, msg.error = std::string("internal error: ") + e.what();
    }
  }
  return out;
}

}  // namespace

ScheduleOutcome run_schedule(MPI_Comm comm, const std::vector<Unit>& todo, const ScheduleCallbacks& cb) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (size == 1) return run_alone(todo, cb);
  ScheduleOutcome out = rank == 0 ? run_coordinator(comm, size, todo, cb) : run_worker(comm, cb);
  // Every rank leaves together, so messages of one schedule never meet the next one's.
  MPI_Barrier(comm);
  return out;
}

}  // namespace logitrank::dist
