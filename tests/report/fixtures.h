// Hand-built cells and machines for the report tests (numbers chosen so the metrics can be
// computed by hand; see metrics_test.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "results/records.h"

namespace jouleval::report::testing {

inline results::MeterEnergy meter(const std::string& name, const std::string& kind, std::optional<double> total,
                                  std::optional<double> active = std::nullopt,
                                  std::optional<double> peak = std::nullopt) {
  results::MeterEnergy m;
  m.meter = name;
  m.kind = kind;
  m.device = name + " device";
  m.available = total.has_value();
  if (!m.available) m.unavailable_reason = "permission denied";
  m.total_joules = total;
  m.counter_joules = total;
  m.active_joules = active;
  m.peak_watts = peak;
  return m;
}

inline results::Repetition repetition(int index, double seconds, int64_t prompt, int64_t generated, int items,
                                      std::vector<results::MeterEnergy> meters) {
  results::Repetition r;
  r.index = index;
  r.seconds = seconds;
  r.prompt_tokens = prompt;
  r.generated_tokens = generated;
  r.items = items;
  r.meters = std::move(meters);
  return r;
}

inline results::Machine h100_machine() {
  return {"m-h100", "gpu-box", "AMD EPYC 9654", "NVIDIA H100 80GB HBM3",
          R"({"gpu":{"name":"NVIDIA H100 80GB HBM3","driver":"550.54"},"cpu":"AMD EPYC 9654"})"};
}
inline results::Machine cpu_machine() { return {"m-cpu", "laptop", "Intel Core i7-1185G7", "", R"({"cpu":"i7"})"}; }

// A cell of `model` at `precision` on `machine_id`, two repetitions scaled by `energy_scale`.
inline results::Cell cell(const std::string& model, const std::string& precision, const std::string& task, double score,
                          double energy_scale, const std::string& machine_id = "m-h100") {
  results::Cell c;
  c.machine_id = machine_id;
  c.key.model = model;
  c.key.model_sha256 = "sha";
  c.key.file_sha256 = "sha-" + precision;
  c.key.precision = precision;
  c.key.kv_type = "f16";
  c.key.placement = "gpu";
  c.key.task = task;
  c.key.limit = 100;
  c.key.shots = 0;
  c.key.engine.threads = 8;
  c.status = results::CellStatus::kDone;
  c.model_params = 7'600'000'000ULL;
  c.model_size_bytes = precision == "fp16"   ? 15'200'000'000ULL
                       : precision == "int8" ? 8'100'000'000ULL
                                             : 4'700'000'000ULL;
  c.peak_gpu_memory_bytes = c.model_size_bytes + 1'000'000'000ULL;
  const bool gen = task == "gsm8k";
  c.metrics = {{gen ? "exact_match,strict-match" : "acc", score, 0.02}};
  for (int i = 0; i < 2; ++i) {
    const double e = energy_scale * (1000.0 + 100.0 * i);
    c.repetitions.push_back(repetition(
        i, 10.0 + i, gen ? 20000 : 50000, gen ? 15000 : 0, 100,
        {meter("nvml:0", "gpu", e, e * 0.8, 300.0 * energy_scale), meter("rapl", "cpu", 0.2 * e, 0.1 * e, 60.0)}));
  }
  return c;
}

}  // namespace jouleval::report::testing
