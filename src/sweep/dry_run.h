// `sweep --dry-run`: the cells a config would run and an estimate of their work (requests, prompt
// characters and an estimated token count, maximum generated tokens), without loading any model.
// Model files that exist have their header read: a cell that will be skipped because its file is
// already quantized below its precision says so, and a quantized file evaluated as it is shows the
// model its cells are stored as (its source's, when its made-from record matches it; the record's
// stamp decides here, the content hash at run time: docs/sweep.md "Quantized files").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sweep/config.h"
#include "sweep/plan.h"

namespace jouleval::sweep {

struct DryRunCell {
  PlannedCell cell;
  std::string model;  // the model the cell is stored as
  std::string note;   // why it will be skipped, or whose identity its file carries; "" when nothing to say
  int items = 0;
  int64_t requests = 0;
  int64_t prompt_chars = 0;             // context + continuation characters of every request
  int64_t estimated_prompt_tokens = 0;  // prompt_chars / 4: an estimate, not a tokenisation
  int64_t max_generated_tokens = 0;
};

struct DryRun {
  std::vector<DryRunCell> cells;
  int repetitions = 0;
  std::vector<std::string> models_missing;  // files that do not exist yet (synthetic: made on first use)
};

DryRun dry_run(const SweepConfig& config);
std::string dry_run_text(const DryRun& plan);
nlohmann::json dry_run_json(const DryRun& plan);

}  // namespace jouleval::sweep
