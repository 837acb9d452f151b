// A user-supplied meter (a wall power meter, a PDU): a shell command that prints cumulative joules,
// or a file that holds them, read only at the edges of a window.
#pragma once

#include <string>

#include "energy/meter.h"

namespace jouleval::energy {

class ExternalMeter final : public Meter {
 public:
  enum class Source { kCommand, kFile };
  // Reads once to check the source works; throws util::Error with the reason when it does not.
  ExternalMeter(Source source, std::string spec);

  const MeterStatus& status() const override { return status_; }
  bool has_counter() const override { return true; }
  Reading energy_joules() override;
  PowerSource power_source() const override { return PowerSource::kNone; }
  nlohmann::json info() override;

 private:
  Source source_;
  std::string spec_;
  MeterStatus status_;
};

// Parses the first number in `text` as joules; "" on success, else the reason.
std::string parse_joules(const std::string& text, double& joules);

}  // namespace jouleval::energy
