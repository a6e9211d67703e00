// The scheduler on however many ranks the test runs with: plain ctest runs it as one process;
// tests/scripts/mpi_scheduler.sh runs this binary under mpirun -np 3 (rank 0 coordinates, two
// workers). Assertions about results are made on rank 0; every rank must leave the schedule.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "dist/scheduler.h"
#include "io/error.h"

using namespace logitrank;
using namespace logitrank::dist;

namespace {

int rank_of() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size_of() {
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

std::vector<Unit> make_units(int n) {
  std::vector<Unit> v(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    v[i].index = i;
    v[i].id = "u" + std::to_string(i);
    v[i].model = "m";
    v[i].layers = {i};
  }
  return v;
}

UnitResult result_of(const Unit& u) {
  UnitResult r;
  r.index = u.index;
  r.id = u.id;
  FieldRecord f;
  f.model = u.model;
  f.layer = u.layers.at(0);
  f.head = rank_of();  // who computed it
  f.sv = {1.0 * u.index, 0.5};
  r.fields.push_back(f);
  return r;
}

}  // namespace

TEST(SchedulerMpi, EveryUnitOnceAndASlowUnitDoesNotStallTheRest) {
  const int n = 12;
  std::vector<int> order, computed_by;
  ScheduleCallbacks cb;
  cb.compute = [](const Unit& u) {
    if (u.index == 0) std::this_thread::sleep_for(std::chrono::milliseconds(size_of() > 2 ? 1500 : 0));
    return result_of(u);
  };
  cb.on_done = [&](UnitResult&& r) {
    ASSERT_EQ(r.fields.size(), 1u);
    EXPECT_EQ(r.fields[0].sv[0], 1.0 * r.index);  // records survive the trip intact
    order.push_back(r.index);
    computed_by.push_back(r.fields[0].head);
  };
  auto out = run_schedule(MPI_COMM_WORLD, rank_of() == 0 ? make_units(n) : std::vector<Unit>{}, cb);
  if (rank_of() != 0) return;
  EXPECT_EQ(out.completed, n);
  EXPECT_FALSE(out.interrupted);
  EXPECT_EQ(out.error_status, 0);
  std::vector<int> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> want(n);
  for (int i = 0; i < n; ++i) want[i] = i;
  EXPECT_EQ(sorted, want);
  if (size_of() > 2) {
    // While one worker sat on unit 0, the other did all the rest: unit 0 arrives last,
    // and rank 0 computed nothing.
    EXPECT_EQ(order.back(), 0);
    EXPECT_EQ(std::count(computed_by.begin(), computed_by.end(), 0), 0);
  }
}

TEST(SchedulerMpi, WorkerErrorStopsEveryRankWithItsMessage) {
  ScheduleCallbacks cb;
  cb.compute = [](const Unit& u) -> UnitResult {
    if (u.index == 3) throw InputError("x.safetensors: tensor layer.3.q has NaN at index [0, 1, 2]");
    return result_of(u);
  };
  int done = 0;
  cb.on_done = [&](UnitResult&&) { ++done; };
  auto out = run_schedule(MPI_COMM_WORLD, rank_of() == 0 ? make_units(8) : std::vector<Unit>{}, cb);
  if (rank_of() != 0) return;
  EXPECT_EQ(out.error_status, 2);
  EXPECT_EQ(out.error, "x.safetensors: tensor layer.3.q has NaN at index [0, 1, 2]");
  EXPECT_FALSE(out.interrupted);
  EXPECT_GE(done, 3);
  EXPECT_LT(done, 8);
}

TEST(SchedulerMpi, StopRequestLetsUnitsInFlightFinish) {
  int computed = 0;
  ScheduleCallbacks cb;
  cb.compute = [&](const Unit& u) {
    ++computed;
    return result_of(u);
  };
  int done = 0;
  cb.on_done = [&](UnitResult&&) { ++done; };
  // Rank 0 (alone) or every worker (with mpirun) asks to stop after its second unit.
  cb.stop_requested = [&] { return computed >= 2; };
  auto out = run_schedule(MPI_COMM_WORLD, rank_of() == 0 ? make_units(20) : std::vector<Unit>{}, cb);
  if (rank_of() != 0) return;
  EXPECT_TRUE(out.interrupted);
  EXPECT_EQ(out.completed, done);
  EXPECT_GE(done, 2);
  EXPECT_LT(done, 20);
}
