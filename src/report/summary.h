// The summary of a results set: one row per finished cell with its metrics and machine, and the
// tables built from it (summary table, per-item table) for exports and the report.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/metrics.h"
#include "report/table.h"
#include "results/records.h"

namespace jouleval::report {

struct SummaryRow {
  int64_t cell_id = 0;
  std::string machine_id;
  std::string machine_label;  // hostname / GPU (or CPU) name
  std::string gpu_name;       // empty when the machine has no GPU
  results::CellKey key;
  uint64_t model_size_bytes = 0;
  uint64_t model_params = 0;
  uint64_t peak_gpu_memory_bytes = 0;
  std::optional<std::string> reference_precision;
  std::optional<double> answer_flips;
  std::optional<double> mean_kl;
  CellMetrics metrics;
};

struct Summary {
  std::vector<SummaryRow> rows;  // finished cells, in input order
  std::vector<results::Machine> machines;
  int not_done = 0;  // pending, skipped or failed cells (not summarised)
};

std::string machine_label(const results::Machine& machine);
Summary build_summary(const std::vector<results::Cell>& cells, const std::vector<results::Machine>& machines);

// All summary columns; default_columns holds the compact set (Markdown / LaTeX). The 1 Hz columns
// (gpu_j_1hz, one_hz_*) are opt-in: exported only when named.
Table summary_table(const Summary& summary);
// Whether any of the summary column `keys` is computed from stored power timelines (the 1 Hz
// columns): the database must then be read with timelines.
bool summary_columns_need_timeline(const std::vector<std::string>& keys);
// Compact default column keys of the summary table for LaTeX (fits a two-column paper).
std::vector<std::string> latex_default_columns();
// One row per scored item of the finished cells; `record` holds the full per-item JSON.
Table items_table(const std::vector<results::Cell>& cells, const std::vector<results::Machine>& machines);

}  // namespace jouleval::report
