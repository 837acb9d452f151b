// engine::ThreadPool runs every index once on at most its threads, started once; concurrent and
// nested loops share it; exceptions reach the caller. A Model starts its pool's threads at load and
// never again, however many loglikelihood and generation calls follow (docs/engine.md "Host threads").
// engine::LaneWorker runs a scoring lane's tasks in order on one thread started once; a task's error
// reaches its future and nothing else (docs/engine.md "Scoring lanes").
#include "engine/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <new>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "test_models.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

TEST(ThreadPool, RunsEveryIndexExactlyOnce) {
  ThreadPool pool(4);
  EXPECT_EQ(pool.threads(), 4);
  for (int64_t n : {0, 1, 2, 3, 7, 1000}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    pool.parallel_for(n, [&](int64_t i) { hits[static_cast<size_t>(i)].fetch_add(1); });
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(hits[static_cast<size_t>(i)].load(), 1) << n << " " << i;
  }
}

TEST(ThreadPool, StartsItsThreadsOnceAndUsesNoOthers) {
  const int64_t before = ThreadPool::threads_started();
  ThreadPool pool(3);
  EXPECT_EQ(ThreadPool::threads_started(), before + 2);  // the caller is the third
  std::mutex mutex;
  std::set<std::thread::id> seen;
  for (int call = 0; call < 200; ++call) {
    pool.parallel_for(64, [&](int64_t) {
      std::this_thread::sleep_for(std::chrono::microseconds(20));
      std::lock_guard<std::mutex> lock(mutex);
      seen.insert(std::this_thread::get_id());
    });
  }
  EXPECT_EQ(ThreadPool::threads_started(), before + 2);
  EXPECT_LE(seen.size(), 3u);
  EXPECT_GE(seen.size(), 1u);
  EXPECT_EQ(seen.count(std::this_thread::get_id()), 1u);
}

TEST(ThreadPool, OneThreadRunsOnTheCaller) {
  const int64_t before = ThreadPool::threads_started();
  ThreadPool pool(1);
  EXPECT_EQ(ThreadPool::threads_started(), before);
  const std::thread::id caller = std::this_thread::get_id();
  int64_t sum = 0;
  pool.parallel_for(100, [&](int64_t i) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    sum += i;
  });
  EXPECT_EQ(sum, 4950);
}

TEST(ThreadPool, ConcurrentCallersShareTheWorkers) {
  ThreadPool pool(3);
  const int64_t started = ThreadPool::threads_started();
  std::atomic<int64_t> totals[2] = {0, 0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 2; ++c) {
    callers.emplace_back([&, c] {
      for (int call = 0; call < 100; ++call) {
        pool.parallel_for(50, [&](int64_t i) { totals[c].fetch_add(i + 1); });
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(totals[0].load(), 100 * 1275);
  EXPECT_EQ(totals[1].load(), 100 * 1275);
  EXPECT_EQ(ThreadPool::threads_started(), started);
}

TEST(ThreadPool, NestedLoopsFinish) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  pool.parallel_for(8, [&](int64_t i) { pool.parallel_for(8, [&](int64_t j) { total.fetch_add(i * 8 + j); }); });
  EXPECT_EQ(total.load(), 63 * 64 / 2);
}

TEST(ThreadPool, FirstExceptionReachesTheCallerAndThePoolStaysUsable) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.parallel_for(1000,
                                 [](int64_t i) {
                                   if (i == 5) throw std::runtime_error("index 5");
                                 }),
               std::runtime_error);
  std::atomic<int64_t> count{0};
  pool.parallel_for(100, [&](int64_t) { count.fetch_add(1); });
  EXPECT_EQ(count.load(), 100);
}

TEST(ThreadPool, ModelStartsItsThreadsOnceForAllWork) {
  auto options = testing::cpu_options(512, 4);
  options.threads = 3;
  options.scoring_lanes = 2;  // two lanes share the pool; each has one thread of its own, started once
  const int64_t before = ThreadPool::threads_started();
  const int64_t lanes_before = LaneWorker::threads_started();
  auto model = Model::load(testing::tiny_model(), options);
  const int64_t after_load = ThreadPool::threads_started();
  EXPECT_EQ(after_load, before + 2);
  std::vector<LoglikelihoodRequest> scoring;
  for (int i = 0; i < 12; ++i) scoring.push_back({"Question " + std::to_string(i) + ": energy is", " joules", ""});
  for (int round = 0; round < 3; ++round) {
    (void)model->loglikelihood(scoring);
    (void)model->generate({{"Once upon a time", {}, 4}, {"The GPU", {}, 3}});
  }
  EXPECT_EQ(ThreadPool::threads_started(), after_load);
  EXPECT_EQ(LaneWorker::threads_started(), lanes_before + 2);
}

TEST(LaneWorker, RunsTasksInOrderOnOneThreadStartedOnce) {
  const int64_t before = LaneWorker::threads_started();
  LaneWorker worker;
  EXPECT_EQ(LaneWorker::threads_started(), before + 1);
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  std::vector<std::future<void>> done;
  for (int i = 0; i < 100; ++i) {
    done.push_back(worker.run([&, i] {  // only the worker touches order and threads
      order.push_back(i);
      threads.push_back(std::this_thread::get_id());
    }));
  }
  for (auto& f : done) f.get();
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
  for (const auto& t : threads) EXPECT_EQ(t, threads.front());
  EXPECT_NE(threads.front(), std::this_thread::get_id());
  EXPECT_EQ(LaneWorker::threads_started(), before + 1);
}

TEST(LaneWorker, ATasksErrorReachesItsFutureAndTheWorkerGoesOn) {
  LaneWorker worker;
  auto failing = worker.run([] { throw util::Error("pack failed", util::ErrorKind::kUnavailable); });
  try {
    failing.get();
    ADD_FAILURE() << "no error";
  } catch (const util::Error& e) {
    EXPECT_STREQ(e.what(), "pack failed");
    EXPECT_EQ(e.kind(), util::ErrorKind::kUnavailable);
  }
  EXPECT_THROW(worker.run([] { throw std::bad_alloc(); }).get(), std::bad_alloc);
  int ran = 0;
  worker.run([&] { ++ran; }).get();
  EXPECT_EQ(ran, 1);
}

TEST(LaneWorker, TheTaskIsGoneWhenItsFutureIsReady) {
  // What the task holds is released on the worker's thread before the caller is told it is done.
  LaneWorker worker;
  auto held = std::make_shared<int>(7);
  std::weak_ptr<int> watch = held;
  auto done = worker.run([held = std::move(held)] { EXPECT_EQ(*held, 7); });
  done.get();
  EXPECT_TRUE(watch.expired());
}

TEST(LaneWorker, TheDestructorRunsTheQueuedTasks) {
  std::atomic<int> ran{0};
  std::vector<std::future<void>> done;
  {
    LaneWorker worker;
    for (int i = 0; i < 20; ++i) {
      done.push_back(worker.run([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ran.fetch_add(1);
      }));
    }
  }
  EXPECT_EQ(ran.load(), 20);
  for (auto& f : done) EXPECT_NO_THROW(f.get());
}

}  // namespace
}  // namespace jouleval::engine
