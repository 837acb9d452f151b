#include "energy/cpu_estimate.h"

#include <algorithm>

namespace jouleval::energy {

CpuTdpEstimate estimate_cpu_tdp(double tdp_watts, unsigned cores, double user_seconds, double system_seconds,
                                double wall_seconds) {
  CpuTdpEstimate e;
  e.tdp_watts = tdp_watts;
  e.cores = std::max(cores, 1u);
  e.cpu_seconds = std::max(user_seconds, 0.0) + std::max(system_seconds, 0.0);
  e.utilization = wall_seconds > 0 ? e.cpu_seconds / (wall_seconds * e.cores) : 0.0;
  e.joules = tdp_watts * e.cpu_seconds / e.cores;
  return e;
}

}  // namespace jouleval::energy
