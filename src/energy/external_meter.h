// A user-supplied meter (a wall power meter, a PDU): a shell command that prints cumulative joules,
// or a file that holds them, read only at the edges of a window. Every reading is bounded in time
// and size (energy/bounded_io.h; docs/energy.md, "Limits and timeouts").
#pragma once

#include <string>

#include "energy/bounded_io.h"
#include "energy/meter.h"

namespace jouleval::energy {

class ExternalMeter final : public Meter {
 public:
  enum class Source { kCommand, kFile };
  // Reads once to check the source works; throws util::Error (kUnavailable) with the reason when it
  // does not. `limits` bound every reading: the file's or the command's output size, and the time a
  // reading may take (the command is killed, its whole process group, when it runs past it).
  ExternalMeter(Source source, std::string spec, ReadLimits limits = {});

  const MeterStatus& status() const override { return status_; }
  bool has_counter() const override { return true; }
  // The counter, or the reason there is none (a failed, slow, oversized or unparsable reading).
  Reading energy_joules() override;
  PowerSource power_source() const override { return PowerSource::kNone; }
  nlohmann::json info() override;

 private:
  Source source_;
  std::string spec_;
  ReadLimits limits_;
  MeterStatus status_;
};

// Parses the first number in `text` as joules; "" on success, else the reason.
std::string parse_joules(const std::string& text, double& joules);

}  // namespace jouleval::energy
