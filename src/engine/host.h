// Facts about the machine the engine runs on: physical cores, available host memory, and the GPU
// devices llama.cpp sees with their free memory (for placement checks before loading a model).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct ggml_backend_device;  // ggml-backend.h

namespace jouleval::engine {

// Physical CPU cores (distinct core ids in /proc/cpuinfo), else std::thread::hardware_concurrency().
int32_t physical_cores();

// MemAvailable from /proc/meminfo in bytes; 0 when it cannot be read.
uint64_t available_host_memory();

struct GpuDevice {
  int32_t index = 0;  // position among the GPUs llama.cpp sees (CUDA's order of the visible GPUs)
  std::string name;   // ggml's device name, "CUDA0"
  std::string description;
  std::string device_id;  // PCI bus id, "0000:c1:00.0" (ggml's device id); "" when unknown
  uint64_t free_bytes = 0;
  uint64_t total_bytes = 0;
};

// The GPUs llama.cpp offloads to by default, in its order: the discrete GPUs registered with ggml
// (one per device id: a GPU seen by two backends once; RPC servers left out), else the integrated
// ones. Empty in a CPU-only build.
std::vector<GpuDevice> gpu_devices();
// The ggml devices of gpu_devices(), in the same order.
std::vector<ggml_backend_device*> gpu_device_handles();

// Bytes in use on all GPU devices (total - free), summed; 0 without GPUs.
uint64_t gpu_memory_in_use();

std::string format_bytes(uint64_t bytes);

// "0 = CUDA0 (NVIDIA H200, 0000:19:00.0), 1 = CUDA1 (...)", or "none".
std::string describe_gpus(const std::vector<GpuDevice>& gpus);

}  // namespace jouleval::engine
