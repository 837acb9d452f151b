// Precision comparison: the reference precision of a group of cells identical except for their
// precision (results::identity_except with Axis::kPrecision; the rule of results/precision.h) and
// each other precision's energy reduction and accuracy change relative to it, with 95% confidence
// intervals. docs/report.md "Precision comparison".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/summary.h"
#include "report/table.h"
#include "results/precision.h"

namespace jouleval::report {

// One precision against the reference of the cells identical to it except for the precision (and the
// file evaluated, which follows it): same machine, model, KV type, placement, task, limit, shots,
// preset, seed and engine settings.
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

// In the order of the rows' first appearance; groups without a second precision give none.
std::vector<PrecisionComparison> compare_precisions(const Summary& summary);

// One row per comparison: both cells' ids, every identity field of the compared cell, the
// reference precision, energy reduction and accuracy change (percent and points) with their 95%
// intervals, both cells' J/question, seconds and scores. default_columns (HTML, Markdown): the
// identity fields that tell the comparisons apart, the precisions and the changes.
Table precision_table(const Summary& summary);

}  // namespace jouleval::report
