#include "energy/nvml_library.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <array>
#include <cstdlib>
#include <utility>

#include "util/error.h"

namespace jouleval::energy {

namespace nvml {

const char* return_name(Return code) {
  static constexpr std::array<const char*, 31> kNames = {
      "NVML_SUCCESS",
      "NVML_ERROR_UNINITIALIZED",
      "NVML_ERROR_INVALID_ARGUMENT",
      "NVML_ERROR_NOT_SUPPORTED",
      "NVML_ERROR_NO_PERMISSION",
      "NVML_ERROR_ALREADY_INITIALIZED",
      "NVML_ERROR_NOT_FOUND",
      "NVML_ERROR_INSUFFICIENT_SIZE",
      "NVML_ERROR_INSUFFICIENT_POWER",
      "NVML_ERROR_DRIVER_NOT_LOADED",
      "NVML_ERROR_TIMEOUT",
      "NVML_ERROR_IRQ_ISSUE",
      "NVML_ERROR_LIBRARY_NOT_FOUND",
      "NVML_ERROR_FUNCTION_NOT_FOUND",
      "NVML_ERROR_CORRUPTED_INFOROM",
      "NVML_ERROR_GPU_IS_LOST",
      "NVML_ERROR_RESET_REQUIRED",
      "NVML_ERROR_OPERATING_SYSTEM",
      "NVML_ERROR_LIB_RM_VERSION_MISMATCH",
      "NVML_ERROR_IN_USE",
      "NVML_ERROR_MEMORY",
      "NVML_ERROR_NO_DATA",
      "NVML_ERROR_VGPU_ECC_NOT_SUPPORTED",
      "NVML_ERROR_INSUFFICIENT_RESOURCES",
      "NVML_ERROR_FREQ_NOT_SUPPORTED",
      "NVML_ERROR_ARGUMENT_VERSION_MISMATCH",
      "NVML_ERROR_DEPRECATED",
      "NVML_ERROR_NOT_READY",
      "NVML_ERROR_GPU_NOT_FOUND",
      "NVML_ERROR_INVALID_STATE",
      "NVML_ERROR_RESET_TYPE_NOT_SUPPORTED",
  };
  if (code >= 0 && static_cast<size_t>(code) < kNames.size()) return kNames[static_cast<size_t>(code)];
  if (code == kErrorUnknown) return "NVML_ERROR_UNKNOWN";
  return "NVML_ERROR_(unrecognised code)";
}

}  // namespace nvml

std::string NvmlLibrary::resolve_path(const std::string& explicit_path) {
  if (!explicit_path.empty()) return explicit_path;
  if (const char* env = std::getenv(kPathEnv); env != nullptr && *env != '\0') return env;
  return kDefaultPath;
}

NvmlLibrary::NvmlLibrary(const std::string& path) : path_(path) {
  // dlopen would block on a FIFO and read a device without end: a path must name a regular file.
  struct stat st {};
  if (path.find('/') != std::string::npos && ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    throw util::Error(fmt::format("cannot load NVML library {}: not a regular file", path),
                      util::ErrorKind::kUnavailable);
  }
  handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle_ == nullptr) {
    const char* why = dlerror();
    throw util::Error(fmt::format("cannot load NVML library {}: {}", path, why ? why : "unknown dlopen error"),
                      util::ErrorKind::kUnavailable);
  }
  try {
    auto& a = api_;
    a.init = reinterpret_cast<nvml::InitFn>(symbol("nvmlInit_v2", true));
    a.shutdown = reinterpret_cast<nvml::ShutdownFn>(symbol("nvmlShutdown", true));
    a.device_get_count = reinterpret_cast<nvml::DeviceGetCountFn>(symbol("nvmlDeviceGetCount_v2", true));
    a.device_get_handle_by_index =
        reinterpret_cast<nvml::DeviceGetHandleByIndexFn>(symbol("nvmlDeviceGetHandleByIndex_v2", true));
    a.error_string = reinterpret_cast<nvml::ErrorStringFn>(symbol("nvmlErrorString", false));
    a.system_get_driver_version =
        reinterpret_cast<nvml::SystemGetDriverVersionFn>(symbol("nvmlSystemGetDriverVersion", false));
    a.system_get_cuda_driver_version =
        reinterpret_cast<nvml::SystemGetCudaDriverVersionFn>(symbol("nvmlSystemGetCudaDriverVersion_v2", false));
    a.device_get_name = reinterpret_cast<nvml::DeviceGetStringFn>(symbol("nvmlDeviceGetName", false));
    a.device_get_uuid = reinterpret_cast<nvml::DeviceGetStringFn>(symbol("nvmlDeviceGetUUID", false));
    a.device_get_architecture = reinterpret_cast<nvml::DeviceGetUIntFn>(symbol("nvmlDeviceGetArchitecture", false));
    a.device_get_total_energy_consumption =
        reinterpret_cast<nvml::DeviceGetULongLongFn>(symbol("nvmlDeviceGetTotalEnergyConsumption", false));
    a.device_get_power_usage = reinterpret_cast<nvml::DeviceGetUIntFn>(symbol("nvmlDeviceGetPowerUsage", false));
    a.device_get_field_values =
        reinterpret_cast<nvml::DeviceGetFieldValuesFn>(symbol("nvmlDeviceGetFieldValues", false));
    a.device_get_temperature =
        reinterpret_cast<nvml::DeviceGetTemperatureFn>(symbol("nvmlDeviceGetTemperature", false));
    a.device_get_clock_info = reinterpret_cast<nvml::DeviceGetClockInfoFn>(symbol("nvmlDeviceGetClockInfo", false));
    a.device_get_power_management_limit =
        reinterpret_cast<nvml::DeviceGetUIntFn>(symbol("nvmlDeviceGetPowerManagementLimit", false));
    a.device_get_power_management_default_limit =
        reinterpret_cast<nvml::DeviceGetUIntFn>(symbol("nvmlDeviceGetPowerManagementDefaultLimit", false));
    a.device_get_power_management_limit_constraints = reinterpret_cast<nvml::DeviceGetLimitConstraintsFn>(
        symbol("nvmlDeviceGetPowerManagementLimitConstraints", false));
    a.device_get_enforced_power_limit =
        reinterpret_cast<nvml::DeviceGetUIntFn>(symbol("nvmlDeviceGetEnforcedPowerLimit", false));
    a.device_get_persistence_mode =
        reinterpret_cast<nvml::DeviceGetPersistenceModeFn>(symbol("nvmlDeviceGetPersistenceMode", false));
    a.device_get_pci_info = reinterpret_cast<nvml::DeviceGetPciInfoFn>(symbol("nvmlDeviceGetPciInfo_v3", false));
    a.device_get_memory_info = reinterpret_cast<nvml::DeviceGetMemoryInfoFn>(symbol("nvmlDeviceGetMemoryInfo", false));

    if (nvml::Return rc = a.init(); rc != nvml::kSuccess) {
      throw util::Error(fmt::format("NVML library {}: {}", path, failure("nvmlInit_v2", rc)),
                        util::ErrorKind::kUnavailable);
    }
    initialised_ = true;
  } catch (...) {
    dlclose(handle_);
    handle_ = nullptr;
    throw;
  }
}

