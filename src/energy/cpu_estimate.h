// The opt-in CPU energy estimate of `jouleval meter --estimate cpu-tdp=WATTS` (docs/energy.md,
// "Estimates"): a model, never a measurement; every output that shows it labels it estimated.
#pragma once

namespace jouleval::energy {

struct CpuTdpEstimate {
  double tdp_watts = 0;    // as given by the user
  unsigned cores = 0;      // logical CPUs the TDP is spread over
  double cpu_seconds = 0;  // user + system CPU time of the measured command tree
  double utilization = 0;  // cpu_seconds / (wall seconds × cores); 0 for a window of no length
  double joules = 0;       // tdp_watts × utilization × wall seconds = tdp_watts × cpu_seconds / cores
};

// The model: the CPU draws its TDP when every one of `cores` logical CPUs is busy and nothing when
// idle, linearly in between, and the command tree's share is its CPU time. Idle power, turbo above
// TDP, memory and other processes are not in it. Requires tdp_watts > 0 and cores >= 1; negative
// times count as 0.
CpuTdpEstimate estimate_cpu_tdp(double tdp_watts, unsigned cores, double user_seconds, double system_seconds,
                                double wall_seconds);

}  // namespace jouleval::energy
