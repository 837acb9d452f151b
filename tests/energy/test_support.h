// Helpers for the energy tests: a temporary directory, a fake-NVML script, and a Monitor on a manual
// clock driven by explicit sample calls.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "energy/clock.h"
#include "energy/monitor.h"

namespace jouleval::energy::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "jouleval-energy-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// Whether process `pid` no longer runs: gone, or a zombie nobody reaped yet (in a container whose
// init does not reap orphans, a killed orphan stays a zombie).
inline bool process_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return true;
  const auto paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && (text[paren + 2] == 'Z' || text[paren + 2] == 'X');
}

// Reads a whole (small) file; "" when it does not exist.
inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Waits up to `seconds` for `p` to exist with a newline-terminated content; returns that content.
inline std::string wait_for_line(const std::filesystem::path& p, double seconds = 10) {
  for (int i = 0; i < seconds * 100; ++i) {
    const std::string text = read_text(p);
    if (!text.empty() && text.back() == '\n') return text;
    usleep(10000);
  }
  return {};
}

// Seconds since `start` on the steady clock.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Writes the fake NVML script and points the fake library at it (per test process).
inline void set_fake_nvml_script(const TempDir& dir, const std::string& script) {
  const auto path = dir.path() / "nvml-script.txt";
  write_file(path, script);
  setenv("JOULEVAL_FAKE_NVML_SCRIPT", path.c_str(), 1);
}

// A Monitor on the fake NVML only (no RAPL), with a manual clock and no sampler thread.
inline std::unique_ptr<Monitor> fake_gpu_monitor(std::shared_ptr<ManualClock> clock, bool timeline = false) {
  MonitorOptions o;
  o.nvml_library = JOULEVAL_FAKE_NVML_PATH;
  o.use_rapl = false;
  o.sample_interval_ms = 100;
  o.sampler_thread = false;
  o.timeline = timeline;
  o.clock = clock;
  return std::make_unique<Monitor>(o);
}

// Advances the clock in `steps` equal steps over `seconds`, sampling after each.
inline void run_for(Monitor& m, ManualClock& clock, double seconds, int steps) {
  for (int i = 0; i < steps; ++i) {
    clock.advance(seconds / steps);
    if (i + 1 < steps) m.sample_once();
  }
}

}  // namespace jouleval::energy::testing
