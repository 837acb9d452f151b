// store::Store: the results database (default `jouleval.db`): crash-safe, idempotent writes for
// sweeps and resume (one transaction per repetition / finished cell), claims that let several
// processes share one database without measuring a cell twice, and queries for reports.
// Not thread-safe: one Store per thread (several Stores on one file, in one or several processes,
// are safe: SQLite serialises their writes).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "results/records.h"
#include "store/database.h"

namespace jouleval::store {

// The results types this layer persists (defined in results/records.h).
using results::Cell;
using results::CellKey;
using results::CellStatus;
using results::EngineSettings;
using results::Fidelity;
using results::ItemRecord;
using results::Machine;
using results::MeterEnergy;
using results::Metric;
using results::PhaseEnergy;
using results::PowerSample;
using results::Repetition;
using results::Run;

struct StoreOptions {
  bool create = true;      // create the file (and schema) when missing
  bool durable = true;     // synchronous=FULL: a committed repetition survives power loss, not only a crash
  bool read_only = false;  // open the existing file read-only: nothing in it changes (older schema
                           // versions are read as they are); every write throws
};

// A process that measures cells (docs/store.md "Claims").
struct ClaimOwner {
  std::string owner;  // unique per process invocation
  std::string host;   // names the running host: equal only for processes of one boot of one machine
  int64_t pid = 0;
  bool operator==(const ClaimOwner&) const = default;
};

// The state of a claim as another process sees it.
struct ClaimHolder {
  ClaimOwner owner;
  std::string claimed_at;            // ISO 8601 UTC
  double heartbeat_age_seconds = 0;  // since the holder last said it is alive
};

enum class ClaimOutcome {
  kClaimed,    // nobody held it (or `me` already did): now `me` does
  kTakenOver,  // a dead holder's claim was taken over by `me`
  kBusy,       // a live holder has it: `me` must not measure it
};

struct ClaimResult {
  ClaimOutcome outcome = ClaimOutcome::kClaimed;
  std::optional<ClaimHolder> previous;  // the holder before (kTakenOver, kBusy)
};

// Whether the holder of a claim is still alive (decided by the caller: a process id on this host,
// a heartbeat's age for another host).
using ClaimLiveness = std::function<bool(const ClaimHolder&)>;

// What resume needs to know about a stored cell.
struct CellProgress {
  int64_t id = 0;
  CellStatus status = CellStatus::kPending;
  std::string skip_reason;
  std::vector<int32_t> done_repetitions;  // indices already stored, ascending
  std::string engine_used_json;           // as the cell's last measurement stored it ('{}' before)
};

// What cells() reads besides the cell row, metrics, repetitions and their meters.
struct CellQuery {
  bool with_items = false;
  bool with_timeline = false;
};

class Store {
 public:
  explicit Store(const std::filesystem::path& file, const StoreOptions& options = {});

  const std::filesystem::path& file() const { return db_.file(); }
  Database& database() { return db_; }

  // ---- machines and runs -----------------------------------------------------------------------
  // Inserts the machine, or updates its descriptive fields and fingerprint when the id exists.
  void upsert_machine(const Machine& machine);
  // Records a run and makes it the current run: cells and repetitions written afterwards carry it.
  int64_t begin_run(const Run& run);
  std::optional<int64_t> current_run() const { return current_run_; }

  // The schema version of the file as it was found (read-only opens do not upgrade it).
  int schema_version() const { return schema_version_; }
  // PRAGMA quick_check: throws util::Error (bad input) naming the file when it is damaged.
  void check_integrity();

  // ---- claims: one measuring process per cell ----------------------------------------------------
  // Claims the cell for `me` in one transaction: free (or already mine) -> kClaimed; held by a holder
  // `alive` says is dead -> kTakenOver; else kBusy and nothing changes.
  ClaimResult claim_cell(int64_t cell_id, const ClaimOwner& me, const ClaimLiveness& alive);
  // The current holder of a cell's claim, if any.
  std::optional<ClaimHolder> claim_holder(int64_t cell_id);
  // Says that `owner` is alive: refreshes the heartbeat of every claim it holds.
  void heartbeat(const std::string& owner);
  // Gives a cell's claim up (only when `owner` holds it).
  void release_claim(int64_t cell_id, const std::string& owner);
  // Gives every claim of `owner` up.
  void release_claims(const std::string& owner);

  // ---- writes for sweeps and resume ------------------------------------------------------------
  std::optional<CellProgress> find_cell(const std::string& machine_id, const CellKey& key);
  // The cell's id, creating it as pending (without model info) when missing; an existing cell is
  // left as it is. Claims need the id before the cell is measured.
  int64_t ensure_cell(const std::string& machine_id, const CellKey& key);
  // The finished cell that is `key` except for its precision (`precision` instead) and the file
  // evaluated: the fidelity reference of `key`. Absent when there is none.
  std::optional<int64_t> find_done_cell_with_precision(const std::string& machine_id, const CellKey& key,
                                                       const std::string& precision);
  // Creates the cell (machine, key, model info) as pending, or sets an existing one back to pending
  // and updates its model info; keeps its repetitions. Returns the cell id.
  int64_t upsert_cell_pending(const Cell& cell);
  // Stores one repetition with its meters and timeline in one transaction. Returns false (and
  // writes nothing) when the cell already has a repetition with that index.
  bool add_repetition(int64_t cell_id, const Repetition& repetition);
  // Marks the cell done and replaces its metrics, items and fidelity, in one transaction.
  void finish_cell(int64_t cell_id, const std::vector<Metric>& metrics, const std::vector<ItemRecord>& items,
                   const Fidelity& fidelity, std::optional<uint64_t> peak_gpu_memory_bytes = std::nullopt);
  // Records the cell (creating it if needed) as skipped / failed with a reason. Returns the cell id.
  int64_t mark_skipped(const std::string& machine_id, const CellKey& key, const std::string& reason);
  int64_t mark_failed(const std::string& machine_id, const CellKey& key, const std::string& reason);

  // Writes a complete cell (row, metrics, items, repetitions with meters and timelines) as a new
  // cell, in one transaction; `cell.id` and repetition ids are ignored. Used by merge.
  int64_t insert_cell(const Cell& cell, std::optional<int64_t> run_id);
  void delete_cell(int64_t cell_id);

  // ---- queries for reports ---------------------------------------------------------------------
  std::vector<Cell> cells(const CellQuery& query = {});
  std::optional<Cell> cell(int64_t cell_id, const CellQuery& query = {});
  std::vector<ItemRecord> items(int64_t cell_id);
  std::vector<PowerSample> timeline(int64_t repetition_id);
  std::vector<Machine> machines();
  std::vector<Run> runs();
  int64_t count_repetitions(int64_t cell_id);

 private:
  int64_t mark_status(const std::string& machine_id, const CellKey& key, CellStatus status, const std::string& reason);
  void write_repetition(int64_t cell_id, const Repetition& repetition, std::optional<int64_t> run_id);
  void write_items(int64_t cell_id, const std::vector<ItemRecord>& items);
  void write_metrics(int64_t cell_id, const std::vector<Metric>& metrics);
  std::vector<Cell> read_cells(const std::string& where, std::optional<int64_t> id, const CellQuery& query);

  Database db_;
  int schema_version_ = 0;
  std::optional<int64_t> current_run_;
};

}  // namespace jouleval::store
