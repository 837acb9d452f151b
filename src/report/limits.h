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

// A cell against its GPU's limits (docs/report.md "Physical limits"). Prompt (loglikelihood cells:
// nothing generated) against the compute bound, 2 x params FLOPs per token. Decode (cells that
// generate) against the bandwidth bound of batched generation: each decode step reads the weights
// once for all B sequences decoding together, plus each sequence's KV cache, so
//   bound tokens/s = B x bandwidth / (weight bytes + B x KV bytes per token x context per sequence).
struct LimitComparison {
  size_t row = 0;     // index into Summary::rows
  std::string phase;  // "prompt" | "decode"
  GpuSpec gpu;
  double bound_tokens_per_s = 0.0;
  double bound_j_per_token = 0.0;  // spec watts / bound tokens per second
  // Decode: B, the generated tokens per weight read, and where it comes from.
  double batch = 1.0;
  std::string batch_basis;  // "generated tokens / decode calls" | "min(parallel sequences, items)" | ...
  std::optional<double> kv_bytes_per_token;  // recorded with the engine settings; absent: KV reads not counted
  double context_tokens = 0.0;               // mean context per sequence while decoding (prompt + half the generated)
  std::optional<double> tokens_per_s;        // achieved (decode: includes prefill time, a lower bound)
  std::optional<double> j_per_token;         // achieved, GPU meters only
  // achieved / bound, and bound J/token / achieved J/token: 1 = at the limit. Above 1 when an
  // assumption of the bound fails (e.g. weights not read whole per step); shown clamped and marked.
  std::optional<double> throughput_fraction;
  std::optional<double> energy_fraction;
};

// How many generated tokens share one read of the weights in a generating cell: generated tokens /
// decode calls when the decode calls are recorded (every call reads the weights at least once, so
// the bound holds); else at most min(parallel sequences, items) sequences decode together (the
// engine settings used, Cell::engine_used_json, else the requested ones; without either, the
// items). `basis` says which.
double decode_batch(const SummaryRow& row, std::string* basis);

// Cells placed fully on a known GPU with model size and parameter count recorded.
std::vector<LimitComparison> compare_limits(const Summary& summary);

}  // namespace jouleval::report
