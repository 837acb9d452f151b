// Runs the cells of a sweep: prepares each model (synthesizes or quantizes it on first use, cached
// next to the source and keyed by the source's hash), claims each cell so that several processes can
// share one database, loads each model once per (precision, KV type, placement), measures the idle
// baseline, warms up, then evaluates each task inside measurement windows, repetition by repetition,
// committing each finished repetition to the store. Resumes where a killed sweep stopped, without
// duplicates; a cell that fails is recorded and the sweep goes on; a full disk stops it at once.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "endpoint/client.h"
#include "energy/monitor.h"
#include "store/store.h"
#include "sweep/config.h"
#include "sweep/observer.h"
#include "sweep/plan.h"
#include "tasks/task.h"
#include "util/error.h"

namespace jouleval::sweep {

struct RunOptions {
  std::string command_line;  // recorded with the run
  // When set: the per-item records of every cell of the run (finished now or before), one JSON
  // object per line (results::item_json), written at the end to this file (replaced atomically).
  std::filesystem::path log_items;
  // When > 0: start no model and no repetition that would end after this many seconds from the
  // start (judged by the cell's previous repetition); stored work stays, a later call resumes. The
  // first repetition of a call always runs, so that repeated calls make progress.
  double time_budget_seconds = 0;
  // Claims (docs/store.md "Claims"): this process's heartbeat period, and how old another host's
  // heartbeat may be before its claims are taken over.
  double heartbeat_seconds = 10;
  double claim_stale_seconds = 120;
  // How often to look again at cells that another live process is measuring.
  double wait_poll_seconds = 1;
};

struct SweepResult {
  int cells_done = 0;          // finished in this invocation
  int cells_already_done = 0;  // found finished in the store (resume) or finished by another process
  int cells_skipped = 0;
  int cells_failed = 0;
  std::vector<int64_t> cell_ids;   // every cell of the plan reached, in plan order
  bool stopped_at_budget = false;  // the time budget ran out before every cell was finished
  int cells_remaining = 0;         // planned cells not finished because of the time budget
  // The kind of error behind the first skipped cell (a missing GPU is kUnavailable, a precision the
  // model cannot be converted to kUsage, ...); absent when none was skipped.
  std::optional<util::ErrorKind> first_skip_kind;
};

// A sweep checked and ready to run: its planned cells, every task loaded and every model file
// checked. Made before a database is opened, so that bad input changes nothing.
class PreparedSweep {
 public:
  const SweepConfig& config() const { return *config_; }
  const std::vector<PlannedCell>& cells() const { return cells_; }
  const tasks::Task& task(const PlannedCell& cell) const;
  // With an endpoint (SweepConfig::endpoint): its client, what it said about itself and how it
  // scores loglikelihood requests, all probed by prepare_sweep. Null / empty otherwise.
  const endpoint::Client* client() const { return client_.get(); }
  const endpoint::ServerInfo& server() const { return server_; }
  const endpoint::LoglikelihoodSupport& loglikelihood_support() const { return loglikelihood_; }
  // Whether generation requests are streamed (probed when a generation task is planned).
  const endpoint::StreamingSupport& streaming_support() const { return streaming_; }

 private:
  friend PreparedSweep prepare_sweep(const SweepConfig& config, std::optional<size_t> only_cell);
  const SweepConfig* config_ = nullptr;
  std::vector<PlannedCell> cells_;
  std::map<std::tuple<tasks::TaskId, int, int>, std::shared_ptr<const tasks::Task>> tasks_;
  std::shared_ptr<endpoint::Client> client_;
  endpoint::ServerInfo server_;
  endpoint::LoglikelihoodSupport loglikelihood_;
  endpoint::StreamingSupport streaming_;
};

// Plans the cells of `config` (only cell `only_cell` when set, as --dry-run numbers them), loads every
// task and checks every model file that exists now (synth:PRESET models are made when run). Throws
// util::Error: kUsage for a bad --cell, kBadInput for bad data or a model file that is missing or
// not a valid GGUF. With an endpoint, probes it instead of checking files (endpoint::Client): throws
// kUnavailable when it cannot be reached, does not serve the model, or cannot score the
// loglikelihood tasks planned (naming them). `config` must outlive the result.
PreparedSweep prepare_sweep(const SweepConfig& config, std::optional<size_t> only_cell = std::nullopt);

// Runs every cell of `sweep`. A cell that cannot run (model too big, unsupported type) is recorded
// as skipped, one whose evaluation fails as failed, with the reason, and the sweep goes on. Throws
// util::Error when nothing more can be stored (kNoSpace: a full disk) or the database fails.
SweepResult run_sweep(const PreparedSweep& sweep, energy::Monitor& monitor, store::Store& store, Observer& observer,
                      const RunOptions& options = {});

// Makes every model file the sweep needs (synthesized sources, quantized variants) and measures
// nothing: run once before several processes share the files (Slurm array tasks). Returns how many
// (model, precision) pairs cannot be prepared (their cells will be skipped); a missing source file
// throws util::Error.
int prepare_models(const SweepConfig& config, Observer& observer);

// A model file ready to evaluate and the SHA-256 of its content.
struct PreparedModelFile {
  std::filesystem::path path;
  std::string sha256;
};

// `source` (whose SHA-256 is `source_sha256`) at `precision`: the source itself when its file type
// already is the target, else `<stem>.<TYPE>.gguf` in `cache_dir` (or next to the source when
// empty). That file is reused only when its record `<file>.source.json` says it was made from this
// source and type and the file is unchanged since; otherwise it is made again (into a temporary file,
// renamed when complete; processes making the same file take turns). Throws util::Error for an
// unsupported conversion (kUsage) or a failed quantization.
PreparedModelFile prepare_precision(const std::filesystem::path& source, const std::string& source_sha256,
                                    const std::string& precision, const std::filesystem::path& cache_dir,
                                    Observer& observer);

}  // namespace jouleval::sweep
