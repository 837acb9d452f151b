// NVML loaded at run time: owns the dlopen handle and the nvmlInit/nvmlShutdown pair, resolves the
// entry points jouleval uses, and turns NVML return codes into messages that name the error.
#pragma once

#include <string>

#include "energy/nvml_api.h"

namespace jouleval::energy {

class NvmlLibrary {
 public:
  // The default library name, used when neither an explicit path nor $JOULEVAL_NVML_LIBRARY is given.
  static constexpr const char* kDefaultPath = "libnvidia-ml.so.1";
  static constexpr const char* kPathEnv = "JOULEVAL_NVML_LIBRARY";

  // Picks the library to load: `explicit_path` if set, else $JOULEVAL_NVML_LIBRARY, else the default.
  static std::string resolve_path(const std::string& explicit_path);

  // Loads the library and initialises NVML. Throws util::Error (kUnavailable) naming the library
  // and the cause (dlerror text, missing entry point, or the NVML error of nvmlInit_v2).
  explicit NvmlLibrary(const std::string& path);
  ~NvmlLibrary();
  NvmlLibrary(const NvmlLibrary&) = delete;
  NvmlLibrary& operator=(const NvmlLibrary&) = delete;

  const std::string& path() const { return path_; }

  // "NVML_ERROR_NO_PERMISSION (Insufficient Permissions)": the name, plus nvmlErrorString's text
  // when the library exports it.
  std::string describe(nvml::Return code) const;
  // "<function>: <describe(code)>", the form every failed call is reported in.
  std::string failure(const char* function, nvml::Return code) const;

  // Resolved entry points; optional ones are null when the library does not export them.
  struct Api {
    nvml::InitFn init = nullptr;
    nvml::ShutdownFn shutdown = nullptr;
    nvml::ErrorStringFn error_string = nullptr;
    nvml::SystemGetDriverVersionFn system_get_driver_version = nullptr;
    nvml::SystemGetCudaDriverVersionFn system_get_cuda_driver_version = nullptr;
    nvml::DeviceGetCountFn device_get_count = nullptr;
    nvml::DeviceGetHandleByIndexFn device_get_handle_by_index = nullptr;
    nvml::DeviceGetStringFn device_get_name = nullptr;
    nvml::DeviceGetStringFn device_get_uuid = nullptr;
    nvml::DeviceGetUIntFn device_get_architecture = nullptr;
    nvml::DeviceGetULongLongFn device_get_total_energy_consumption = nullptr;
    nvml::DeviceGetUIntFn device_get_power_usage = nullptr;
    nvml::DeviceGetFieldValuesFn device_get_field_values = nullptr;
    nvml::DeviceGetTemperatureFn device_get_temperature = nullptr;
    nvml::DeviceGetClockInfoFn device_get_clock_info = nullptr;
    nvml::DeviceGetUIntFn device_get_power_management_limit = nullptr;
    nvml::DeviceGetUIntFn device_get_power_management_default_limit = nullptr;
    nvml::DeviceGetLimitConstraintsFn device_get_power_management_limit_constraints = nullptr;
    nvml::DeviceGetUIntFn device_get_enforced_power_limit = nullptr;
    nvml::DeviceGetPersistenceModeFn device_get_persistence_mode = nullptr;
    nvml::DeviceGetPciInfoFn device_get_pci_info = nullptr;
    nvml::DeviceGetMemoryInfoFn device_get_memory_info = nullptr;
  };
  const Api& api() const { return api_; }

  // System-wide facts (empty when the call failed; the failure is kept in the errors).
  std::string driver_version() const;
  std::string cuda_driver_version() const;  // "13.0"

 private:
  void* symbol(const char* name, bool required);

  std::string path_;
  void* handle_ = nullptr;
  bool initialised_ = false;
  Api api_;
};

}  // namespace jouleval::energy
