// An exclusive advisory lock on a file (flock), held for the object's lifetime: several processes
// making the same derived file (a quantized model) take turns instead of writing it together.
#pragma once

#include <filesystem>
#include <functional>

namespace jouleval::util {

// kExclusive: one holder at a time. kShared: any number of shared holders together, never beside an
// exclusive one (flock's LOCK_SH / LOCK_EX).
enum class LockMode { kExclusive, kShared };

class FileLock {
 public:
  // Whether taking the lock on `path` in `mode` would wait now: another open file description holds
  // it in a conflicting mode (kExclusive: in either mode; kShared: exclusively). False when the file
  // does not exist or cannot be opened. Does not wait.
  static bool held_elsewhere(const std::filesystem::path& path, LockMode mode = LockMode::kExclusive);

  // Creates `path` if needed and locks it in `mode`, waiting while another process holds it in a
  // conflicting mode; `on_wait` is called once before waiting (to say so). Throws util::Error naming
  // the file when it cannot be opened.
  explicit FileLock(const std::filesystem::path& path, const std::function<void()>& on_wait = {},
                    LockMode mode = LockMode::kExclusive);
  ~FileLock();  // unlocks
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// The locks that keep the measurements of jouleval processes on one machine apart (docs/sweep.md
// "Several processes, one database"). The host's: $JOULEVAL_MEASURE_LOCK, else jouleval-measure.lock
// in the system's temporary directory. One GPU's: the host's path + ".gpu-" + its PCI bus id.
std::filesystem::path measurement_lock_path();
std::filesystem::path measurement_gpu_lock_path(const std::string& pci_bus_id);

}  // namespace jouleval::util
