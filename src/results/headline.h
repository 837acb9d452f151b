// The headline accuracy metric of each task (docs/report.md "Headline metric"): the one number a
// table or a recommendation shows for a cell. One definition, used by tasks (which metric a scored
// task leads with), the report, recommend and the exports.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "results/records.h"

namespace jouleval::results {

// The metric name preferred for `task`: mmlu, truthfulqa_mc1 "acc"; arc_challenge, hellaswag
// "acc_norm"; truthfulqa_mc2 "mc2"; gsm8k "exact_match,strict-match"; any other task "acc".
std::string headline_metric_name(const std::string& task);

// The headline metric found among a cell's stored metrics: the preferred one, else (gsm8k) the
// flexible-extract match, else acc, else acc_norm, else the first metric; `metric` absent when the
// cell has none.
struct Headline {
  std::string name;
  std::optional<Metric> metric;
};
Headline headline_metric(const std::string& task, const std::vector<Metric>& metrics);

}  // namespace jouleval::results
