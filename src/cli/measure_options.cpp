#include "cli/measure_options.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace jouleval::cli {

CLI::Validator finite_range(double lo, double hi, bool zero_allowed) {
  const std::string range =
      zero_allowed ? fmt::format("0, or {:g} to {:g}", lo, hi) : fmt::format("{:g} to {:g}", lo, hi);
  return CLI::Validator(
      [lo, hi, zero_allowed, range](std::string& text) -> std::string {
        const char* begin = text.c_str();
        char* end = nullptr;
        errno = 0;
        const double v = std::strtod(begin, &end);
        const bool parsed = end != begin && *end == '\0' && errno != ERANGE;
        if (parsed && std::isfinite(v) && ((zero_allowed && v == 0) || (v >= lo && v <= hi))) return {};
        return fmt::format("'{}' is not a number in range ({})", text, range);
      },
      fmt::format("NUMBER in {}", range));
}

void add_measure_options(CLI::App& app, energy::MonitorOptions& o) {
  app.add_option("--nvml-library", o.nvml_library,
                 "NVML library to load (default $JOULEVAL_NVML_LIBRARY, else libnvidia-ml.so.1)")
      ->group("Measurement");
  app.add_option("--rapl-root", o.rapl_root, "powercap sysfs root for RAPL")
      ->capture_default_str()
      ->group("Measurement");
  auto* cmd = app.add_option("--external-cmd", o.external_command,
                             "Shell command printing cumulative joules of an external meter (run at both window "
                             "edges, in its own process group)")
                  ->group("Measurement");
  auto* file = app.add_option("--external-file", o.external_file,
                              "File (or FIFO, or device) holding cumulative joules of an external meter")
                   ->group("Measurement");
  cmd->excludes(file);
  file->excludes(cmd);
  app.add_option("--external-timeout", o.external_timeout_seconds,
                 "Seconds one external meter reading may take (the command is then killed, and the meter is "
                 "unavailable for that window)")
      ->check(finite_range(kMinExternalTimeoutSeconds, kMaxExternalTimeoutSeconds))
      ->capture_default_str()
      ->group("Measurement");
  app.add_flag("!--no-nvml", o.use_nvml, "Do not use NVML (GPU energy unavailable)")->group("Measurement");
  app.add_flag("!--no-rapl", o.use_rapl, "Do not use RAPL (CPU energy unavailable)")->group("Measurement");
  app.add_option("--sample-interval-ms", o.sample_interval_ms,
                 "Power sampling interval, 0 = half the measured NVML counter update period")
      ->check(finite_range(1, kMaxSampleIntervalMs, /*zero_allowed=*/true))
      ->capture_default_str()
      ->group("Measurement");
}

std::string describe_meters(const energy::Monitor& monitor) {
  std::string out;
  bool gpu = false;
  for (const auto& s : monitor.meters_status()) {
    gpu = gpu || (s.kind == "gpu" && s.available);
    out +=
        fmt::format("  {:<8} {:<14} {}\n", s.kind, s.name,
                    s.available ? fmt::format("available ({})", s.device) : fmt::format("unavailable: {}", s.reason));
  }
  if (gpu) out += fmt::format("  {}\n", monitor.gpu_selection());
  return out;
}

}  // namespace jouleval::cli
