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
// intervals, both cells' J/question, seconds and scores, random_weights, and the compared cell's
// items and metric. default_columns (the HTML report): the identity fields that tell the
// comparisons apart, the precisions and the changes.
// Numbers for people: percentages and points with one decimal, scores with three; the changes carry
// their intervals (Column::interval_of), written "-12.3 ± 4.5" by the Markdown and LaTeX exports.
Table precision_table(const Summary& summary);

// The columns of the precision table for the exports for people (Markdown, LaTeX): default_columns
// with the shots, items and metric of the compared cell before the changes.
std::vector<std::string> precision_export_columns(const Table& precision);

}  // namespace jouleval::report
