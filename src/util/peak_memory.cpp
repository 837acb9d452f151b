#include "util/peak_memory.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <string>

#include "util/unique_fd.h"

namespace jouleval::util {

std::optional<uint64_t> read_vm_hwm(const std::filesystem::path& status_file) {
  std::ifstream in(status_file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) != 0) continue;
    // "VmHWM:\t  123456 kB"
    size_t pos = line.find_first_not_of(" \t", 6);
    if (pos == std::string::npos) return std::nullopt;
    uint64_t kib = 0;
    const char* end = line.data() + line.size();
    const auto [ptr, ec] = std::from_chars(line.data() + pos, end, kib);
    if (ec != std::errc() || std::string(ptr, end).find("kB") == std::string::npos) return std::nullopt;
    if (kib > UINT64_MAX / 1024) return std::nullopt;
    return kib * 1024;
  }
  return std::nullopt;
}

PeakRssWindow::PeakRssWindow(const std::filesystem::path& proc_self) : proc_self_(proc_self) {
  // Never created: only an existing clear_refs (procfs) resets anything.
  const UniqueFd fd(::open((proc_self_ / "clear_refs").c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return;
  reset_ = ::write(fd.get(), "5", 1) == 1;
}

std::optional<uint64_t> PeakRssWindow::peak_bytes() const {
  if (!reset_) return std::nullopt;
  return read_vm_hwm(proc_self_ / "status");
}

}  // namespace jouleval::util
