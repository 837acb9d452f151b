// Facts about the machine the engine runs on: physical cores, available host memory, and the GPU
// devices llama.cpp sees with their free memory (for placement checks before loading a model).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace jouleval::engine {

// Physical CPU cores (distinct core ids in /proc/cpuinfo), else std::thread::hardware_concurrency().
int32_t physical_cores();

// MemAvailable from /proc/meminfo in bytes; 0 when it cannot be read.
uint64_t available_host_memory();

struct GpuDevice {
  std::string name;
  std::string description;
  uint64_t free_bytes = 0;
  uint64_t total_bytes = 0;
};

// GPU (and integrated GPU) devices registered with ggml; empty in a CPU-only build.
std::vector<GpuDevice> gpu_devices();

// Bytes in use on all GPU devices (total - free), summed; 0 without GPUs.
uint64_t gpu_memory_in_use();

std::string format_bytes(uint64_t bytes);

}  // namespace jouleval::engine
