// One NVIDIA GPU as a meter: energy from nvmlDeviceGetTotalEnergyConsumption, instantaneous power
// from NVML_FI_DEV_POWER_INSTANT (else nvmlDeviceGetPowerUsage), temperature, clocks, power limits.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "energy/meter.h"
#include "energy/nvml_library.h"

namespace jouleval::energy {

class NvmlMeter final : public Meter {
 public:
  // Throws util::Error naming the failed NVML call when the device cannot be opened or measures
  // neither energy nor power.
  NvmlMeter(std::shared_ptr<const NvmlLibrary> library, unsigned index);

  const MeterStatus& status() const override { return status_; }
  bool has_counter() const override { return has_counter_; }
  Reading energy_joules() override;
  PowerSource power_source() const override {
    return power_ != Power::kNone ? PowerSource::kInstant : PowerSource::kNone;
  }
  Reading power_watts() override;
  std::optional<double> temperature_c() override;
  nlohmann::json info() override;

  const std::string& uuid() const { return uuid_; }
  unsigned index() const { return index_; }
  // Canonical PCI bus id ("0000:19:00.0", energy/gpu_selection.h); "" when NVML does not give it.
  const std::string& pci_bus_id() const { return pci_bus_id_; }
  const NvmlLibrary& library() const { return *lib_; }
  // "instant (NVML_FI_DEV_POWER_INSTANT)", "nvmlDeviceGetPowerUsage (1 s average on Ampere and newer)"
  // or "none".
  std::string power_description() const;

 private:
  enum class Power { kNone, kInstantField, kPowerUsage };
  Reading read_instant_field();
  Reading read_power_usage();

  std::shared_ptr<const NvmlLibrary> lib_;
  unsigned index_;
  nvml::Device device_ = nullptr;
  MeterStatus status_;
  std::string uuid_;
  std::string pci_bus_id_;
  bool has_counter_ = false;
  std::string counter_error_;
  Power power_ = Power::kNone;
  std::vector<std::string> probe_notes_;
};

// Every GPU NVML reports, as meters. When NVML cannot be loaded or sees no GPU, one unavailable meter
// "nvml" carries the reason; a GPU that cannot be opened is an unavailable "nvml:N".
std::vector<std::unique_ptr<Meter>> open_nvml_meters(const std::string& library_path);

}  // namespace jouleval::energy
