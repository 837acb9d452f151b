#include "store/store.h"

#include <fmt/format.h>

#include "store/schema.h"
#include "store/statement.h"
#include "store/transaction.h"
#include "util/error.h"

namespace jouleval::store {

Store::Store(const std::filesystem::path& file, const StoreOptions& options)
    : db_(file, options.create ? OpenMode::kCreate : OpenMode::kExisting) {
  const bool fresh = check_schema(db_, options.create);
  configure_connection(db_, options.durable);
  if (fresh) create_schema(db_);
  upgrade_schema(db_);
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

const char* to_string(CellStatus status) {
  switch (status) {
    case CellStatus::kPending:
      return "pending";
    case CellStatus::kDone:
      return "done";
    case CellStatus::kSkipped:
      return "skipped";
    case CellStatus::kFailed:
      return "failed";
  }
  return "pending";
}

CellStatus parse_cell_status(const std::string& text) {
  if (text == "done") return CellStatus::kDone;
  if (text == "skipped") return CellStatus::kSkipped;
  if (text == "failed") return CellStatus::kFailed;
  if (text == "pending") return CellStatus::kPending;
  throw util::Error(fmt::format("unknown cell status '{}' in results database", text), util::ExitCode::kBadInput);
}

std::string describe(const CellKey& key) {
  const std::string sha = key.model_sha256.empty() ? "" : "@" + key.model_sha256.substr(0, 12);
  return fmt::format("{}{}/{}/kv={}/{}/{}/limit={}/shots={}/threads={}", key.model, sha, key.precision, key.kv_type,
                     key.placement, key.task, key.limit, key.shots, key.threads);
}

}  // namespace jouleval::store
