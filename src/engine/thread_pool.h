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
#include <future>
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

// One host thread, started once, that runs tasks one at a time in the order they were given. Each
// scoring lane of engine::Model runs its packs on a LaneWorker of its own, made with the lane and kept
// for the model's lifetime, so scoring starts no thread per pack (docs/engine.md "Host threads").
//
// Thread safety: run() may be called from any thread, also while a task is running (the task then
// waits its turn). Tasks run only on the worker's thread. The destructor runs the tasks still
// queued, then joins the thread; it must not be called from a task.
// Errors: an exception thrown by a task is caught on the worker's thread and stored in that task's
// future (future::get rethrows it as thrown, e.g. the same util::Error with its message and kind);
// it never ends the thread or the process. The constructor throws std::system_error when the
// thread cannot be started.
class LaneWorker {
 public:
  LaneWorker();
  ~LaneWorker();
  LaneWorker(const LaneWorker&) = delete;
  LaneWorker& operator=(const LaneWorker&) = delete;

  // Queues `task` (not empty). Its future becomes ready once the task has returned or thrown and
  // has been destroyed, so the task's captures are no longer touched when the future is ready.
  std::future<void> run(std::function<void()> task);

  // Threads started by every LaneWorker of this process so far (for tests: a lane's thread is
  // started once, never per pack).
  static int64_t threads_started();

 private:
  struct Job {
    std::function<void()> task;
    std::promise<void> done;
  };
  void work();

  std::mutex mutex_;
  std::condition_variable wake_;  // a job was queued, or stop
  std::deque<Job> queue_;
  bool stop_ = false;
  std::thread thread_;  // last: started once the members it uses exist
};

}  // namespace jouleval::engine
