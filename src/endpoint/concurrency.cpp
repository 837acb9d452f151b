#include "endpoint/concurrency.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>

namespace jouleval::endpoint {
namespace {

// Runs `work(i)` for i in [0, offsets.size()), item i released `offsets[i]` seconds after the start
// (that time, in seconds of std::chrono::steady_clock since its epoch, is due[i], set before work(i) starts), with at
// most `cap` items running at once: an item released while `cap` run waits until one ends (its successors wait behind
// it). Worker threads are started as needed, at most `cap`. The first exception (of a work item, or a thread that
// cannot be started) stops the release of further items (those released and not started are dropped) and is rethrown
// once the running ones have finished.
void run_at_arrivals(const std::vector<double>& offsets, int cap, const std::function<void(int64_t)>& work,
                     const engine::ProgressFn& progress, std::vector<double>& due) {
  const auto n = static_cast<int64_t>(offsets.size());
  std::mutex mutex;  // guards everything below and progress calls
  std::condition_variable changed;
  std::deque<int64_t> ready;  // released, not yet taken by a worker
  int in_flight = 0;          // released and not finished
  size_t free_workers = 0;    // started workers not running an item
  bool closed = false;
  bool failed = false;
  int64_t done = 0;
  std::exception_ptr first;
  std::vector<std::thread> pool;
  auto worker = [&] {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      changed.wait(lock, [&] { return !ready.empty() || closed; });
      if (ready.empty()) return;  // closed and drained
      const int64_t i = ready.front();
      ready.pop_front();
      if (failed) {
        --in_flight;
        changed.notify_all();
        continue;
      }
      --free_workers;
      lock.unlock();
      std::exception_ptr error;
      try {
        work(i);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      ++free_workers;
      --in_flight;
      if (error) {
        if (!first) first = error;
        failed = true;
      } else {
        ++done;
        if (progress && !failed) progress(done, n);
      }
      changed.notify_all();
    }
  };
  due.assign(offsets.size(), 0.0);
  const auto start = std::chrono::steady_clock::now();
  const double start_s = std::chrono::duration<double>(start.time_since_epoch()).count();
  {
    std::unique_lock<std::mutex> lock(mutex);
    for (int64_t i = 0; i < n && !failed; ++i) {
      const double offset = offsets[static_cast<size_t>(i)];
      const auto at = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>(offset));
      changed.wait_until(lock, at, [&] { return failed; });  // the arrival (or a failure)
      changed.wait(lock, [&] { return failed || in_flight < cap; });
      if (failed) break;
      due[static_cast<size_t>(i)] = start_s + offset;
      ready.push_back(i);
      ++in_flight;
      if (ready.size() > free_workers && pool.size() < static_cast<size_t>(cap)) {
        try {
          pool.emplace_back(worker);
          ++free_workers;
        } catch (const std::system_error&) {
          first = std::current_exception();
          failed = true;
          break;
        }
      }
      changed.notify_all();
    }
    closed = true;
    changed.notify_all();
  }
  for (auto& t : pool) t.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace

void run_concurrently(int64_t n, int concurrency, const std::function<void(int64_t)>& work,
                      const engine::ProgressFn& progress, const std::vector<double>& arrivals,
                      std::vector<double>* due) {
  if (!arrivals.empty()) return run_at_arrivals(arrivals, concurrency, work, progress, *due);
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;  // guards `first`, `done` and progress calls
  std::exception_ptr first;
  int64_t done = 0;  // counted under the lock that orders the progress calls, so that they count up by one
  auto worker = [&] {
    for (;;) {
      if (failed.load()) return;
      const int64_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        work(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!first) first = std::current_exception();
        failed = true;
        return;
      }
      if (progress) {
        std::lock_guard<std::mutex> lock(mutex);
        ++done;
        if (!failed.load()) progress(done, n);
      }
    }
  };
  const int threads = static_cast<int>(std::min<int64_t>(concurrency, n));
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(std::max(threads - 1, 0)));
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  if (threads > 0) worker();
  for (auto& t : pool) t.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace jouleval::endpoint
