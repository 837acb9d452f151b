// Helpers for the energy tests: a temporary directory, a fake-NVML script, and a Monitor on a manual
// clock driven by explicit sample calls.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
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
