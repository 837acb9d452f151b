#include "energy/nvml_meter.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>

#include "energy/gpu_selection.h"
#include "util/error.h"

namespace jouleval::energy {

namespace {

std::string architecture_name(unsigned arch) {
  switch (arch) {
    case 2:
      return "Kepler";
    case 3:
      return "Maxwell";
    case 4:
      return "Pascal";
    case 5:
      return "Volta";
    case 6:
      return "Turing";
    case 7:
      return "Ampere";
    case 8:
      return "Ada";
    case 9:
      return "Hopper";
    case 10:
      return "Blackwell";
    case 11:
      return "Orin";
    default:
      return fmt::format("unknown ({})", arch);
  }
}

std::optional<double> field_as_double(const nvml::FieldValue& f) {
  switch (f.valueType) {
    case nvml::kDouble:
      return f.value.dVal;
    case nvml::kUInt:
      return static_cast<double>(f.value.uiVal);
    case nvml::kULong:
      return static_cast<double>(f.value.ulVal);
    case nvml::kULongLong:
      return static_cast<double>(f.value.ullVal);
    case nvml::kSLongLong:
      return static_cast<double>(f.value.sllVal);
    case nvml::kSInt:
      return static_cast<double>(f.value.siVal);
    case nvml::kUShort:
      return static_cast<double>(f.value.usVal);
    default:
      return std::nullopt;
  }
}

}  // namespace

NvmlMeter::NvmlMeter(std::shared_ptr<const NvmlLibrary> library, unsigned index)
    : lib_(std::move(library)), index_(index) {
  const auto& api = lib_->api();
  status_.name = fmt::format("nvml:{}", index);
  status_.kind = "gpu";
  if (nvml::Return rc = api.device_get_handle_by_index(index, &device_); rc != nvml::kSuccess) {
    throw util::Error(fmt::format("GPU {}: {}", index, lib_->failure("nvmlDeviceGetHandleByIndex_v2", rc)),
                      util::ErrorKind::kUnavailable);
  }
  std::array<char, nvml::kNameBufferSize> name{};
  if (api.device_get_name == nullptr) {
    status_.device = fmt::format("GPU {}", index);
  } else if (nvml::Return rc = api.device_get_name(device_, name.data(), name.size()); rc == nvml::kSuccess) {
    status_.device = name.data();
  } else {
    status_.device = fmt::format("GPU {}", index);
    probe_notes_.push_back(lib_->failure("nvmlDeviceGetName", rc));
  }
  std::array<char, nvml::kUuidBufferSize> uuid{};
  if (api.device_get_uuid != nullptr) {
    if (nvml::Return rc = api.device_get_uuid(device_, uuid.data(), uuid.size()); rc == nvml::kSuccess) {
      uuid_ = uuid.data();
    } else {
      probe_notes_.push_back(lib_->failure("nvmlDeviceGetUUID", rc));
    }
  }

  if (api.device_get_pci_info != nullptr) {
    nvml::PciInfo pci{};
    if (nvml::Return rc = api.device_get_pci_info(device_, &pci); rc == nvml::kSuccess) {
      pci.busId[sizeof pci.busId - 1] = '\0';
      pci_bus_id_ = canonical_pci_bus_id(pci.busId).value_or("");
    } else {
      probe_notes_.push_back(lib_->failure("nvmlDeviceGetPciInfo_v3", rc));
    }
  }

  Reading energy = energy_joules();
  has_counter_ = energy.value.has_value();
  if (!has_counter_) counter_error_ = energy.error;

  if (Reading p = read_instant_field(); p.value) {
    power_ = Power::kInstantField;
  } else {
    probe_notes_.push_back(p.error);
    if (Reading q = read_power_usage(); q.value) {
      power_ = Power::kPowerUsage;
    } else {
      probe_notes_.push_back(q.error);
    }
  }
  if (!has_counter_ && power_ == Power::kNone) {
    throw util::Error(fmt::format("GPU {} ({}): no energy counter ({}) and no power reading ({})", index,
                                  status_.device, counter_error_, fmt::join(probe_notes_, "; ")),
                      util::ErrorKind::kUnavailable);
  }
  status_.available = true;
}

Reading NvmlMeter::energy_joules() {
  const auto& api = lib_->api();
  if (api.device_get_total_energy_consumption == nullptr) {
    return Reading::fail("nvmlDeviceGetTotalEnergyConsumption: not exported by the NVML library");
  }
  unsigned long long mj = 0;
  if (nvml::Return rc = api.device_get_total_energy_consumption(device_, &mj); rc != nvml::kSuccess) {
    return Reading::fail(lib_->failure("nvmlDeviceGetTotalEnergyConsumption", rc));
  }
  return Reading::ok(static_cast<double>(mj) / 1000.0);
}

Reading NvmlMeter::read_instant_field() {
  const auto& api = lib_->api();
  if (api.device_get_field_values == nullptr) {
    return Reading::fail("nvmlDeviceGetFieldValues: not exported by the NVML library");
  }
  nvml::FieldValue f{};
  f.fieldId = nvml::kFieldPowerInstant;
  f.scopeId = 0;  // GPU power scope
  if (nvml::Return rc = api.device_get_field_values(device_, 1, &f); rc != nvml::kSuccess) {
    return Reading::fail(lib_->failure("nvmlDeviceGetFieldValues", rc));
  }
  if (f.nvmlReturn != nvml::kSuccess) {
    return Reading::fail(lib_->failure("nvmlDeviceGetFieldValues(NVML_FI_DEV_POWER_INSTANT)", f.nvmlReturn));
  }
  auto mw = field_as_double(f);
  if (!mw) return Reading::fail(fmt::format("NVML_FI_DEV_POWER_INSTANT: unexpected value type {}", f.valueType));
  return Reading::ok(*mw / 1000.0);
}

Reading NvmlMeter::read_power_usage() {
  const auto& api = lib_->api();
  if (api.device_get_power_usage == nullptr) return Reading::fail("nvmlDeviceGetPowerUsage: not exported");
  unsigned mw = 0;
  if (nvml::Return rc = api.device_get_power_usage(device_, &mw); rc != nvml::kSuccess) {
    return Reading::fail(lib_->failure("nvmlDeviceGetPowerUsage", rc));
  }
  return Reading::ok(mw / 1000.0);
}

Reading NvmlMeter::power_watts() {
  switch (power_) {
    case Power::kInstantField:
      return read_instant_field();
    case Power::kPowerUsage:
      return read_power_usage();
    case Power::kNone:
      break;
  }
  return Reading::fail("no power reading on this GPU");
}

std::optional<double> NvmlMeter::temperature_c() {
  const auto& api = lib_->api();
  if (api.device_get_temperature == nullptr) return std::nullopt;
  unsigned c = 0;
  if (api.device_get_temperature(device_, nvml::kTemperatureGpu, &c) != nvml::kSuccess) return std::nullopt;
  return static_cast<double>(c);
}

std::string NvmlMeter::power_description() const {
  switch (power_) {
    case Power::kInstantField:
      return "instant (NVML_FI_DEV_POWER_INSTANT)";
    case Power::kPowerUsage:
      return "nvmlDeviceGetPowerUsage (1 s moving average on Ampere and newer)";
    case Power::kNone:
      break;
  }
  return "none";
}

nlohmann::json NvmlMeter::info() {
  const auto& api = lib_->api();
  nlohmann::json j;
  nlohmann::json errors = nlohmann::json::object();
  j["index"] = index_;
  j["name"] = status_.device;
  j["uuid"] = uuid_;
  j["pci_bus_id"] = pci_bus_id_.empty() ? nlohmann::json() : nlohmann::json(pci_bus_id_);
  if (api.device_get_memory_info != nullptr) {
    nvml::Memory mem{};
    if (nvml::Return rc = api.device_get_memory_info(device_, &mem); rc == nvml::kSuccess) {
      j["memory_total_bytes"] = mem.total;
    } else {
      j["memory_total_bytes"] = nullptr;
      errors["memory_total_bytes"] = lib_->failure("nvmlDeviceGetMemoryInfo", rc);
    }
  }
  j["energy_counter"] = has_counter_;
  if (!has_counter_) errors["energy_counter"] = counter_error_;
  j["power_source"] = power_description();

  // Reads one unsigned quantity; null and an error entry when the call fails.
  auto read_uint = [&](const char* key, const char* function, nvml::DeviceGetUIntFn fn, double scale) {
    if (fn == nullptr) {
      j[key] = nullptr;
      errors[key] = fmt::format("{}: not exported by the NVML library", function);
      return;
    }
    unsigned v = 0;
    if (nvml::Return rc = fn(device_, &v); rc != nvml::kSuccess) {
      j[key] = nullptr;
      errors[key] = lib_->failure(function, rc);
      return;
    }
    j[key] = v * scale;
  };
  if (api.device_get_architecture != nullptr) {
    unsigned arch = 0;
    if (nvml::Return rc = api.device_get_architecture(device_, &arch); rc == nvml::kSuccess) {
      j["architecture"] = architecture_name(arch);
    } else {
      j["architecture"] = nullptr;
      errors["architecture"] = lib_->failure("nvmlDeviceGetArchitecture", rc);
    }
  }
  read_uint("power_limit_w", "nvmlDeviceGetPowerManagementLimit", api.device_get_power_management_limit, 1e-3);
  read_uint("power_limit_default_w", "nvmlDeviceGetPowerManagementDefaultLimit",
            api.device_get_power_management_default_limit, 1e-3);
  read_uint("power_limit_enforced_w", "nvmlDeviceGetEnforcedPowerLimit", api.device_get_enforced_power_limit, 1e-3);
  if (api.device_get_power_management_limit_constraints != nullptr) {
    unsigned lo = 0, hi = 0;
    if (nvml::Return rc = api.device_get_power_management_limit_constraints(device_, &lo, &hi); rc == nvml::kSuccess) {
      j["power_limit_min_w"] = lo * 1e-3;
      j["power_limit_max_w"] = hi * 1e-3;
    } else {
      j["power_limit_min_w"] = nullptr;
      j["power_limit_max_w"] = nullptr;
      errors["power_limit_min_max_w"] = lib_->failure("nvmlDeviceGetPowerManagementLimitConstraints", rc);
    }
  }
  auto clock = [&](const char* key, unsigned type) {
    if (api.device_get_clock_info == nullptr) return;
    unsigned mhz = 0;
    if (nvml::Return rc = api.device_get_clock_info(device_, type, &mhz); rc == nvml::kSuccess) {
      j[key] = mhz;
    } else {
      j[key] = nullptr;
      errors[key] = lib_->failure("nvmlDeviceGetClockInfo", rc);
    }
  };
  clock("sm_clock_mhz", nvml::kClockSm);
  clock("mem_clock_mhz", nvml::kClockMem);
  if (api.device_get_temperature != nullptr) {
    unsigned c = 0;
    if (nvml::Return rc = api.device_get_temperature(device_, nvml::kTemperatureGpu, &c); rc == nvml::kSuccess) {
      j["temperature_c"] = c;
    } else {
      j["temperature_c"] = nullptr;
      errors["temperature_c"] = lib_->failure("nvmlDeviceGetTemperature", rc);
    }
  }
  if (api.device_get_persistence_mode != nullptr) {
    int mode = 0;
    if (nvml::Return rc = api.device_get_persistence_mode(device_, &mode); rc == nvml::kSuccess) {
      j["persistence_mode"] = mode != 0;
    } else {
      j["persistence_mode"] = nullptr;
      errors["persistence_mode"] = lib_->failure("nvmlDeviceGetPersistenceMode", rc);
    }
  }
  if (!probe_notes_.empty()) j["probe_notes"] = probe_notes_;
  if (!errors.empty()) j["errors"] = errors;
  return j;
}

std::vector<std::unique_ptr<Meter>> open_nvml_meters(const std::string& library_path) {
  std::vector<std::unique_ptr<Meter>> meters;
  std::shared_ptr<NvmlLibrary> lib;
  try {
    lib = std::make_shared<NvmlLibrary>(NvmlLibrary::resolve_path(library_path));
  } catch (const util::Error& e) {
    meters.push_back(std::make_unique<UnavailableMeter>("nvml", "gpu", e.what()));
    return meters;
  }
  unsigned count = 0;
  if (nvml::Return rc = lib->api().device_get_count(&count); rc != nvml::kSuccess) {
    meters.push_back(std::make_unique<UnavailableMeter>("nvml", "gpu", lib->failure("nvmlDeviceGetCount_v2", rc)));
    return meters;
  }
  if (count == 0) {
    meters.push_back(std::make_unique<UnavailableMeter>("nvml", "gpu", "NVML reports no NVIDIA GPU"));
    return meters;
  }
  for (unsigned i = 0; i < count; ++i) {
    try {
      meters.push_back(std::make_unique<NvmlMeter>(lib, i));
    } catch (const util::Error& e) {
      meters.push_back(std::make_unique<UnavailableMeter>(fmt::format("nvml:{}", i), "gpu", e.what()));
    }
  }
  return meters;
}

}  // namespace jouleval::energy
