// store::Store: the results database (default `jouleval.db`): crash-safe, idempotent writes for
// sweeps and resume (one transaction per repetition / finished cell) and queries for reports.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "store/database.h"
#include "store/records.h"

namespace jouleval::store {

struct StoreOptions {
  bool create = true;   // create the file (and schema) when missing
  bool durable = true;  // synchronous=FULL: a committed repetition survives power loss, not only a crash
};

// What resume needs to know about a stored cell.
struct CellProgress {
  int64_t id = 0;
  CellStatus status = CellStatus::kPending;
  std::string skip_reason;
  std::vector<int32_t> done_repetitions;  // indices already stored, ascending
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

  // ---- writes for sweeps and resume ------------------------------------------------------------
  std::optional<CellProgress> find_cell(const std::string& machine_id, const CellKey& key);
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
  std::optional<int64_t> current_run_;
};

// Text form of a status as stored ("pending", "done", "skipped", "failed") and back.
const char* to_string(CellStatus status);
CellStatus parse_cell_status(const std::string& text);

// A short description of a cell key for messages:
// "model[@sha]/precision/kv=../placement/task/limit=../shots=../threads=..".
std::string describe(const CellKey& key);

}  // namespace jouleval::store
