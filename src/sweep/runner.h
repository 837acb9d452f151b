// Runs the cells of a sweep: prepares each model (synthesizes or quantizes it on first use, cached
// next to the source), loads it once per (precision, KV type, placement), measures the idle baseline,
// warms up, then evaluates each task inside measurement windows, repetition by repetition, committing
// each finished repetition to the store. Resumes where a killed sweep stopped, without duplicates.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "energy/monitor.h"
#include "store/store.h"
#include "sweep/config.h"
#include "sweep/observer.h"

namespace jouleval::sweep {

struct RunOptions {
  std::string command_line;         // recorded with the run
  std::filesystem::path log_items;  // when set, per-item records of finished cells (JSONL)
  // When > 0: start no model and no repetition that would end after this many seconds from the
  // start (judged by the cell's previous repetition); stored work stays, a later call resumes. The
  // first repetition of a call always runs, so that repeated calls make progress.
  double time_budget_seconds = 0;
  // When set: run only this cell of plan_cells(config) (0-based), e.g. one Slurm array task.
  std::optional<size_t> only_cell;
};

struct SweepResult {
  int cells_done = 0;          // finished in this invocation
  int cells_already_done = 0;  // found finished in the store (resume)
  int cells_skipped = 0;
  int cells_failed = 0;
  std::vector<int64_t> cell_ids;   // every cell of the plan reached, in plan order
  bool stopped_at_budget = false;  // the time budget ran out before every cell was finished
  int cells_remaining = 0;         // planned cells not finished because of the time budget
};

// Runs every planned cell of `config`. Bad data (a task that fails to load) throws util::Error
// before anything is measured; a cell that cannot run (model too big, unsupported type, engine
// failure) is recorded as skipped or failed with the reason and the sweep goes on.
SweepResult run_sweep(const SweepConfig& config, energy::Monitor& monitor, store::Store& store, Observer& observer,
                      const RunOptions& options = {});

// Makes every model file the sweep needs (synthesized sources, quantized variants) and measures
// nothing: run once before several processes share the files (Slurm array tasks would otherwise race
// to make them). Returns how many (model, precision) pairs cannot be prepared (their cells will be
// skipped); a missing source file throws util::Error.
int prepare_models(const SweepConfig& config, Observer& observer);

// The path of `source` quantized to `precision` in `cache_dir` (or next to the source when empty),
// creating it with engine::quantize when missing. Returns `source` itself when its file type already
// is the target. Throws util::Error for an unsupported conversion.
std::filesystem::path prepare_precision(const std::filesystem::path& source, const std::string& precision,
                                        const std::filesystem::path& cache_dir, Observer& observer);

}  // namespace jouleval::sweep
