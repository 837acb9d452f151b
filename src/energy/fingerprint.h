// The machine a measurement ran on: host facts (CPU, memory, OS, kernel, hostname, versions) read
// from /proc, /etc and uname, and a stable machine id hashed from the identifying parts.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "results/records.h"

namespace jouleval::energy {

struct HostInfo {
  std::string hostname;
  std::string cpu_model;  // "unknown" when /proc/cpuinfo names none
  int cpu_cores = 0;      // logical CPUs
  unsigned long long memory_bytes = 0;
  std::string os;      // PRETTY_NAME of os-release
  std::string kernel;  // uname release
  std::string arch;    // uname machine
};

// Reads <root>/proc/cpuinfo, <root>/proc/meminfo and <root>/etc/os-release; hostname and kernel
// come from uname. `root` is "/" except in tests.
HostInfo read_host_info(const std::filesystem::path& root = "/");

// A stable 16-hex-digit id (FNV-1a 64) of hostname, CPU model and the sorted GPU UUIDs.
std::string machine_id(const std::string& hostname, const std::string& cpu_model, std::vector<std::string> gpu_uuids);

// Everything known about the machine, as stored with each result.
struct Fingerprint {
  nlohmann::json json;
  std::string machine_id;
  // The store's view: id, hostname, CPU model, first GPU name, and the JSON text.
  results::Machine machine() const;
};

nlohmann::json to_json(const HostInfo& host);

}  // namespace jouleval::energy
