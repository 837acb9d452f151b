// The measurement options shared by `run`, `sweep`, `demo` and `meter` (which meters, where NVML and
// RAPL live, the external meter hook and its timeout, the sampling interval), their range checks,
// and the line that tells the user which meters are unavailable.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "energy/monitor.h"

namespace jouleval::cli {

// Ranges of the numeric measurement options (docs/energy.md, "Options and their ranges").
inline constexpr double kMaxSampleIntervalMs = 60000;      // --sample-interval-ms: 0 (automatic) or 1 to this
inline constexpr double kMinExternalTimeoutSeconds = 0.1;  // --external-timeout
inline constexpr double kMaxExternalTimeoutSeconds = 3600;

// Adds the options; a value out of range is a usage error (exit 2) naming the option.
void add_measure_options(CLI::App& app, energy::MonitorOptions& options);

// A CLI11 check: the value is a finite number in [lo, hi] (NaN and infinities refused), or exactly 0
// when `zero_allowed` ("0 = automatic").
CLI::Validator finite_range(double lo, double hi, bool zero_allowed = false);

// One line per meter: "GPU nvml:0 NVIDIA H100 ...: available" / "CPU rapl:package: unavailable (reason)".
std::string describe_meters(const energy::Monitor& monitor);

}  // namespace jouleval::cli
