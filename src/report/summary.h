// The summary of a results set: one row per finished cell with its metrics and machine, and the
// tables built from it (summary table, per-item table) for exports and the report.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/metrics.h"
#include "report/table.h"
#include "results/identity.h"
#include "results/records.h"

namespace jouleval::report {

struct SummaryRow {
  int64_t cell_id = 0;
  std::string machine_id;
  std::string machine_label;  // hostname / GPU (or CPU) name, unique among the machines (report/identify.h)
  std::string gpu_name;       // empty when the machine has no GPU
  results::CellKey key;
  std::vector<results::IdentityField> identity;  // results::identity_fields(machine_label, key)
  std::string engine_used_json = "{}";           // the engine settings in use (results::Cell)
  std::string jouleval_version;                  // of the repetitions ("; "-joined when they differ)
  std::string llama_revision;
  std::string mixed_versions;  // "mixed versions: ..." when the repetitions differ, else ""
  uint64_t model_size_bytes = 0;
  uint64_t model_params = 0;
  uint64_t peak_gpu_memory_bytes = 0;
  std::optional<std::string> reference_precision;
  std::optional<double> answer_flips;
  std::optional<double> mean_kl;
  CellMetrics metrics;
};

// A cell that is not summarised (pending, skipped or failed), for the report's list of them.
struct NotDoneRow {
  int64_t cell_id = 0;
  std::string machine_label;
  results::CellKey key;
  results::CellStatus status = results::CellStatus::kPending;
  std::string reason;  // skip or failure reason as stored (not escaped)
};

struct Summary {
  std::vector<SummaryRow> rows;  // finished cells, in input order
  std::vector<results::Machine> machines;
  std::map<std::string, std::string> machine_labels;  // machine id -> unique label
  int not_done = 0;                                   // pending, skipped or failed cells (not summarised)
  std::vector<NotDoneRow> not_done_rows;
};

Summary build_summary(const std::vector<results::Cell>& cells, const std::vector<results::Machine>& machines);

// The identity columns (key and label) of the summary and per-item tables, in identity order:
// machine (label), machine_id, then every field of results::identity_fields.
const std::vector<std::pair<std::string, std::string>>& identity_columns();

// Appends identity_columns() to `t` as columns (absent values shown "not recorded"; `exact`: formats
// for people print them as stored). The tables that name cells by identity share this.
void append_identity_columns(Table& t, bool exact);

// The identity columns' values of a cell, in identity_columns() order: numbers as integers, a value
// an older database did not record absent (shown "not recorded").
std::vector<Value> identity_values(const std::string& machine_label, const std::string& machine_id,
                                   const results::CellKey& key);

// The identity column keys the compact formats show for `rows`: machine, model, precision and task,
// then the identity fields that vary among them (report/identify.h distinguishing_fields).
std::vector<std::string> compact_identity_columns(const std::vector<std::vector<results::IdentityField>>& rows);

// All summary columns (every identity field always); default_columns holds the compact set of the
// HTML report: the identity columns that tell the rows apart, the headline numbers, and the
// flags when some row has one. The 1 Hz columns (gpu_j_1hz, one_hz_*) are opt-in: exported only
// when named.
Table summary_table(const Summary& summary);
// Whether any of the summary column `keys` is computed from stored power timelines (the 1 Hz
// columns): the database must then be read with timelines.
bool summary_columns_need_timeline(const std::vector<std::string>& keys);
// Default column keys of the summary table for Markdown: machine, model, precision, task, the other
// identity fields that vary, shots, items, metric, score, energy_wh, seconds, tokens_per_s,
// j_per_question, eor, eor_item, tweor_item, and the flags when some cell has one. The value columns
// that have an interval come with its ends (`score_ci_low`, `score_ci_high`, ...), which the
// formats for people write in the value's cell ("0.620 ± 0.039"; report/export.h).
std::vector<std::string> markdown_default_columns(const Summary& summary);
// The same for LaTeX (fewer numbers, to fit a paper): machine, model, precision, task, the other
// identity fields that vary, shots, items, metric, score, energy_wh, j_per_question, eor_item (each
// with its interval), and the flags when some cell mixes versions.
std::vector<std::string> latex_default_columns(const Summary& summary);
// Sentences for an export's caption about the cells `cell_ids` (every finished cell when empty):
// which meters' readings make the energy (per machine when the cells ran on several), that it is
// each meter's total with idle draw included (not idle-subtracted) ("Energy: unavailable, no meter
// had a reading." when no cell has a reading), and, when some cell's model has
// random weights, "Random-weight model (name): accuracy is chance level." Text as stored (the
// exports escape it).
std::vector<std::string> caption_notes(const Summary& summary, const std::vector<int64_t>& cell_ids = {});
// One row per scored item of the finished cells; `record` holds the full per-item JSON.
Table items_table(const std::vector<results::Cell>& cells, const std::vector<results::Machine>& machines);

}  // namespace jouleval::report
