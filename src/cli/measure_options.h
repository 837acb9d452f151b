// The measurement options shared by `run`, `sweep` and `demo` (which meters, where NVML and RAPL
// live, the external meter hook) and the line that tells the user which meters are unavailable.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "energy/monitor.h"

namespace jouleval::cli {

void add_measure_options(CLI::App& app, energy::MonitorOptions& options);

// One line per meter: "GPU nvml:0 NVIDIA H100 ...: available" / "CPU rapl:package: unavailable (reason)".
std::string describe_meters(const energy::Monitor& monitor);

}  // namespace jouleval::cli