NvmlLibrary::~NvmlLibrary() {
  if (initialised_) api_.shutdown();  // nothing useful to do with a failed shutdown at teardown
  if (handle_ != nullptr) dlclose(handle_);
}

void* NvmlLibrary::symbol(const char* name, bool required) {
  dlerror();
  void* p = dlsym(handle_, name);
  if (p == nullptr && required) {
    throw util::Error(fmt::format("NVML library {} does not export {}", path_, name), util::ErrorKind::kUnavailable);
  }
  return p;
}

std::string NvmlLibrary::describe(nvml::Return code) const {
  std::string text = nvml::return_name(code);
  if (code == nvml::kErrorFunctionNotFound && api_.error_string == nullptr) return text;
  if (api_.error_string != nullptr) {
    if (const char* s = api_.error_string(code); s != nullptr && *s != '\0') text += fmt::format(" ({})", s);
  }
  return text;
}

std::string NvmlLibrary::failure(const char* function, nvml::Return code) const {
  return fmt::format("{}: {}", function, describe(code));
}

std::string NvmlLibrary::driver_version() const {
  if (api_.system_get_driver_version == nullptr) return {};
  std::array<char, nvml::kDriverBufferSize> buf{};
  if (api_.system_get_driver_version(buf.data(), buf.size()) != nvml::kSuccess) return {};
  return buf.data();
}

std::string NvmlLibrary::cuda_driver_version() const {
  if (api_.system_get_cuda_driver_version == nullptr) return {};
  int v = 0;
  if (api_.system_get_cuda_driver_version(&v) != nvml::kSuccess) return {};
  return fmt::format("{}.{}", v / 1000, (v % 1000) / 10);
}

}  // namespace jouleval::energy
