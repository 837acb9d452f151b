// The peak resident memory of this process over a window of work (docs/report.md
// "Recommendations": the memory of a CPU cell). Linux only: the kernel's high-water mark VmHWM
// (/proc/self/status) is reset to the current resident size by writing "5" to
// /proc/self/clear_refs when the window opens, and read when it closes. getrusage's ru_maxrss is not
// used: it cannot be reset, so it would report the peak of earlier work (another model) too.
// Not thread-safe across windows: the high-water mark belongs to the whole process, so one window
// at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

namespace jouleval::util {

class PeakRssWindow {
 public:
  // Opens the window: resets the process's high-water mark. `proc_self` is the procfs directory of
  // the process (tests pass a directory of their own).
  explicit PeakRssWindow(const std::filesystem::path& proc_self = "/proc/self");

  // The peak resident memory in bytes since the window opened; absent when the reset failed (no
  // clear_refs, or not permitted) or VmHWM cannot be read. Never throws.
  std::optional<uint64_t> peak_bytes() const;

 private:
  std::filesystem::path proc_self_;
  bool reset_ = false;
};

// VmHWM of `status_file` (a /proc/<pid>/status file) in bytes; absent when the file or the field
// cannot be read or parsed.
std::optional<uint64_t> read_vm_hwm(const std::filesystem::path& status_file);

}  // namespace jouleval::util
