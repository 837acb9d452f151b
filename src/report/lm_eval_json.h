// Results files laid out like lm-evaluation-harness's (`jouleval run --output_path`, docs/lm-eval.md):
// `results` per task and per MMLU subject with lm-eval's metric keys ("acc,none",
// "acc_stderr,none", ...), `groups` (MMLU and its four categories), `group_subtasks`, `configs`,
// `versions`, `n-shot`, `higher_is_better`, `n-samples`, `config`, `date`, plus jouleval's own
// `energy` block per task and `jouleval_version`. Pure functions of stored cells; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/records.h"

namespace jouleval::report {

// What the results file says about the run beyond its cells.
struct LmEvalRunInfo {
  std::string model_args;        // how the model was given (--model), lm-eval's "model_args"
  std::optional<double> limit;   // --limit as given (a count, or a fraction in (0, 1)); absent = all
  double date = 0;               // when the run started, seconds since 1970 (lm-eval's "date")
  std::string jouleval_version;  // the jouleval writing the file
  // Items of each lm-eval task before any limit, by lm-eval task name ("gsm8k", "mmlu_anatomy"):
  // the "original" of "n-samples"; a task not listed gets the number of items evaluated.
  std::map<std::string, int> original_items;
};

// The results file of `cells`: the finished cells (status done) of one model at one precision, KV
// type and placement on one machine, one cell per task; other cells are ignored. MMLU subjects and
// acc_norm come from the cells' per-item records (`subject`, `correct`, `correct_norm`); a cell
// whose records lack `correct_norm` (stored by an older jouleval) has no acc_norm per subject.
// A 0/1 metric's stderr is sqrt(p(1-p)/(n-1)), "N/A" for fewer than 2 items (as lm-eval); a group's
// value is the size-weighted mean of its subjects and its stderr lm-eval's pooled sample stderr.
nlohmann::ordered_json lm_eval_results(const std::vector<results::Cell>& cells, const LmEvalRunInfo& info);

// A file-name-safe name for the model and precision of `key`: "<model>__<precision>", every
// character other than letters, digits, '.', '-' and '_' replaced by '_' (lm-eval's
// model_name_sanitized, with the precision, since one run may evaluate several).
std::string lm_eval_model_dir_name(const results::CellKey& key);

// lm-eval's date_id for file names: ISO 8601 local-free UTC time with ':' replaced by '-'
// ("2026-11-28T12-34-56.123456").
std::string lm_eval_date_id(double unix_seconds);

}  // namespace jouleval::report
