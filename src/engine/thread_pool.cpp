#include "engine/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <exception>

namespace jouleval::engine {
namespace {

std::atomic<int64_t> g_threads_started{0};
std::atomic<int64_t> g_lane_threads_started{0};

}  // namespace

// One parallel_for in progress. Lives on its caller's stack until no worker is inside it.
struct ThreadPool::Loop {
  int64_t n = 0;
  const std::function<void(int64_t)>* fn = nullptr;
  std::atomic<int64_t> next{0};  // the next index to claim
  int32_t helpers = 0;           // workers inside run_indices (under the pool's mutex)
  std::mutex error_mutex;
  std::exception_ptr error;  // the first exception of fn
};

ThreadPool::ThreadPool(int32_t threads) {
  const int32_t workers = std::max(1, threads) - 1;
  workers_.reserve(static_cast<size_t>(workers));
  for (int32_t i = 0; i < workers; ++i) {
    workers_.emplace_back([this] { work(); });
    g_threads_started.fetch_add(1, std::memory_order_relaxed);
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

int64_t ThreadPool::threads_started() { return g_threads_started.load(std::memory_order_relaxed); }

void ThreadPool::run_indices(Loop& loop) {
  for (int64_t i = loop.next.fetch_add(1); i < loop.n; i = loop.next.fetch_add(1)) {
    try {
      (*loop.fn)(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(loop.error_mutex);
      if (!loop.error) loop.error = std::current_exception();
      loop.next.store(loop.n);  // skip what no thread has started
    }
  }
}

void ThreadPool::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    Loop* loop = queue_.front();
    ++loop->helpers;
    lock.unlock();
    run_indices(*loop);
    lock.lock();
    // Every index is claimed now: no other worker needs to enter this loop.
    const auto at = std::find(queue_.begin(), queue_.end(), loop);
    if (at != queue_.end()) queue_.erase(at);
    if (--loop->helpers == 0) done_.notify_all();
  }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t)>& fn) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  Loop loop;
  loop.n = n;
  loop.fn = &fn;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(&loop);
  }
  // Wake no more workers than there are indices for besides this thread.
  const int64_t helpers = std::min<int64_t>(n - 1, static_cast<int64_t>(workers_.size()));
  if (helpers >= static_cast<int64_t>(workers_.size())) {
    wake_.notify_all();
  } else {
    for (int64_t i = 0; i < helpers; ++i) wake_.notify_one();
  }
  run_indices(loop);
  {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto at = std::find(queue_.begin(), queue_.end(), &loop);
    if (at != queue_.end()) queue_.erase(at);
    done_.wait(lock, [&] { return loop.helpers == 0; });
  }
  if (loop.error) std::rethrow_exception(loop.error);
}

LaneWorker::LaneWorker() : thread_([this] { work(); }) {
  g_lane_threads_started.fetch_add(1, std::memory_order_relaxed);
}

LaneWorker::~LaneWorker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

int64_t LaneWorker::threads_started() { return g_lane_threads_started.load(std::memory_order_relaxed); }

std::future<void> LaneWorker::run(std::function<void()> task) {
  Job job;
  job.task = std::move(task);
  std::future<void> future = job.done.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return future;
}

void LaneWorker::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop, with every queued task run
    Job job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    std::exception_ptr error;
    try {
      job.task();
    } catch (...) {
      error = std::current_exception();
    }
    job.task = nullptr;  // the task's captures go before its caller learns that it is done
    if (error) {
      job.done.set_exception(error);
    } else {
      job.done.set_value();
    }
    lock.lock();
  }
}

}  // namespace jouleval::engine
