// Latency under load (docs/endpoint.md "Latency under load"): the per-request times of a window's
// generation requests summed up per level of concurrency. Pure functions; thread-compatible.
#pragma once

#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "endpoint/response.h"

namespace jouleval::endpoint {

// The `p`-th percentile (0..100) of `values` with linear interpolation between the closest ranks
// (numpy's default, as vLLM's benchmark reports): rank p/100 * (n - 1). nullopt when empty.
std::optional<double> percentile(std::vector<double> values, double p);

// Service-level objectives of --slo-ttft / --slo-itl (milliseconds); absent ones are not checked.
struct Slo {
  std::optional<double> ttft_ms;
  std::optional<double> itl_ms;
  bool any() const { return ttft_ms.has_value() || itl_ms.has_value(); }
};

// Throws util::Error (kUsage) naming --slo-ttft or --slo-itl for an objective that is not more than
// 0 ms or is over a day.
void check_slo(const Slo& slo);

// The mean gap between the tokens of one request after its first, (e2e - ttft) / (tokens - 1)
// (AIPerf's per-request inter-token latency, vLLM's TPOT); 0 for fewer than two tokens.
double mean_token_gap(const RequestTiming& t);

struct Percentiles {
  std::optional<double> p50, p90, p99;  // seconds
};

struct LatencySummary {
  int64_t requests = 0;
  bool streamed = false;  // every request was streamed (TTFT and ITL measured)
  Percentiles ttft, itl, e2e;
  double requests_per_second = 0;
  double output_tokens_per_second = 0;
  // Requests per second that met every objective of `slo` (nullopt when no objective is given, or
  // a TTFT/ITL objective is given and the requests were not streamed).
  std::optional<double> goodput;
  Slo slo;
};

// `window_seconds`: the measured window the requests ran in (> 0). ITL percentiles are over every
// gap between text chunks of every request (vLLM's convention).
LatencySummary summarize_latency(const std::vector<RequestTiming>& timings, double window_seconds, const Slo& slo);

nlohmann::json to_json(const LatencySummary& s);

}  // namespace jouleval::endpoint
