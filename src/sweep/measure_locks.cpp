#include "sweep/measure_locks.h"

#include <algorithm>

namespace jouleval::sweep {

std::vector<LockRequest> measurement_locks(const engine::Placement& placement,
                                           const std::vector<std::string>& visible_bus_ids, bool host_meter) {
  using Kind = engine::Placement::Kind;
  bool host_exclusive = host_meter || placement.kind == Kind::kCpu || placement.kind == Kind::kPartial;
  std::vector<std::string> gpus;
  if (placement.kind == Kind::kGpus) {
    for (int32_t i : placement.gpus) {
      if (i < 0 || static_cast<size_t>(i) >= visible_bus_ids.size()) {
        host_exclusive = true;  // a GPU that cannot be named: keep the whole machine
        continue;
      }
      gpus.push_back(visible_bus_ids[static_cast<size_t>(i)]);
    }
  } else if (placement.kind != Kind::kCpu) {
    gpus = visible_bus_ids;
    if (gpus.empty()) host_exclusive = true;
  }
  std::sort(gpus.begin(), gpus.end());
  gpus.erase(std::unique(gpus.begin(), gpus.end()), gpus.end());

  std::vector<LockRequest> out;
  out.push_back({util::measurement_lock_path(), host_exclusive ? util::LockMode::kExclusive : util::LockMode::kShared,
                 "the host"});
  for (const auto& bus : gpus)
    out.push_back({util::measurement_gpu_lock_path(bus), util::LockMode::kExclusive, "GPU " + bus});
  return out;
}

MeasurementLocks::MeasurementLocks(const std::vector<LockRequest>& requests,
                                   const std::function<void(const LockRequest&)>& on_wait) {
  for (const auto& r : requests) {
    locks_.push_back(std::make_unique<util::FileLock>(
        r.path,
        [&] {
          if (on_wait) on_wait(r);
        },
        r.mode));
  }
}

MeasurementLocks::~MeasurementLocks() {
  while (!locks_.empty()) locks_.pop_back();
}

}  // namespace jouleval::sweep
