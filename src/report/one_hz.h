// The GPU energy method of the study jouleval improves on (nvidia-smi power.draw polled at 1 Hz, each
// reading x 1 s) simulated on a repetition's stored ~50 ms timeline, and its error against the counter.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "results/records.h"
#include "results/stats.h"

namespace jouleval::report {

inline constexpr double kOneHzPeriodSeconds = 1.0;

// The 1 Hz estimate of one repetition, summed over its GPU meters, next to the stored GPU energy of
// the same meters over the same window.
struct OneHzEstimate {
  double window_seconds = 0.0;
  double gpu_j_1hz = 0.0;           // energy::poll_and_integrate on [0, window] of each GPU meter's timeline
  double reference_j = 0.0;         // the same meters' counter deltas, else their integrated power
  std::string reference;            // "counter" | "integrated"
  std::optional<double> error_pct;  // 100 (1 Hz - reference) / reference; absent when reference is 0
  size_t polls = 0;                 // polls of one meter (the same window for all)
  size_t polls_before_first_sample = 0;
  size_t gpu_meters = 0;
};

// Absent unless the repetition has a window, at least one available GPU meter, and every available
// GPU meter has timeline samples and a reference (counter delta, else integrated power).
std::optional<OneHzEstimate> one_hz_estimate(const results::Repetition& rep,
                                             double period_seconds = kOneHzPeriodSeconds);

// A cell's 1 Hz estimates over its repetitions (present only when every repetition has one).
struct OneHzSummary {
  std::string reference;  // "counter" | "integrated" | "mixed" (repetitions differ)
  results::Stat window_seconds, gpu_j_1hz, reference_j;
  std::optional<results::Stat> error_pct;  // absent when a repetition has no error (reference 0)
  double polls = 0.0;                      // mean polls per repetition
  size_t polls_before_first_sample = 0;    // over all repetitions
};

std::optional<OneHzSummary> summarize_one_hz(const std::vector<std::optional<OneHzEstimate>>& repetitions);

}  // namespace jouleval::report
