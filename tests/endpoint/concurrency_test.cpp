// run_concurrently without a server: its guarantees to the progress callback, which the evaluator's
// callers (the runner's progress bar, its live-watts line) rely on.
#include "endpoint/concurrency.h"

#include <gtest/gtest.h>

#include <atomic>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

namespace jouleval::endpoint {
namespace {

// Items that end at once, on more threads than this machine has cores, so that threads are
// preempted between finishing an item and reporting it: the calls must still come one at a time,
// counting 1, 2, 3, ... (a count taken before the lock once came out as 3 then 2: a bar going back).
struct ProgressLog {
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  std::vector<int64_t> seen;
  int64_t total = -1;
  engine::ProgressFn fn() {
    return [this](int64_t done, int64_t n) {
      if (inside.fetch_add(1) != 0) overlapped = true;
      seen.push_back(done);
      total = n;
      inside.fetch_sub(1);
    };
  }
};

std::vector<int64_t> one_to(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 1);
  return v;
}

TEST(RunConcurrently, ClosedLoopProgressCountsUpByOneWhicheverItemFinishesFirst) {
  constexpr int64_t kItems = 20000;
  for (int round = 0; round < 5; ++round) {
    ProgressLog log;
    std::vector<std::atomic<int>> runs(kItems);
    run_concurrently(
        kItems, 16,
        [&](int64_t i) {
          runs[static_cast<size_t>(i)].fetch_add(1);
          std::this_thread::yield();
        },
        log.fn());
    EXPECT_FALSE(log.overlapped) << "round " << round;
    EXPECT_EQ(log.total, kItems);
    ASSERT_EQ(log.seen, one_to(kItems)) << "round " << round;
    for (const auto& r : runs) ASSERT_EQ(r.load(), 1);
  }
}

TEST(RunConcurrently, OpenLoopProgressCountsUpByOneWhicheverItemFinishesFirst) {
  constexpr int64_t kItems = 4000;
  ProgressLog log;
  const std::vector<double> arrivals(kItems, 0.0);  // all due at the start: as many at once as the cap
  std::vector<double> due;
  run_concurrently(
      kItems, 16, [&](int64_t) { std::this_thread::yield(); }, log.fn(), arrivals, &due);
  EXPECT_FALSE(log.overlapped);
  EXPECT_EQ(log.total, kItems);
  EXPECT_EQ(log.seen, one_to(kItems));
  EXPECT_EQ(due.size(), static_cast<size_t>(kItems));
}

TEST(RunConcurrently, NoProgressAfterAFailureAndTheFailureIsRethrown) {
  ProgressLog log;
  std::atomic<bool> thrown{false};
  EXPECT_THROW(run_concurrently(
                   1000, 8,
                   [&](int64_t i) {
                     if (i == 100) {
                       thrown = true;
                       throw std::runtime_error("item 100");
                     }
                   },
                   log.fn()),
               std::runtime_error);
  EXPECT_TRUE(thrown);
  // Every call before the failure counted up by one; none counted the failed item, so at most 999.
  EXPECT_EQ(log.seen, one_to(static_cast<int64_t>(log.seen.size())));
  EXPECT_LT(log.seen.size(), 1000U);
}

}  // namespace
}  // namespace jouleval::endpoint
