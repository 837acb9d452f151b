// A fixed set of host worker threads, started once, that runs parallel loops (docs/engine.md "Host
// threads"). engine::Model owns one for its lifetime, sized by its `threads`; tokenization, the
// log-softmax rows of scoring, and generation's argmax and detokenisation all run on it, whichever
// scoring lane or thread asks.
//
// Thread safety: parallel_for may be called from several threads at once (the scoring lanes do);
// their loops share the same workers, taken in the order the loops were started, and each caller
// works on its own loop as well. parallel_for may also be called from inside a loop's body (the
// caller then works through the inner loop itself when every worker is busy). The destructor must
// not run while a parallel_for is in progress.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace jouleval::engine {

class ThreadPool {
 public:
  // `threads` in all (at least 1): threads - 1 workers are started here; the calling thread of each
  // loop is the last one.
  explicit ThreadPool(int32_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int32_t threads() const { return static_cast<int32_t>(workers_.size()) + 1; }

  // Runs fn(i) for every i in [0, n), on the workers and the calling thread; returns when all have
  // returned. When fn throws, the indices not yet started are skipped and the first exception is
  // rethrown here.
  void parallel_for(int64_t n, const std::function<void(int64_t)>& fn);

  // Worker threads started by every ThreadPool of this process so far (for tests: a pool starts
  // its workers once, never per loop).
  static int64_t threads_started();

 private:
  struct Loop;
  void work();
  // Runs indices of `loop` until none is left to claim.
  static void run_indices(Loop& loop);

  std::mutex mutex_;
  std::condition_variable wake_;  // workers: a loop was queued, or stop
  std::condition_variable done_;  // callers: a loop's last index finished
  std::deque<Loop*> queue_;       // loops with indices not yet claimed
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace jouleval::engine
