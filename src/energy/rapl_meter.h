// CPU package and DRAM energy from Linux RAPL (powercap sysfs: intel-rapl:* and intel-rapl-mmio:*,
// also used by AMD): energy_uj counters, unwrapped at max_energy_range_uj, summed over domains.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "energy/meter.h"

namespace jouleval::energy {

// One RAPL domain directory and its wrap-around state.
struct RaplDomain {
  std::filesystem::path dir;  // .../intel-rapl:0 or .../intel-rapl:0:2
  std::string name;           // package-0, dram, core, uncore, psys
  double max_range_uj = 0;    // the counter wraps to 0 after this value
  bool has_last = false;
  double last_raw_uj = 0;
  double accumulated_uj = 0;  // unwrapped energy since the first read
  unsigned restarts = 0;      // times the counter went backwards without a wrap to explain it
};

// Reads energy_uj of one domain and advances its unwrapped total; "" on success, else the reason.
// A counter lower than the last read is a wrap when max_range_uj explains it; otherwise it
// restarted: the total is carried on from the new value and `restarts` counts it.
std::string advance_rapl_domain(RaplDomain& domain);

// The energy of a set of RAPL domains of one kind (all packages, or all DRAM domains).
class RaplMeter final : public Meter {
 public:
  // Reads every domain once (so the first read fixes the origin); throws util::Error when one is
  // unreadable (for example, energy_uj is root-only on recent kernels).
  RaplMeter(std::string name, std::string kind, std::vector<RaplDomain> domains);

  const MeterStatus& status() const override { return status_; }
  bool has_counter() const override { return true; }
  Reading energy_joules() override;
  PowerSource power_source() const override { return PowerSource::kFromCounter; }
  nlohmann::json info() override;

 private:
  MeterStatus status_;
  std::mutex mu_;  // the sampler thread and window edges both read
  std::vector<RaplDomain> domains_;
};

// Finds the RAPL domains under `root` (normally /sys/class/powercap) and returns the meters
// "rapl:package" (kind cpu: the sum of the package domains) and "rapl:dram" (kind dram: the sum of
// the DRAM domains, wherever they sit in the tree). Sub-domains of a package (core, uncore) are never
// added to it, psys is not added to anything, and a package seen through both intel-rapl and
// intel-rapl-mmio is counted once. Missing or unreadable domains give unavailable meters with reasons.
std::vector<std::unique_ptr<Meter>> open_rapl_meters(const std::filesystem::path& root);

}  // namespace jouleval::energy
