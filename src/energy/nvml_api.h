// The small part of the NVML C API that jouleval uses, declared here so that no nvml.h is needed
// to build: types, constants and the function-pointer types resolved with dlsym at run time.
#pragma once

#include <cstdint>

namespace jouleval::energy::nvml {

using Return = int;                   // nvmlReturn_t
using Device = struct DeviceOpaque*;  // nvmlDevice_t

inline constexpr Return kSuccess = 0;
inline constexpr Return kErrorNotSupported = 3;
inline constexpr Return kErrorFunctionNotFound = 13;
inline constexpr Return kErrorUnknown = 999;

inline constexpr unsigned kFieldPowerInstant = 186;  // NVML_FI_DEV_POWER_INSTANT (milliwatts)
inline constexpr unsigned kTemperatureGpu = 0;       // NVML_TEMPERATURE_GPU
inline constexpr unsigned kClockSm = 1;              // NVML_CLOCK_SM
inline constexpr unsigned kClockMem = 2;             // NVML_CLOCK_MEM
inline constexpr unsigned kNameBufferSize = 96;      // NVML_DEVICE_NAME_V2_BUFFER_SIZE
inline constexpr unsigned kUuidBufferSize = 96;      // NVML_DEVICE_UUID_V2_BUFFER_SIZE
inline constexpr unsigned kDriverBufferSize = 80;    // NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE

// nvmlValueType_t
enum ValueType : int { kDouble = 0, kUInt = 1, kULong = 2, kULongLong = 3, kSLongLong = 4, kSInt = 5, kUShort = 6 };

// nvmlValue_t
union Value {
  double dVal;
  int siVal;
  unsigned int uiVal;
  unsigned long ulVal;
  unsigned long long ullVal;
  long long sllVal;
  unsigned short usVal;
};

// nvmlFieldValue_t
struct FieldValue {
  unsigned int fieldId;
  unsigned int scopeId;
  long long timestamp;  // microseconds since 1970
  long long latencyUsec;
  int valueType;  // ValueType
  Return nvmlReturn;
  Value value;
};

// nvmlPciInfo_t (the layout of nvmlDeviceGetPciInfo_v3).
struct PciInfo {
  char busIdLegacy[16];  // "0000:19:00.0"
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pciDeviceId;
  unsigned int pciSubSystemId;
  char busId[32];  // "00000000:19:00.0"
};

// nvmlMemory_t (nvmlDeviceGetMemoryInfo), bytes.
struct Memory {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

// Function-pointer types of the entry points (names are the exported symbols).
using InitFn = Return (*)();                                                   // nvmlInit_v2
using ShutdownFn = Return (*)();                                               // nvmlShutdown
using ErrorStringFn = const char* (*)(Return);                                 // nvmlErrorString
using SystemGetDriverVersionFn = Return (*)(char*, unsigned);                  // nvmlSystemGetDriverVersion
using SystemGetCudaDriverVersionFn = Return (*)(int*);                         // nvmlSystemGetCudaDriverVersion_v2
using DeviceGetCountFn = Return (*)(unsigned*);                                // nvmlDeviceGetCount_v2
using DeviceGetHandleByIndexFn = Return (*)(unsigned, Device*);                // nvmlDeviceGetHandleByIndex_v2
using DeviceGetStringFn = Return (*)(Device, char*, unsigned);                 // nvmlDeviceGetName / GetUUID
using DeviceGetUIntFn = Return (*)(Device, unsigned*);                         // power usage, limits, arch
using DeviceGetULongLongFn = Return (*)(Device, unsigned long long*);          // total energy (mJ)
using DeviceGetTemperatureFn = Return (*)(Device, unsigned, unsigned*);        // sensor -> degrees C
using DeviceGetClockInfoFn = Return (*)(Device, unsigned, unsigned*);          // clock type -> MHz
using DeviceGetLimitConstraintsFn = Return (*)(Device, unsigned*, unsigned*);  // min, max (mW)
using DeviceGetPersistenceModeFn = Return (*)(Device, int*);                   // nvmlEnableState_t
using DeviceGetFieldValuesFn = Return (*)(Device, int, FieldValue*);
using DeviceGetPciInfoFn = Return (*)(Device, PciInfo*);    // nvmlDeviceGetPciInfo_v3
using DeviceGetMemoryInfoFn = Return (*)(Device, Memory*);  // nvmlDeviceGetMemoryInfo

// The symbolic name of an NVML return code ("NVML_ERROR_NOT_SUPPORTED"), from NVML's own table.
const char* return_name(Return code);

}  // namespace jouleval::energy::nvml
