// The steady state of an endpoint's load level (docs/endpoint.md "Steady state"): the part of a
// measured window in which the load is what the level says, found from the generation requests'
// times, with its seconds, output tokens and energy per meter. Pure functions; thread-compatible.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "endpoint/evaluator.h"
#include "energy/phases.h"

namespace jouleval::sweep {

// A time interval [begin, end] in clock seconds.
using Interval = std::pair<double, double>;

// The steady intervals of the requests `spans` (grouped by RequestSpan::batch, one interval at most
// per batch, in batch order). `why` (may be null) gets the reason when there is none.
//
// - Closed loop (`arrival_rate` 0) at `level` requests in flight: from the moment the level is first
//   reached (the level-th request sent) until the first end of a request after the last one was sent
//   (the queue has run dry and the level drops; the brief dips while a finished request is replaced
//   by the next one do not end it). A batch of fewer requests than the level never reaches it.
// - Poisson arrivals (`arrival_rate` > 0): from the arrival that ends the first 10 % of arrivals to
//   the one that begins the last 10 % (with n arrivals in time order a[0..n-1] and k = floor(n / 10):
//   [a[k], a[n-1-k]]); the load ramps up and drains outside it.
std::vector<Interval> steady_intervals(const std::vector<endpoint::RequestSpan>& spans, int level, double arrival_rate,
                                       std::string* why = nullptr);

// The output tokens of `spans` inside `intervals`: each request's tokens spread evenly over its
// generation, from its first token (streamed; else from when it was sent) to its end; a request
// whose generation takes no time counts at its end.
double output_tokens_inside(const std::vector<endpoint::RequestSpan>& spans, const std::vector<Interval>& intervals);

// The request rate actually sent: over each batch, (requests - 1) / (last send - first send),
// summed over batches as requests and seconds. nullopt when no batch has two requests sent apart.
std::optional<double> achieved_request_rate(const std::vector<endpoint::RequestSpan>& spans);

struct SteadyMeter {
  std::string meter;
  std::string kind;    // the meter's kind (gpu, cpu, dram, system, external)
  std::string method;  // counter-scaled | integrated | too short | unavailable
  std::optional<double> joules;
  std::optional<double> j_per_output_token;
  std::string note;  // why there is no energy; a caveat of it
};

struct SteadyWindow {
  std::string basis;  // which rule found it (closed loop or Poisson)
  std::vector<Interval> intervals;
  double seconds = 0;
  double output_tokens = 0;
  std::string absent;  // why there is no steady window ("" when there is one)
  std::vector<SteadyMeter> meters;
  // The meters' energy added up as the window's total is (gpu + cpu + dram meters, else the system
  // meter): nullopt when one of them has none.
  std::optional<double> joules;
  std::optional<double> j_per_output_token;
};

// The steady window of a measured window [t0, t1] (clock seconds) and its energy per meter of
// `meters`: each meter's power integrated over the intervals (trapezoids, edges interpolated),
// scaled by counter / integral of the whole window when the meter's counter covers it
// ("counter-scaled"), else the raw integral ("integrated"); fewer than `min_samples` power samples
// inside: "too short", no energy; a meter unavailable in the window, without power samples, or
// requests outside the window (another clock): "unavailable", no energy, with the reason.
SteadyWindow steady_window(const std::vector<endpoint::RequestSpan>& spans, int level, double arrival_rate, double t0,
                           double t1, const std::vector<energy::PhaseMeterInput>& meters,
                           size_t min_samples = energy::kMinPhaseSamples);

// {"basis", "seconds", "output_tokens", "joules", "j_per_output_token", "note", "meters": [{"meter",
// "kind", "method", "joules", "j_per_output_token", "note"}]} (absent values null).
nlohmann::json to_json(const SteadyWindow& w);

}  // namespace jouleval::sweep
