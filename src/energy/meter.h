// One source of energy readings (a GPU through NVML, CPU packages or DRAM through RAPL, an external
// wall meter): the interface the Monitor and the sampler use, whatever the hardware.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace jouleval::energy {

// What a meter is and whether it can measure. `reason` explains an unavailable meter.
struct MeterStatus {
  std::string name;    // "nvml:0", "rapl:package", "rapl:dram", "external"
  std::string kind;    // gpu | cpu | dram | system | external
  std::string device;  // "NVIDIA H100 80GB HBM3", "package-0 + package-1", ...
  bool available = false;
  std::string reason;  // why unavailable (empty when available)
};

// A value or the reason there is none.
struct Reading {
  std::optional<double> value;
  std::string error;  // set when !value
  // Counters only: how many times the meter has seen its counter restart (go backwards in a way it
  // could not unwrap). Two readings with different counts cannot be subtracted.
  unsigned restarts = 0;
  static Reading ok(double v, unsigned restarts = 0) { return {v, {}, restarts}; }
  static Reading fail(std::string why) { return {std::nullopt, std::move(why), 0}; }
};

// How the sampler obtains a power figure for the meter.
enum class PowerSource {
  kNone,         // not sampled (external meters: read at window edges only)
  kInstant,      // power_watts() reads an instantaneous power value
  kFromCounter,  // the sampler differentiates energy_joules() between samples
};

class Meter {
 public:
  virtual ~Meter() = default;
  virtual const MeterStatus& status() const = 0;
  // Whether the meter has a cumulative energy counter (the primary source of window energy).
  virtual bool has_counter() const = 0;
  // Cumulative energy in joules on the meter's own scale (only differences are meaningful).
  virtual Reading energy_joules() = 0;
  virtual PowerSource power_source() const = 0;
  // Instantaneous power in watts (PowerSource::kInstant only).
  virtual Reading power_watts() { return Reading::fail("no instantaneous power"); }
  virtual std::optional<double> temperature_c() { return std::nullopt; }
  // Facts for the machine fingerprint (refreshed on each call where they can change, e.g. clocks).
  virtual nlohmann::json info() { return nlohmann::json::object(); }
};

// A meter that could not be set up: carries only its status.
class UnavailableMeter final : public Meter {
 public:
  UnavailableMeter(std::string name, std::string kind, std::string reason)
      : status_{std::move(name), std::move(kind), {}, false, std::move(reason)} {}
  const MeterStatus& status() const override { return status_; }
  bool has_counter() const override { return false; }
  Reading energy_joules() override { return Reading::fail(status_.reason); }
  PowerSource power_source() const override { return PowerSource::kNone; }

 private:
  MeterStatus status_;
};

}  // namespace jouleval::energy
