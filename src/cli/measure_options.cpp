#include "cli/measure_options.h"

#include <fmt/format.h>

namespace jouleval::cli {

void add_measure_options(CLI::App& app, energy::MonitorOptions& o) {
  app.add_option("--nvml-library", o.nvml_library,
                 "NVML library to load (default $JOULEVAL_NVML_LIBRARY, else libnvidia-ml.so.1)")
      ->group("Measurement");
  app.add_option("--rapl-root", o.rapl_root, "powercap sysfs root for RAPL")
      ->capture_default_str()
      ->group("Measurement");
  app.add_option("--external-cmd", o.external_command, "Command printing cumulative joules of an external meter")
      ->group("Measurement");
  app.add_option("--external-file", o.external_file, "File holding cumulative joules of an external meter")
      ->group("Measurement");
  app.add_flag("!--no-nvml", o.use_nvml, "Do not use NVML (GPU energy unavailable)")->group("Measurement");
  app.add_flag("!--no-rapl", o.use_rapl, "Do not use RAPL (CPU energy unavailable)")->group("Measurement");
  app.add_option("--sample-interval-ms", o.sample_interval_ms,
                 "Power sampling interval (default: half the measured NVML counter update period)")
      ->group("Measurement");
}

std::string describe_meters(const energy::Monitor& monitor) {
  std::string out;
  for (const auto& s : monitor.meters_status()) {
    out +=
        fmt::format("  {:<8} {:<14} {}\n", s.kind, s.name,
                    s.available ? fmt::format("available ({})", s.device) : fmt::format("unavailable: {}", s.reason));
  }
  return out;
}

}  // namespace jouleval::cli
