// store::merge: combines result databases (for example one shard per Slurm array task) into one,
// without duplicating machines, runs or cells. Rules: docs/store.md "Merge".
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace jouleval::store {

// A cell copy that the merge left out: the same machine and cell key was already present.
struct MergeSkip {
  std::string machine_id;
  std::string cell;          // describe(key)
  std::string dropped_from;  // file whose copy was left out ("<output>" for a cell that was already there)
  std::string kept_from;     // file whose copy is in the output
  int64_t dropped_repetitions = 0;
  int64_t kept_repetitions = 0;
};

struct MergeReport {
  int64_t inputs = 0;
  int64_t machines_added = 0;
  int64_t machines_existing = 0;  // same id already present: the first fingerprint is kept
  int64_t runs_added = 0;
  int64_t cells_added = 0;         // includes replacements
  int64_t cells_replaced = 0;      // an output cell replaced by a copy with more repetitions
  int64_t duplicates_skipped = 0;  // copies left out (replaced cells included), listed in `skipped`
  int64_t repetitions_added = 0;
  int64_t items_added = 0;
  int64_t timeline_samples_added = 0;
  std::vector<MergeSkip> skipped;
};

// Merges `inputs` into `output` (created if missing; its existing cells take part in the
// duplicate rule as the first input). All inputs are checked (exist, jouleval schema of this
// version, not the output itself) before anything is written; the whole merge is one transaction.
// Throws util::Error otherwise.
MergeReport merge(const std::vector<std::filesystem::path>& inputs, const std::filesystem::path& output);

}  // namespace jouleval::store
