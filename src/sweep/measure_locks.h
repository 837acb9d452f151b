// Which measurement locks a group of cells takes, so that jouleval processes on one machine measure
// side by side only where their meters cannot see each other's work (docs/sweep.md "Several
// processes, one database"): one lock per GPU, exclusive, and one for the host, exclusive when the
// work runs on the CPU or a meter sees the whole host (RAPL, an external meter), else shared.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/model.h"
#include "util/file_lock.h"

namespace jouleval::sweep {

// One lock to take: its file, its mode, and what it keeps apart ("the host", "GPU 0000:19:00.0").
struct LockRequest {
  std::filesystem::path path;
  util::LockMode mode = util::LockMode::kExclusive;
  std::string what;
};

// The locks of work placed at `placement` (an endpoint: the server's GPUs, every visible one, like
// placement gpu), given the PCI bus ids of the GPUs CUDA sees in its order (energy::Monitor::
// visible_gpu_bus_ids) and whether a meter sees the whole host. In the order they must be taken
// (the host's first, then the GPUs' by bus id), so that processes never wait on each other in a
// circle:
// - the host: exclusive for cpu and partial:N placements, with a host meter, or when the GPUs the
//   work uses cannot be named (no bus ids, an index beyond the visible GPUs): then the work keeps
//   the whole machine, as one lock did before; shared otherwise.
// - each GPU the work uses (gpu and partial:N: every visible one; gpus:I,...: those), exclusive.
// Pure function; thread-safe.
std::vector<LockRequest> measurement_locks(const engine::Placement& placement,
                                           const std::vector<std::string>& visible_bus_ids, bool host_meter);

// The locks of `requests`, taken in order and held for the object's lifetime (released in reverse
// order). `on_wait` is called before waiting for a lock another process holds. Throws util::Error
// when a lock file cannot be created (util::FileLock). Not thread-safe.
class MeasurementLocks {
 public:
  MeasurementLocks(const std::vector<LockRequest>& requests, const std::function<void(const LockRequest&)>& on_wait);
  ~MeasurementLocks();
  MeasurementLocks(const MeasurementLocks&) = delete;
  MeasurementLocks& operator=(const MeasurementLocks&) = delete;

 private:
  std::vector<std::unique_ptr<util::FileLock>> locks_;
};

}  // namespace jouleval::sweep
