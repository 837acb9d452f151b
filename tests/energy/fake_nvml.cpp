// A stand-in for libnvidia-ml.so.1, built as a shared library for the tests: it exports the NVML
// entry points jouleval uses and plays back values from a script named by $JOULEVAL_FAKE_NVML_SCRIPT.
//
// Script: one "key value..." per line; "#" starts a comment; a key prefixed "gpuN." applies to GPU N
// only, otherwise to every GPU. Sequences (energy_mj, power_mw, usage_mw, temp_c) return their next
// value on each call and repeat the last; a value "E<code>" makes that call return NVML error <code>.
//   devices N | init_error CODE | driver TEXT | cuda N (e.g. 12040) | name TEXT | uuid TEXT | arch N
//   energy_mj V... | power_mw V... | usage_mw V... | temp_c V... | field_error CODE
//   sm_clock N | mem_clock N | limit_mw N | default_limit_mw N | min_limit_mw N | max_limit_mw N
//   enforced_limit_mw N | persistence 0|1 | fail FUNCTION CODE
//   pci DOMAIN:BUS:DEVICE.FUNCTION (hex; default 0000:<0x10 + N>:00.0) | memory_bytes N
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "energy/nvml_api.h"

namespace {

using jouleval::energy::nvml::FieldValue;
using jouleval::energy::nvml::Return;

struct Sequence {
  std::vector<std::string> values;
  size_t next = 0;
  // The next value; returns the NVML error code of an "E<code>" entry, 0 otherwise.
  Return take(double& out) {
    if (values.empty()) return 3;  // NVML_ERROR_NOT_SUPPORTED
    const std::string& v = values[std::min(next, values.size() - 1)];
    if (next < values.size()) ++next;
    if (!v.empty() && v[0] == 'E') return std::atoi(v.c_str() + 1);
    out = std::strtod(v.c_str(), nullptr);
    return 0;
  }
};

struct FakeDevice {
  std::map<std::string, std::string> settings;
  std::map<std::string, Sequence> sequences;
  std::map<std::string, Return> failures;
  std::string get(const std::string& key, const std::string& fallback) const {
    auto it = settings.find(key);
    return it == settings.end() ? fallback : it->second;
  }
  unsigned get_uint(const std::string& key, unsigned fallback) const {
    auto it = settings.find(key);
    return it == settings.end() ? fallback : static_cast<unsigned>(std::strtoul(it->second.c_str(), nullptr, 10));
  }
  Return failure(const char* fn) const {
    auto it = failures.find(fn);
    return it == failures.end() ? 0 : it->second;
  }
};

struct FakeState {
  std::map<std::string, std::string> system;
  std::vector<FakeDevice> devices;
};

FakeState& state() {
  static FakeState s;  // the fake library's own playback state
  return s;
}

void load_script() {
  FakeState& s = state();
  s = FakeState{};
  std::vector<std::string> lines;
  if (const char* path = std::getenv("JOULEVAL_FAKE_NVML_SCRIPT")) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  unsigned count = 1;
  for (const auto& l : lines) {
    if (l.rfind("devices ", 0) == 0) count = static_cast<unsigned>(std::atoi(l.c_str() + 8));
  }
  s.devices.resize(count);
  for (auto line : lines) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream ss(line);
    std::string key;
    if (!(ss >> key)) continue;
    int only = -1;
    if (key.rfind("gpu", 0) == 0 && key.find('.') != std::string::npos) {
      only = std::atoi(key.c_str() + 3);
      key = key.substr(key.find('.') + 1);
    }
    std::string rest;
    std::getline(ss, rest);
    rest.erase(0, rest.find_first_not_of(' '));
    if (key == "init_error" || key == "driver" || key == "cuda" || key == "devices") {
      s.system[key] = rest;
      continue;
    }
    for (unsigned i = 0; i < count; ++i) {
      if (only >= 0 && static_cast<unsigned>(only) != i) continue;
      FakeDevice& d = s.devices[i];
      if (key == "energy_mj" || key == "power_mw" || key == "usage_mw" || key == "temp_c") {
        std::istringstream vs(rest);
        Sequence seq;
        for (std::string v; vs >> v;) seq.values.push_back(v);
        d.sequences[key] = seq;
      } else if (key == "fail") {
        std::istringstream fs(rest);
        std::string fn;
        Return code = 0;
        fs >> fn >> code;
        d.failures[fn] = code;
      } else {
        d.settings[key] = rest;
      }
    }
  }
}

