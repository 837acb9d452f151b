#include "energy/external_meter.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "util/error.h"

namespace jouleval::energy {

std::string parse_joules(const std::string& text, double& joules) {
  const char* p = text.c_str();
  const char* end_of_text = p + text.size();
  while (p < end_of_text && (*p == '\0' || std::strchr("0123456789+-.", *p) == nullptr)) ++p;
  if (p == end_of_text) return fmt::format("no number in output '{}'", printable_excerpt(text));
  char* end = nullptr;
  joules = std::strtod(p, &end);
  if (end == p || !std::isfinite(joules)) return fmt::format("no number in output '{}'", printable_excerpt(text));
  return {};
}

ExternalMeter::ExternalMeter(Source source, std::string spec, ReadLimits limits)
    : source_(source), spec_(std::move(spec)), limits_(limits) {
  limits_.regular_file_only = false;  // a FIFO or a device may deliver the readings
  status_.name = "external";
  status_.kind = "external";
  status_.device = source_ == Source::kCommand ? fmt::format("command: {}", spec_) : fmt::format("file: {}", spec_);
  Reading r = energy_joules();
  if (!r.value) throw util::Error(r.error, util::ErrorKind::kUnavailable);
  status_.available = true;
}

Reading ExternalMeter::energy_joules() {
  const bool command = source_ == Source::kCommand;
  const std::string what =
      command ? fmt::format("external meter command '{}'", spec_) : fmt::format("external meter file {}", spec_);
  const BoundedRead read = command ? run_command_bounded(spec_, limits_) : read_file_bounded(spec_, limits_);
  if (!read.ok) {
    return Reading::fail(command ? fmt::format("{}: {}", what, read.error)
                                 : fmt::format("cannot read {}: {}", what, read.error));
  }
  double joules = 0;
  if (std::string err = parse_joules(read.text, joules); !err.empty())
    return Reading::fail(fmt::format("{}: {}", what, err));
  return Reading::ok(joules);
}

nlohmann::json ExternalMeter::info() {
  return {{"meter", "external"},
          {source_ == Source::kCommand ? "command" : "file", spec_},
          {"timeout_s", limits_.timeout_seconds},
          {"max_bytes", limits_.max_bytes}};
}

}  // namespace jouleval::energy
