#include "engine/host.h"

#include <fmt/format.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include "engine/backend.h"
#include "ggml-backend.h"

namespace jouleval::engine {

int32_t physical_cores() {
  std::ifstream in("/proc/cpuinfo");
  std::set<std::pair<int, int>> cores;
  int physical_id = 0;
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
    const std::string value = line.substr(colon + 1);
    if (key == "physical id") physical_id = std::atoi(value.c_str());
    if (key == "core id") cores.emplace(physical_id, std::atoi(value.c_str()));
  }
  if (!cores.empty()) return static_cast<int32_t>(cores.size());
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int32_t>(n);
}

uint64_t available_host_memory() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t value = 0;
  std::string unit;
  while (in >> key >> value) {
    std::getline(in, unit);
    if (key == "MemAvailable:") return value * 1024;
  }
  return 0;
}

// llama.cpp's default device list (llama_prepare_model_devices): discrete GPUs, one per device id,
// not RPC servers; the integrated GPUs of one backend when there is no discrete GPU.
std::vector<ggml_backend_dev_t> gpu_device_handles() {
  ensure_backend();
  std::vector<ggml_backend_dev_t> gpus;
  std::vector<ggml_backend_dev_t> igpus;
  std::set<std::string> ids;
  for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
    ggml_backend_dev_t dev = ggml_backend_dev_get(i);
    const auto type = ggml_backend_dev_type(dev);
    if (type == GGML_BACKEND_DEVICE_TYPE_GPU) {
      if (std::string(ggml_backend_reg_name(ggml_backend_dev_backend_reg(dev))) == "RPC") continue;
      ggml_backend_dev_props props{};
      ggml_backend_dev_get_props(dev, &props);
      if (props.device_id != nullptr && !ids.insert(props.device_id).second) continue;
      gpus.push_back(dev);
    } else if (type == GGML_BACKEND_DEVICE_TYPE_IGPU) {
      if (igpus.empty() || ggml_backend_dev_backend_reg(dev) == ggml_backend_dev_backend_reg(igpus.back()))
        igpus.push_back(dev);
    }
  }
  return gpus.empty() ? igpus : gpus;
}

std::vector<GpuDevice> gpu_devices() {
  std::vector<GpuDevice> out;
  for (ggml_backend_dev_t dev : gpu_device_handles()) {
    GpuDevice d;
    d.index = static_cast<int32_t>(out.size());
    d.name = ggml_backend_dev_name(dev);
    d.description = ggml_backend_dev_description(dev);
    ggml_backend_dev_props props{};
    ggml_backend_dev_get_props(dev, &props);
    if (props.device_id != nullptr) d.device_id = props.device_id;
    size_t free = 0, total = 0;
    ggml_backend_dev_memory(dev, &free, &total);
    d.free_bytes = free;
    d.total_bytes = total;
    out.push_back(std::move(d));
  }
  return out;
}

uint64_t gpu_memory_in_use() {
  uint64_t used = 0;
  for (const auto& d : gpu_devices()) used += d.total_bytes > d.free_bytes ? d.total_bytes - d.free_bytes : 0;
  return used;
}

std::string describe_gpus(const std::vector<GpuDevice>& gpus) {
  if (gpus.empty()) return "none";
  std::string out;
  for (const auto& g : gpus) {
    out += fmt::format("{}{} = {} ({}{}{})", out.empty() ? "" : ", ", g.index, g.name, g.description,
                       g.device_id.empty() ? "" : ", ", g.device_id);
  }
  return out;
}

std::string format_bytes(uint64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024 * 1024) return fmt::format("{:.2f} GiB", b / (1024.0 * 1024 * 1024));
  if (b >= 1024.0 * 1024) return fmt::format("{:.1f} MiB", b / (1024.0 * 1024));
  return fmt::format("{:.0f} KiB", b / 1024.0);
}

}  // namespace jouleval::engine
