#include "store/store.h"

#include <fmt/format.h>

#include "store/schema.h"
#include "store/statement.h"
#include "store/transaction.h"
#include "util/error.h"

namespace jouleval::store {

namespace {

OpenMode open_mode(const StoreOptions& options) {
  if (options.read_only) return OpenMode::kReadOnly;
  return options.create ? OpenMode::kCreate : OpenMode::kExisting;
}

// Seconds since the Unix epoch, as SQLite computes it (one clock for every writer of a file).
constexpr const char* kNowSql = "((julianday('now') - 2440587.5) * 86400.0)";

}  // namespace

Store::Store(const std::filesystem::path& file, const StoreOptions& options) : db_(file, open_mode(options)) {
  if (options.read_only) {
    check_schema(db_, /*create=*/false);
    configure_read_only_connection(db_);
    schema_version_ = store::schema_version(db_);
    return;
  }
  const bool fresh = check_schema(db_, options.create);
  configure_connection(db_, options.durable);
  if (fresh) create_schema(db_);
  upgrade_schema(db_);
  schema_version_ = store::schema_version(db_);
}

void Store::check_integrity() {
  Statement st(db_, "PRAGMA quick_check");
  std::string problems;
  int n = 0;
  while (st.step()) {
    const std::string line = st.column_text(0);
    if (line == "ok") continue;
    if (n++ < 3) problems += (problems.empty() ? "" : "; ") + line;
  }
  if (n > 0) {
    db_.fail_message(
        fmt::format("the database is damaged (PRAGMA quick_check found {} problem(s): {}); restore it "
                    "from a copy, or merge the cells that can still be read into a new file",
                    n, problems));
  }
}

ClaimResult Store::claim_cell(int64_t cell_id, const ClaimOwner& me, const ClaimLiveness& alive) {
  Transaction tx(db_);
  ClaimResult result;
  result.previous = claim_holder(cell_id);
  if (result.previous && !(result.previous->owner == me)) {
    if (alive(*result.previous)) {
      result.outcome = ClaimOutcome::kBusy;
      return result;  // nothing written; the transaction rolls back
    }
    result.outcome = ClaimOutcome::kTakenOver;
  } else {
    result.previous.reset();
  }
  Statement st(db_, fmt::format(R"sql(
    INSERT INTO claims (cell_id, owner, host, pid, claimed_at, heartbeat)
    VALUES (?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), {0})
    ON CONFLICT (cell_id) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid,
      claimed_at = excluded.claimed_at, heartbeat = excluded.heartbeat)sql",
                                kNowSql));
  st.bind_all(cell_id, me.owner, me.host, me.pid).run();
  tx.commit();
  return result;
}

std::optional<ClaimHolder> Store::claim_holder(int64_t cell_id) {
  Statement st(
      db_, fmt::format("SELECT owner, host, pid, claimed_at, {} - heartbeat FROM claims WHERE cell_id = ?", kNowSql));
  st.bind(1, cell_id);
  if (!st.step()) return std::nullopt;
  ClaimHolder h;
  h.owner = {st.column_text(0), st.column_text(1), st.column_int64(2)};
  h.claimed_at = st.column_text(3);
  h.heartbeat_age_seconds = st.column_double(4);
  return h;
}

void Store::heartbeat(const std::string& owner) {
  Statement st(db_, fmt::format("UPDATE claims SET heartbeat = {} WHERE owner = ?", kNowSql));
  st.bind_all(owner).run();
}

void Store::release_claim(int64_t cell_id, const std::string& owner) {
  Statement st(db_, "DELETE FROM claims WHERE cell_id = ? AND owner = ?");
  st.bind_all(cell_id, owner).run();
}

void Store::release_claims(const std::string& owner) {
  Statement st(db_, "DELETE FROM claims WHERE owner = ?");
  st.bind_all(owner).run();
}

void Store::upsert_machine(const Machine& machine) {
  Statement st(db_, R"sql(
    INSERT INTO machines (id, hostname, cpu_model, gpu_name, fingerprint_json) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname, cpu_model = excluded.cpu_model,
      gpu_name = excluded.gpu_name, fingerprint_json = excluded.fingerprint_json)sql");
  st.bind_all(machine.id, machine.hostname, machine.cpu_model, machine.gpu_name, machine.fingerprint_json).run();
}

int64_t Store::begin_run(const Run& run) {
  Statement st(db_, R"sql(
    INSERT INTO runs (started_at, command_line, config_json, machine_id, jouleval_version)
    VALUES (?, ?, ?, ?, ?))sql");
  st.bind_all(run.started_at, run.command_line, run.config_json.empty() ? std::string("{}") : run.config_json,
              run.machine_id, run.jouleval_version)
      .run();
  current_run_ = db_.last_insert_rowid();
  return *current_run_;
}

std::vector<Machine> Store::machines() {
  Statement st(db_, "SELECT id, hostname, cpu_model, gpu_name, fingerprint_json FROM machines ORDER BY id");
  std::vector<Machine> out;
  while (st.step()) {
    out.push_back({st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3), st.column_text(4)});
  }
  return out;
}

std::vector<Run> Store::runs() {
  Statement st(db_, R"sql(
    SELECT id, started_at, command_line, config_json, machine_id, jouleval_version FROM runs ORDER BY id)sql");
  std::vector<Run> out;
  while (st.step()) {
    out.push_back({st.column_int64(0), st.column_text(1), st.column_text(2), st.column_text(3), st.column_text(4),
                   st.column_text(5)});
  }
  return out;
}

}  // namespace jouleval::store
