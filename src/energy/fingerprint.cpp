#include "energy/fingerprint.h"
#include "util/json_text.h"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <thread>

namespace jouleval::energy {

namespace fs = std::filesystem;

namespace {

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\"'");
  const auto last = s.find_last_not_of(" \t\"'\r\n");
  if (first == std::string::npos) return {};
  return s.substr(first, last - first + 1);
}

// The value after "key<sep>" on the first matching line of a file.
std::string value_of(const fs::path& file, const std::string& key, char sep) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const auto pos = line.find(sep);
    if (pos == std::string::npos) continue;
    if (trim(line.substr(0, pos)) == key) return trim(line.substr(pos + 1));
  }
  return {};
}

}  // namespace

HostInfo read_host_info(const fs::path& root) {
  HostInfo h;
  const fs::path cpuinfo = root / "proc/cpuinfo";
  h.cpu_model = value_of(cpuinfo, "model name", ':');
  if (h.cpu_model.empty()) h.cpu_model = value_of(cpuinfo, "Model", ':');
  if (h.cpu_model.empty()) h.cpu_model = "unknown";
  {
    std::ifstream in(cpuinfo);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("processor", 0) == 0) ++h.cpu_cores;
    }
  }
  if (h.cpu_cores == 0) h.cpu_cores = static_cast<int>(std::thread::hardware_concurrency());
  if (std::string mem = value_of(root / "proc/meminfo", "MemTotal", ':'); !mem.empty()) {
    try {
      h.memory_bytes = std::stoull(mem) * 1024ULL;  // "123456 kB"
    } catch (const std::exception&) {
    }
  }
  h.os = value_of(root / "etc/os-release", "PRETTY_NAME", '=');
  utsname u{};
  if (uname(&u) == 0) {
    h.kernel = u.release;
    h.arch = u.machine;
    h.hostname = u.nodename;
  }
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') h.hostname = host;
  return h;
}

std::string machine_id(const std::string& hostname, const std::string& cpu_model, std::vector<std::string> gpu_uuids) {
  std::sort(gpu_uuids.begin(), gpu_uuids.end());
  std::string text = hostname + "\n" + cpu_model;
  for (const auto& u : gpu_uuids) text += "\n" + u;
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

nlohmann::json to_json(const HostInfo& host) {
  return {{"hostname", host.hostname},
          {"cpu_model", host.cpu_model},
          {"cpu_cores", host.cpu_cores},
          {"memory_bytes", host.memory_bytes},
          {"os", host.os},
          {"kernel", host.kernel},
          {"arch", host.arch}};
}

results::Machine Fingerprint::machine() const {
  results::Machine m;
  m.id = machine_id;
  m.hostname = json.value("/host/hostname"_json_pointer, std::string());
  m.cpu_model = json.value("/host/cpu_model"_json_pointer, std::string());
  if (json.contains("gpus") && !json["gpus"].empty()) m.gpu_name = json["gpus"][0].value("name", std::string());
  m.fingerprint_json = util::json_text(json);
  return m;
}

}  // namespace jouleval::energy
