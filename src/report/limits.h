// Physical limits of known GPUs (dense FP16/BF16 tensor throughput, memory bandwidth, board power)
// and how close a cell came to them: compute bound for prompt processing, bandwidth bound for decode.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/summary.h"

namespace jouleval::report {

struct GpuSpec {
  std::string name;       // e.g. "H100 SXM"
  double tflops = 0.0;    // dense FP16/BF16 tensor TFLOP/s (FP32 accumulate)
  double tb_per_s = 0.0;  // memory bandwidth, TB/s
  double watts = 0.0;     // board power (TDP)
};

// The spec of a GPU by its reported name ("NVIDIA H100 80GB HBM3" -> H100 SXM); absent if unknown.
std::optional<GpuSpec> find_gpu_spec(const std::string& gpu_name);
const std::vector<GpuSpec>& known_gpu_specs();

// A cell against its GPU's limits. Prompt (loglikelihood cells: nothing generated) against the
// compute bound, 2 x params FLOPs per token; decode (cells that generate) against the bandwidth
// bound, one read of the model file per generated token.
struct LimitComparison {
  size_t row = 0;     // index into Summary::rows
  std::string phase;  // "prompt" | "decode"
  GpuSpec gpu;
  double bound_tokens_per_s = 0.0;
  double bound_j_per_token = 0.0;             // spec watts / bound tokens per second
  std::optional<double> tokens_per_s;         // achieved (decode: includes prefill time, a lower bound)
  std::optional<double> j_per_token;          // achieved, GPU meters only
  std::optional<double> throughput_fraction;  // achieved / bound (<= 1)
  std::optional<double> energy_fraction;      // bound J/token / achieved J/token (<= 1)
};

// Cells placed fully on a known GPU with model size and parameter count recorded.
std::vector<LimitComparison> compare_limits(const Summary& summary);

}  // namespace jouleval::report