FakeDevice* device_of(jouleval::energy::nvml::Device h) { return reinterpret_cast<FakeDevice*>(h); }

Return copy_string(const std::string& text, char* buf, unsigned len) {
  if (text.size() + 1 > len) return 7;  // NVML_ERROR_INSUFFICIENT_SIZE
  std::memcpy(buf, text.c_str(), text.size() + 1);
  return 0;
}

}  // namespace

extern "C" {

Return nvmlInit_v2() {
  load_script();
  auto it = state().system.find("init_error");
  return it == state().system.end() ? 0 : std::atoi(it->second.c_str());
}

Return nvmlShutdown() { return 0; }

const char* nvmlErrorString(Return code) {
  switch (code) {
    case 0:
      return "Success";
    case 3:
      return "Not Supported";
    case 4:
      return "Insufficient Permissions";
    case 9:
      return "Driver Not Loaded";
    case 15:
      return "GPU is lost";
    default:
      return "Unknown Error";
  }
}

Return nvmlSystemGetDriverVersion(char* buf, unsigned len) {
  auto it = state().system.find("driver");
  return copy_string(it == state().system.end() ? "999.99" : it->second, buf, len);
}

Return nvmlSystemGetCudaDriverVersion_v2(int* v) {
  auto it = state().system.find("cuda");
  *v = it == state().system.end() ? 13000 : std::atoi(it->second.c_str());
  return 0;
}

Return nvmlDeviceGetCount_v2(unsigned* count) {
  *count = static_cast<unsigned>(state().devices.size());
  return 0;
}

Return nvmlDeviceGetHandleByIndex_v2(unsigned index, jouleval::energy::nvml::Device* handle) {
  if (index >= state().devices.size()) return 2;  // NVML_ERROR_INVALID_ARGUMENT
  if (Return f = state().devices[index].failure("nvmlDeviceGetHandleByIndex_v2")) return f;
  *handle = reinterpret_cast<jouleval::energy::nvml::Device>(&state().devices[index]);
  return 0;
}

Return nvmlDeviceGetName(jouleval::energy::nvml::Device h, char* buf, unsigned len) {
  if (Return f = device_of(h)->failure("nvmlDeviceGetName")) return f;
  return copy_string(device_of(h)->get("name", "Fake GPU"), buf, len);
}

Return nvmlDeviceGetUUID(jouleval::energy::nvml::Device h, char* buf, unsigned len) {
  if (Return f = device_of(h)->failure("nvmlDeviceGetUUID")) return f;
  const auto index = device_of(h) - state().devices.data();
  return copy_string(device_of(h)->get("uuid", "GPU-fake-" + std::to_string(index)), buf, len);
}

Return nvmlDeviceGetArchitecture(jouleval::energy::nvml::Device h, unsigned* arch) {
  if (Return f = device_of(h)->failure("nvmlDeviceGetArchitecture")) return f;
  *arch = device_of(h)->get_uint("arch", 9);
  return 0;
}

Return nvmlDeviceGetTotalEnergyConsumption(jouleval::energy::nvml::Device h, unsigned long long* mj) {
  if (Return f = device_of(h)->failure("nvmlDeviceGetTotalEnergyConsumption")) return f;
  double v = 0;
  if (Return r = device_of(h)->sequences["energy_mj"].take(v)) return r;
  *mj = static_cast<unsigned long long>(v);
  return 0;
}

Return nvmlDeviceGetPowerUsage(jouleval::energy::nvml::Device h, unsigned* mw) {
  if (Return f = device_of(h)->failure("nvmlDeviceGetPowerUsage")) return f;
  double v = 0;
  if (Return r = device_of(h)->sequences["usage_mw"].take(v)) return r;
  *mw = static_cast<unsigned>(v);
  return 0;
}

Return nvmlDeviceGetFieldValues(jouleval::energy::nvml::Device h, int count, FieldValue* values) {
  if (Return f = device_of(h)->failure("nvmlDeviceGetFieldValues")) return f;
  for (int i = 0; i < count; ++i) {
    FieldValue& fv = values[i];
    if (fv.fieldId != jouleval::energy::nvml::kFieldPowerInstant) {
      fv.nvmlReturn = 3;
      continue;
    }
    if (auto e = device_of(h)->get_uint("field_error", 0)) {
      fv.nvmlReturn = static_cast<Return>(e);
      continue;
    }
    double v = 0;
    fv.nvmlReturn = device_of(h)->sequences["power_mw"].take(v);
    fv.valueType = jouleval::energy::nvml::kUInt;
    fv.value.uiVal = static_cast<unsigned>(v);
  }
  return 0;
}

Return nvmlDeviceGetTemperature(jouleval::energy::nvml::Device h, unsigned sensor, unsigned* c) {
  if (Return f = device_of(h)->failure("nvmlDeviceGetTemperature")) return f;
  if (sensor != 0) return 2;
  double v = 0;
  if (Return r = device_of(h)->sequences["temp_c"].take(v)) return r;
  *c = static_cast<unsigned>(v);
  return 0;
}

Return nvmlDeviceGetClockInfo(jouleval::energy::nvml::Device h, unsigned type, unsigned* mhz) {
  if (Return f = device_of(h)->failure("nvmlDeviceGetClockInfo")) return f;
  *mhz = device_of(h)->get_uint(type == 1 ? "sm_clock" : "mem_clock", type == 1 ? 1980 : 2619);
  return 0;
}

Return nvmlDeviceGetPowerManagementLimit(jouleval::energy::nvml::Device h, unsigned* mw) {
  if (Return f = device_of(h)->failure("nvmlDeviceGetPowerManagementLimit")) return f;
  *mw = device_of(h)->get_uint("limit_mw", 700000);
  return 0;
}

Return nvmlDeviceGetPowerManagementDefaultLimit(jouleval::energy::nvml::Device h, unsigned* mw) {
  if (Return f = device_of(h)->failure("nvmlDeviceGetPowerManagementDefaultLimit")) return f;
  *mw = device_of(h)->get_uint("default_limit_mw", 700000);
  return 0;
}

Return nvmlDeviceGetPowerManagementLimitConstraints(jouleval::energy::nvml::Device h, unsigned* lo, unsigned* hi) {
  if (Return f = device_of(h)->failure("nvmlDeviceGetPowerManagementLimitConstraints")) return f;
  *lo = device_of(h)->get_uint("min_limit_mw", 200000);
  *hi = device_of(h)->get_uint("max_limit_mw", 700000);
  return 0;
}

Return nvmlDeviceGetEnforcedPowerLimit(jouleval::energy::nvml::Device h, unsigned* mw) {
  if (Return f = device_of(h)->failure("nvmlDeviceGetEnforcedPowerLimit")) return f;
  *mw = device_of(h)->get_uint("enforced_limit_mw", 700000);
  return 0;
}

Return nvmlDeviceGetPciInfo_v3(jouleval::energy::nvml::Device h, jouleval::energy::nvml::PciInfo* pci) {
  if (Return f = device_of(h)->failure("nvmlDeviceGetPciInfo_v3")) return f;
  const auto index = device_of(h) - state().devices.data();
  char fallback[32];
  std::snprintf(fallback, sizeof fallback, "0000:%02x:00.0", static_cast<unsigned>(0x10 + index));
  const std::string text = device_of(h)->get("pci", fallback);
  unsigned domain = 0, bus = 0, dev = 0, function = 0;
  if (std::sscanf(text.c_str(), "%x:%x:%x.%x", &domain, &bus, &dev, &function) != 4) return 999;
  *pci = {};
  std::snprintf(pci->busIdLegacy, sizeof pci->busIdLegacy, "%04X:%02X:%02X.%X", domain, bus, dev, function);
  std::snprintf(pci->busId, sizeof pci->busId, "%08X:%02X:%02X.%X", domain, bus, dev, function);
  pci->domain = domain;
  pci->bus = bus;
  pci->device = dev;
  return 0;
}

Return nvmlDeviceGetMemoryInfo(jouleval::energy::nvml::Device h, jouleval::energy::nvml::Memory* m) {
  if (Return f = device_of(h)->failure("nvmlDeviceGetMemoryInfo")) return f;
  const unsigned long long total =
      std::strtoull(device_of(h)->get("memory_bytes", "150754820096").c_str(), nullptr, 10);
  *m = {total, total, 0};
  return 0;
}

Return nvmlDeviceGetPersistenceMode(jouleval::energy::nvml::Device h, int* mode) {
  if (Return f = device_of(h)->failure("nvmlDeviceGetPersistenceMode")) return f;
  *mode = static_cast<int>(device_of(h)->get_uint("persistence", 1));
  return 0;
}

}  // extern "C"
