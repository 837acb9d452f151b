// Helpers shared by the store tests: a temporary directory per test and fully populated records.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "store/store.h"

namespace jouleval::store::test_util {

// A fresh directory under the system temp dir, removed at the end of the test.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "jouleval-store-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path path(const std::string& name) const { return dir_ / name; }

  std::filesystem::path dir_;
};

inline Machine make_machine(const std::string& id) {
  return {id, "host-" + id, "AMD EPYC 9654", "NVIDIA H100 80GB HBM3",
          R"({"gpu":{"uuid":"GPU-)" + id + R"(","driver":"550.54"},"os":"Linux"})"};
}

inline CellKey make_key(const std::string& precision, const std::string& task = "arc_challenge") {
  CellKey k;
  k.model = "qwen2.5-7b";
  k.model_sha256 = "ab12cd";
  k.file_sha256 = "ef34-" + precision;
  k.precision = precision;
  k.kv_type = "f16";
  k.placement = "gpu";
  k.task = task;
  k.limit = 100;
  k.shots = 25;
  k.engine.threads = 16;
  return k;
}

// A meter with every optional set, or (available == false) with every optional absent.
inline MeterEnergy make_meter(const std::string& name, bool available) {
  MeterEnergy m;
  m.meter = name;
  m.device = "device of " + name;
  m.kind = name == "rapl" ? "cpu" : "gpu";
  m.available = available;
  if (!available) {
    m.unavailable_reason = "permission denied reading /sys/class/powercap";
    return m;
  }
  m.estimated = false;
  m.counter_joules = 1234.5;
  m.integrated_joules = 1230.25;
  m.disagreement = 0.0034;
  m.disagreement_flag = true;
  m.idle_watts = 61.5;
  m.total_joules = 1234.5;
  m.active_joules = 0.0;  // a real zero must stay a zero (not become absent)
  m.avg_watts = 250.75;
  m.peak_watts = 412.0;
  m.temp_start_c = 34.0;
  m.temp_end_c = 51.5;
  return m;
}

inline Repetition make_repetition(int32_t index, int samples = 4) {
  Repetition r;
  r.index = index;
  r.started_at = "2025-01-02T03:04:05Z";
  r.seconds = 12.5 + index;
  r.short_window = index % 2 == 1;
  r.prompt_tokens = 100000 + index;
  r.generated_tokens = 5000000000LL;  // beyond 32 bits
  r.decode_calls = 77;
  r.items = 100;
  r.meters = {make_meter("nvml:0", true), make_meter("rapl", false), make_meter("external", true)};
  for (int i = 0; i < samples; ++i) r.timeline.push_back({0.05 * i, i % 2 ? "rapl" : "nvml:0", 100.0 + i});
  return r;
}

inline Cell make_pending_cell(const std::string& machine_id, const CellKey& key) {
  Cell c;
  c.machine_id = machine_id;
  c.key = key;
  c.model_path = "/models/qwen2.5-7b-" + key.precision + ".gguf";
  c.model_size_bytes = 15'000'000'000ULL;
  c.model_params = 7'615'616'512ULL;
  c.weight_types = "f16,q8_0";
  c.random_weights = true;
  c.load_seconds = 3.25;
  c.peak_gpu_memory_bytes = 16'000'000'000ULL;
  return c;
}

}  // namespace jouleval::store::test_util
