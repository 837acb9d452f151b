// lm-evaluation-harness conventions of `jouleval run` (docs/lm-eval.md): `--limit` as a count or a
// fraction, and the results and samples files of `--output_path` / `--log_samples`.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "results/records.h"
#include "sweep/config.h"

namespace jouleval::cli {

// `--limit` as given: a whole count (0 = all) or, for 0 < x < 1, a fraction of each task's items.
struct LimitOption {
  int count = 0;
  std::optional<double> fraction;
  std::optional<double> as_given() const;  // absent for 0 (all)
};

// Parses `--limit`: an integer 0 to 100000000 (a whole number written "100.0" too) or a number
// strictly between 0 and 1. Throws util::Error(kUsage) naming --limit for anything else
// (negative, 1.5, "abc", nan, inf).
LimitOption parse_limit_option(const std::string& text);

// The number of items of each task of `config` before any limit, keyed by lm-eval task name
// ("gsm8k"; MMLU by subject, "mmlu_anatomy", and "mmlu" for all). Loads the tasks (throws as
// tasks::load_task does).
std::map<std::string, int> original_item_counts(const sweep::SweepConfig& config);

// Sets each task's limit to ceil(fraction × its items) (lm-eval's rule; for MMLU a fraction of all
// its items, spread over the subjects like any MMLU limit).
void apply_limit_fraction(sweep::SweepConfig& config, double fraction, const std::map<std::string, int>& counts);

// Where `--output_path` writes (lm-eval's layout): a directory DIR gets
// DIR/<model>__<precision>/results_<date>.json (and samples_<task>_<date>.jsonl beside it); a path
// ending in ".json" gets <stem>_<date>.json in its directory (samples beside it), and holds one
// model and precision only.
class LmEvalOutput {
 public:
  // Checks the path before anything is measured and creates the directories it names. Throws
  // util::Error: kUsage naming --output_path for an existing non-directory given as a directory, a
  // directory given as a .json file, or a .json file with several precisions; kBadInput when a
  // directory cannot be created.
  LmEvalOutput(std::filesystem::path path, size_t n_precisions, bool log_samples, double start_unix_seconds);

  // Writes the results file (and with --log_samples the samples files) of each model/precision
  // among `cells` (with their items), atomically. Returns the files written.
  std::vector<std::filesystem::path> write(const std::vector<results::Cell>& cells, const std::string& model_args,
                                           std::optional<double> limit,
                                           const std::map<std::string, int>& original_items) const;

 private:
  std::filesystem::path path_;
  bool json_file_ = false;
  bool log_samples_ = false;
  double start_ = 0;
  std::string date_id_;
};

}  // namespace jouleval::cli
