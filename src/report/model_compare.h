// Model against model: each model against a baseline model on the cells they share — cells identical
// except for the model (results::identity_except with Axis::kModel: same machine, precision, KV
// type, placement, task, limit, shots, preset, seed and engine settings). Accuracy difference with
// its standard error, energy and time ratios with 95% confidence intervals, EOR/TWEOR per item side
// by side. docs/report.md "Comparing models".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/charts.h"
#include "report/summary.h"
#include "report/table.h"

namespace jouleval::report {

// One shared cell: the model's cell against the baseline model's cell identical to it otherwise.
struct ModelCellComparison {
  size_t row = 0, baseline_row = 0;     // indices into Summary::rows
  std::string label;                    // what the two cells share ("mmlu · fp16 · gpu"), see compare_models
  std::optional<double> accuracy_diff;  // score - baseline score (fraction; x100 = points)
  std::optional<double> accuracy_se;    // sqrt(se^2 + se_baseline^2), the items' standard errors
  // J per question and seconds per question, model / baseline (means over repetitions); 95% CI by
  // the delta method, t(0.975, min(n) - 1), absent with a single repetition.
  std::optional<double> energy_ratio, energy_ci_low, energy_ci_high;
  std::optional<double> time_ratio, time_ci_low, time_ci_high;
};

// A model against the baseline over every cell they share.
struct ModelComparison {
  std::string model, baseline;
  std::vector<ModelCellComparison> cells;  // in the order of the model's rows
  // Mean over the shared cells of the accuracy difference; its standard error
  // sqrt(sum(se_i^2)) / k (absent unless every cell has one).
  std::optional<double> accuracy_diff, accuracy_se;
  // Over the shared cells: (sum of energy / sum of items) of the model over the same of the baseline
  // (both ran the same items), energy per task run being the mean over repetitions; the 95% CI by
  // the delta method with the variance of each sum (sum of sd_i^2 / n_i), t(0.975, min(n) - 1),
  // absent unless every cell has two repetitions or more. Time likewise, with seconds.
  std::optional<double> energy_ratio, energy_ci_low, energy_ci_high;
  std::optional<double> time_ratio, time_ci_low, time_ci_high;
  // Mean score over the shared cells, and EOR/TWEOR per item from those sums (as recommend's).
  std::optional<double> score, baseline_score;
  std::optional<double> eor_item, baseline_eor_item, tweor_item, baseline_tweor_item;
  bool random_weights = false;  // either model has random weights: accuracy is chance level
  bool estimated = false;       // some energy is an opt-in estimate
};

// The baseline is the model with the most parameters (Cell::model_params, the highest among its
// cells; equal counts: the first name in byte order) among the models of `rows`; a group of cells
// without it is compared against its own model with the most parameters. Each other model is
// compared against the baseline of each of its groups, one ModelComparison per (model, baseline),
// ordered by baseline then model. `rows`: indices into summary.rows to consider (empty: every row).
std::vector<ModelComparison> compare_models(const Summary& summary, const std::vector<size_t>& rows = {});

// One row per shared cell: both cells' ids, every identity field of the model's cell, the baseline
// model, accuracy difference (points) with its standard error, energy and time ratios with their 95%
// intervals, both cells' scores, J/question, seconds, EOR and TWEOR per item. default_columns
// (Markdown, LaTeX, HTML): the identity fields that tell the rows apart, the baseline and the
// comparison numbers.
Table model_table(const Summary& summary);

// The HTML report's chart of model_table (report/model_chart.cpp): per shared cell the energy and
// time ratios and the accuracy difference, with their intervals; absent when no two models share a
// cell.
std::optional<Chart> model_chart(const Summary& summary);

}  // namespace jouleval::report
