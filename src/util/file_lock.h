// An exclusive advisory lock on a file (flock), held for the object's lifetime: several processes
// making the same derived file (a quantized model) take turns instead of writing it together.
#pragma once

#include <filesystem>
#include <functional>

namespace jouleval::util {

class FileLock {
 public:
  // Whether another open file description holds the lock on `path` now (false when the file does
  // not exist or cannot be opened). Does not wait.
  static bool held_elsewhere(const std::filesystem::path& path);

  // Creates `path` if needed and locks it, waiting while another process holds it; `on_wait` is called
  // once before waiting (to say so). Throws util::Error naming the file when it cannot be opened.
  explicit FileLock(const std::filesystem::path& path, const std::function<void()>& on_wait = {});
  ~FileLock();  // unlocks
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// The lock that keeps the measurements of jouleval processes on one machine apart
// (docs/sweep.md "Several processes, one database"): $JOULEVAL_MEASURE_LOCK, else
// jouleval-measure.lock in the system's temporary directory.
std::filesystem::path measurement_lock_path();

}  // namespace jouleval::util
