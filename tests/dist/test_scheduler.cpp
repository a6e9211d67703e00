#include <gtest/gtest.h>
#include <mpi.h>

#include "dist/scheduler.h"
#include "io/error.h"

using namespace logitrank;
using namespace logitrank::dist;

namespace {

std::vector<Unit> units(int n) {
  std::vector<Unit> v(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) v[i].index = i, v[i].id = "u" + std::to_string(i);
  return v;
}

UnitResult fake_compute(const Unit& u) {
  UnitResult r;
  r.index = u.index;
  r.id = u.id;
  r.fields.resize(1);
  r.fields[0].layer = u.index * 10;
  return r;
}

}  // namespace

TEST(Scheduler, SingleProcessComputesEveryUnitInOrder) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  ASSERT_EQ(size, 1);
  std::vector<int> seen;
  ScheduleCallbacks cb;
  cb.compute = fake_compute;
  cb.on_done = [&](UnitResult&& r) { seen.push_back(r.fields[0].layer); };
  auto out = run_schedule(MPI_COMM_WORLD, units(4), cb);
  EXPECT_EQ(out.completed, 4);
  EXPECT_FALSE(out.interrupted);
  EXPECT_EQ(out.error_status, 0);
  EXPECT_EQ(seen, (std::vector<int>{0, 10, 20, 30}));
}

TEST(Scheduler, StopRequestFinishesTheCurrentUnitAndStops) {
  int computed = 0, done = 0;
  ScheduleCallbacks cb;
  cb.compute = [&](const Unit& u) {
    ++computed;
    return fake_compute(u);
  };
  cb.on_done = [&](UnitResult&&) { ++done; };
  cb.stop_requested = [&] { return computed >= 2; };
  auto out = run_schedule(MPI_COMM_WORLD, units(5), cb);
  EXPECT_EQ(out.completed, 2);
  EXPECT_EQ(done, 2);
  EXPECT_TRUE(out.interrupted);
}

TEST(Scheduler, ErrorsEndUpInTheOutcome) {
  ScheduleCallbacks cb;
  int done = 0;
  cb.compute = [](const Unit& u) -> UnitResult {
    if (u.index == 1) throw InputError("bad.safetensors: tensor layer.1.q has NaN at index [0, 0, 0]");
    return fake_compute(u);
  };
  cb.on_done = [&](UnitResult&&) { ++done; };
  auto out = run_schedule(MPI_COMM_WORLD, units(3), cb);
  EXPECT_EQ(done, 1);
  EXPECT_EQ(out.error_status, 2);
  EXPECT_EQ(out.error, "bad.safetensors: tensor layer.1.q has NaN at index [0, 0, 0]");
  cb.compute = [](const Unit&) -> UnitResult { throw std::runtime_error("boom"); };
  out = run_schedule(MPI_COMM_WORLD, units(2), cb);
  EXPECT_EQ(out.error_status, 1);
  EXPECT_EQ(out.error, "internal error: boom");
}
