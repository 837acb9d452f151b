#include "endpoint/latency.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "util/error.h"

namespace jouleval::endpoint {
namespace {

Percentiles percentiles(const std::vector<double>& values) {
  return {percentile(values, 50), percentile(values, 90), percentile(values, 99)};
}

nlohmann::json ms(const std::optional<double>& seconds) {
  return seconds ? nlohmann::json(*seconds * 1e3) : nlohmann::json(nullptr);
}

}  // namespace

std::optional<double> percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (values[hi] - values[lo]) * (rank - static_cast<double>(lo));
}

void check_slo(const Slo& slo) {
  for (const auto& [option, value] :
       {std::pair<const char*, std::optional<double>>{"--slo-ttft", slo.ttft_ms}, {"--slo-itl", slo.itl_ms}})
    if (value && !(*value > 0 && *value <= 86400e3))
      throw util::Error(fmt::format("{} {}: must be more than 0 and at most 86400000 milliseconds", option, *value),
                        util::ErrorKind::kUsage);
}

double mean_token_gap(const RequestTiming& t) {
  if (t.output_tokens < 2) return 0;
  return (t.e2e - t.ttft) / static_cast<double>(t.output_tokens - 1);
}

LatencySummary summarize_latency(const std::vector<RequestTiming>& timings, double window_seconds, const Slo& slo) {
  LatencySummary s;
  s.slo = slo;
  s.requests = static_cast<int64_t>(timings.size());
  s.streamed =
      !timings.empty() && std::all_of(timings.begin(), timings.end(), [](const auto& t) { return t.streamed; });
  std::vector<double> ttft, itl, e2e;
  int64_t tokens = 0;
  int64_t good = 0;
  for (const RequestTiming& t : timings) {
    e2e.push_back(t.e2e);
    tokens += t.output_tokens;
    if (t.streamed) {
      ttft.push_back(t.ttft);
      itl.insert(itl.end(), t.itl.begin(), t.itl.end());
    }
    const bool ok =
        (!slo.ttft_ms || t.ttft * 1e3 <= *slo.ttft_ms) && (!slo.itl_ms || mean_token_gap(t) * 1e3 <= *slo.itl_ms);
    if (ok) ++good;
  }
  s.ttft = percentiles(ttft);
  s.itl = percentiles(itl);
  s.e2e = percentiles(e2e);
  if (window_seconds > 0) {
    s.requests_per_second = static_cast<double>(s.requests) / window_seconds;
    s.output_tokens_per_second = static_cast<double>(tokens) / window_seconds;
    if (slo.any() && s.streamed) s.goodput = static_cast<double>(good) / window_seconds;
  }
  return s;
}

nlohmann::json to_json(const LatencySummary& s) {
  nlohmann::json j = {{"requests", s.requests},
                      {"streamed", s.streamed},
                      {"requests_per_s", s.requests_per_second},
                      {"output_tokens_per_s", s.output_tokens_per_second},
                      {"goodput_requests_per_s", s.goodput ? nlohmann::json(*s.goodput) : nlohmann::json(nullptr)},
                      {"slo_ttft_ms", s.slo.ttft_ms ? nlohmann::json(*s.slo.ttft_ms) : nlohmann::json(nullptr)},
                      {"slo_itl_ms", s.slo.itl_ms ? nlohmann::json(*s.slo.itl_ms) : nlohmann::json(nullptr)}};
  for (const auto& [name, p] :
       {std::pair<const char*, const Percentiles*>{"ttft", &s.ttft}, {"itl", &s.itl}, {"e2e", &s.e2e}}) {
    j[std::string(name) + "_p50_ms"] = ms(p->p50);
    j[std::string(name) + "_p90_ms"] = ms(p->p90);
    j[std::string(name) + "_p99_ms"] = ms(p->p99);
  }
  return j;
}

}  // namespace jouleval::endpoint
