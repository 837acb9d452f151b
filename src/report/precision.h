// Precision comparison: the reference precision of a group of cells (fp16/bf16, else fp32, else the
// highest-bit precision present) and each precision's energy reduction and accuracy change
// relative to it, with 95% confidence intervals.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/summary.h"
#include "results/precision.h"

namespace jouleval::report {

// One precision against the reference of the same machine, model, KV type, placement and task.
struct PrecisionComparison {
  std::string machine_label, model, kv_type, placement, task;
  std::string precision, reference;
  size_t row = 0, reference_row = 0;       // indices into Summary::rows
  std::optional<double> energy_reduction;  // 1 - E / E_ref (J per question, mean over repetitions)
  std::optional<double> energy_ci_low, energy_ci_high;
  std::optional<double> accuracy_change;  // score - score_ref (fraction; x100 = points)
  std::optional<double> accuracy_ci_low, accuracy_ci_high;
  bool random_weights = false;
};

std::vector<PrecisionComparison> compare_precisions(const Summary& summary);

}  // namespace jouleval::report
