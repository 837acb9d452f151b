#include "store/schema.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <string>
#include <vector>

#include "store/statement.h"
#include "store/transaction.h"
#include "util/build_info.h"

namespace jouleval::store {

namespace {

// The cells table (version 3: the whole cell identity is its key), named `name`.
std::string cells_table(const char* name) {
  return fmt::format(R"sql(
CREATE TABLE {} (
  id INTEGER PRIMARY KEY,
  machine_id TEXT NOT NULL REFERENCES machines(id),
  model TEXT NOT NULL, model_sha256 TEXT NOT NULL, file_sha256 TEXT NOT NULL, precision TEXT NOT NULL,
  kv_type TEXT NOT NULL, placement TEXT NOT NULL, task TEXT NOT NULL, item_limit INTEGER NOT NULL,
  shots INTEGER NOT NULL, preset TEXT NOT NULL, seed INTEGER NOT NULL,
  context_size INTEGER NOT NULL, batch_size INTEGER NOT NULL, ubatch_size INTEGER NOT NULL,
  scoring_lanes INTEGER NOT NULL, max_sequences INTEGER NOT NULL, threads INTEGER NOT NULL,
  flash_attention TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'skipped', 'failed')),
  skip_reason TEXT NOT NULL DEFAULT '',
  run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  model_path TEXT NOT NULL DEFAULT '', model_size_bytes INTEGER NOT NULL DEFAULT 0,
  model_params INTEGER NOT NULL DEFAULT 0, weight_types TEXT NOT NULL DEFAULT '',
  random_weights INTEGER NOT NULL DEFAULT 0, load_seconds REAL NOT NULL DEFAULT 0,
  peak_gpu_memory_bytes INTEGER NOT NULL DEFAULT 0, engine_used_json TEXT NOT NULL DEFAULT '{{}}',
  reference_precision TEXT, answer_flips REAL, mean_kl REAL,
  UNIQUE (machine_id, model, model_sha256, file_sha256, precision, kv_type, placement, task, item_limit, shots,
          preset, seed, context_size, batch_size, ubatch_size, scoring_lanes, max_sequences, threads,
          flash_attention));
)sql",
                     name);
}

// Who is measuring a cell right now (version 3; docs/store.md "Claims").
constexpr const char* kCreateClaims = R"sql(
CREATE TABLE claims (
  cell_id INTEGER PRIMARY KEY REFERENCES cells(id) ON DELETE CASCADE,
  owner TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, claimed_at TEXT NOT NULL,
  heartbeat REAL NOT NULL);
CREATE INDEX claims_by_owner ON claims (owner);
)sql";

constexpr const char* kCreateOtherTables = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE machines (
  id TEXT PRIMARY KEY, hostname TEXT NOT NULL, cpu_model TEXT NOT NULL, gpu_name TEXT NOT NULL,
  fingerprint_json TEXT NOT NULL);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, command_line TEXT NOT NULL, config_json TEXT NOT NULL,
  machine_id TEXT NOT NULL REFERENCES machines(id), jouleval_version TEXT NOT NULL);
CREATE TABLE metrics (
  cell_id INTEGER NOT NULL REFERENCES cells(id) ON DELETE CASCADE, name TEXT NOT NULL,
  value REAL NOT NULL, stderr REAL, PRIMARY KEY (cell_id, name));
CREATE TABLE repetitions (
  id INTEGER PRIMARY KEY,
  cell_id INTEGER NOT NULL REFERENCES cells(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  started_at TEXT NOT NULL, seconds REAL NOT NULL, short_window INTEGER NOT NULL,
  prompt_tokens INTEGER NOT NULL, generated_tokens INTEGER NOT NULL, decode_calls INTEGER NOT NULL,
  items INTEGER NOT NULL, passes INTEGER NOT NULL DEFAULT 1,
  jouleval_version TEXT NOT NULL DEFAULT '', llama_revision TEXT NOT NULL DEFAULT '',
  peak_rss_bytes INTEGER,
  UNIQUE (cell_id, idx));
CREATE TABLE meters (
  id INTEGER PRIMARY KEY,
  repetition_id INTEGER NOT NULL REFERENCES repetitions(id) ON DELETE CASCADE,
  meter TEXT NOT NULL, device TEXT NOT NULL, kind TEXT NOT NULL, available INTEGER NOT NULL,
  unavailable_reason TEXT NOT NULL, estimated INTEGER NOT NULL,
  counter_joules REAL, integrated_joules REAL, disagreement REAL, disagreement_flag INTEGER NOT NULL,
  idle_watts REAL, total_joules REAL, active_joules REAL, avg_watts REAL, peak_watts REAL,
  temp_start_c REAL, temp_end_c REAL,
  UNIQUE (repetition_id, meter));
CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  cell_id INTEGER NOT NULL REFERENCES cells(id) ON DELETE CASCADE,
  item_id TEXT NOT NULL, correct INTEGER NOT NULL, json TEXT NOT NULL,
  UNIQUE (cell_id, item_id));
CREATE TABLE timeline (
  repetition_id INTEGER NOT NULL REFERENCES repetitions(id) ON DELETE CASCADE,
  t REAL NOT NULL, meter TEXT NOT NULL, watts REAL NOT NULL);
CREATE INDEX timeline_by_repetition ON timeline (repetition_id);
CREATE INDEX runs_by_machine ON runs (machine_id);
)sql";

// Version 2 -> 3: the cells table is rebuilt with the whole identity as its key (the fields a
// version 2 file lacks are "not recorded": '' and -1), repetitions gain the versions that measured
// them (jouleval's from their run, llama.cpp's unknown), and the claims table is added.
constexpr const char* kUpgrade2To3 = R"sql(
INSERT INTO cells_v3 (id, machine_id, model, model_sha256, file_sha256, precision, kv_type, placement, task,
  item_limit, shots, preset, seed, context_size, batch_size, ubatch_size, scoring_lanes, max_sequences, threads,
  flash_attention, status, skip_reason, run_id, model_path, model_size_bytes, model_params, weight_types,
  random_weights, load_seconds, peak_gpu_memory_bytes, engine_used_json, reference_precision, answer_flips, mean_kl)
SELECT id, machine_id, model, model_sha256, '', precision, kv_type, placement, task, item_limit, shots, '', -1, -1,
  -1, -1, -1, -1, threads, '', status, skip_reason, run_id, model_path, model_size_bytes, model_params, weight_types,
  random_weights, load_seconds, peak_gpu_memory_bytes, '{}', reference_precision, answer_flips, mean_kl
FROM cells;
DROP TABLE cells;
ALTER TABLE cells_v3 RENAME TO cells;
ALTER TABLE repetitions ADD COLUMN jouleval_version TEXT NOT NULL DEFAULT '';
ALTER TABLE repetitions ADD COLUMN llama_revision TEXT NOT NULL DEFAULT '';
UPDATE repetitions SET jouleval_version =
  coalesce((SELECT jouleval_version FROM runs WHERE runs.id = repetitions.run_id), '');
)sql";

// Version 5: the phases of generation repetitions (docs/energy.md "Phases of generation"), one row
// per repetition, meter ('' when the window had none) and phase; joules NULL when not measured
// (method 'too short' or 'unavailable', with the reason in note).
void migrate_add_phase_energy(Database& db) {
  db.exec(R"sql(
CREATE TABLE IF NOT EXISTS phase_energy (
  repetition_id INTEGER NOT NULL REFERENCES repetitions(id) ON DELETE CASCADE,
  meter TEXT NOT NULL,
  phase TEXT NOT NULL CHECK (phase IN ('prefill', 'decode', 'steady', 'other')),
  seconds REAL NOT NULL, joules REAL, joules_idle_subtracted REAL, tokens INTEGER NOT NULL,
  steps INTEGER NOT NULL, batch INTEGER NOT NULL, method TEXT NOT NULL, note TEXT NOT NULL,
  PRIMARY KEY (repetition_id, meter, phase));
)sql");
}

// Version 6: the latency under load of endpoint generation repetitions (docs/endpoint.md "Latency
// under load"), one row per repetition: the JSON object of its summary (percentiles, throughput,
// goodput and the objectives it was computed against).
void migrate_add_request_latency(Database& db) {
  db.exec(R"sql(
CREATE TABLE IF NOT EXISTS request_latency (
  repetition_id INTEGER PRIMARY KEY REFERENCES repetitions(id) ON DELETE CASCADE,
  summary TEXT NOT NULL);
)sql");
}

// Adds `column` (SQL type and default `definition`) to the cells table and to its key, the UNIQUE
// constraint of the cell identity. SQLite cannot change a constraint in place: the table is rebuilt
// from its own CREATE statement with the column added (https://www.sqlite.org/lang_altertable.html,
// "Making Other Kinds Of Table Schema Changes"), its rows copied with the column's default. A no-op
// when the column exists. Needs foreign keys off, or empty tables (the create path).
void add_cell_key_column(Database& db, const std::string& column, const std::string& definition) {
  std::vector<std::string> columns;
  {
    Statement info(db, "PRAGMA table_info(cells)");
    while (info.step()) columns.push_back(info.column_text(1));
  }
  if (std::find(columns.begin(), columns.end(), column) != columns.end()) return;
  std::string sql;
  {
    Statement st(db, "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'cells'");
    if (st.step()) sql = st.column_text(0);
  }
  const size_t open = sql.find('(');
  const size_t unique = sql.rfind("UNIQUE (");
  const size_t close = sql.rfind("))");
  if (open == std::string::npos || unique == std::string::npos || close == std::string::npos || close < unique)
    db.fail_message(fmt::format("adding the cells' {} column: the cells table has no UNIQUE key", column));
  db.exec(fmt::format("CREATE TABLE cells_rebuilt {}{} {},\n  {}, {}{}", sql.substr(open, unique - open), column,
                      definition, sql.substr(unique, close - unique), column, sql.substr(close)));
  const std::string list = fmt::format("{}", fmt::join(columns, ", "));
  db.exec(fmt::format("INSERT INTO cells_rebuilt ({0}) SELECT {0} FROM cells", list));
  db.exec("DROP TABLE cells");
  db.exec("ALTER TABLE cells_rebuilt RENAME TO cells");
}

// Version 7: the Poisson arrival rate of endpoint cells (docs/endpoint.md "Load levels"), part of
// the cell identity; 0 (a closed loop) for every cell stored before.
void migrate_add_arrival_rate(Database& db) { add_cell_key_column(db, "arrival_rate", "REAL NOT NULL DEFAULT 0"); }

// Version 8: an endpoint cell's generation API (docs/endpoint.md "Chat completions"), part of the
// cell identity: '' for in-process cells, 'completions' or 'chat' for endpoint cells. Endpoint cells
// stored before (placement 'endpoint:...') were measured through /v1/completions. A no-op when the
// column exists. Needs foreign keys off, or empty tables (the create path).
void migrate_add_endpoint_api(Database& db) {
  {
    Statement has(db, "SELECT count(*) FROM pragma_table_info('cells') WHERE name = 'endpoint_api'");
    if (has.step() && has.column_int64(0) > 0) return;
  }
  add_cell_key_column(db, "endpoint_api", "TEXT NOT NULL DEFAULT ''");
  db.exec("UPDATE cells SET endpoint_api = 'completions' WHERE placement LIKE 'endpoint:%'");
}

// Version 9: how a cell's few-shot examples were chosen (docs/tasks.md "Few-shot"), part of the
// cell identity: 'lm-eval' (each task's lm-eval sampler) or 'first_n'; every cell stored before used
// lm-eval's. A no-op when the column exists. Needs foreign keys off, or empty tables (the create path).
void migrate_add_fewshot_sampler(Database& db) {
  add_cell_key_column(db, "fewshot_sampler", "TEXT NOT NULL DEFAULT 'lm-eval'");
}

int pragma_int(Database& db, const char* pragma) {
  Statement st(db, fmt::format("PRAGMA {}", pragma));
  return st.step() ? static_cast<int>(st.column_int64(0)) : 0;
}

std::string meta_value(Database& db, const char* key) {
  Statement st(db, "SELECT value FROM meta WHERE key = ?");
  st.bind(1, key);
  return st.step() ? st.column_text(0) : std::string();
}

void set_version(Database& db, int version) {
  Statement meta(db, "UPDATE meta SET value = ? WHERE key = 'schema_version'");
  meta.bind_all(std::to_string(version)).run();
  db.exec(fmt::format("PRAGMA user_version = {}", version));
}

}  // namespace

int schema_version(Database& db) { return pragma_int(db, "user_version"); }

void create_schema(Database& db) {
  Transaction tx(db);
  // Re-check inside the write lock: another process may have created it meanwhile.
  if (pragma_int(db, "user_version") != 0) return;
  db.exec(kCreateOtherTables);
  db.exec(cells_table("cells"));
  db.exec(kCreateClaims);
  migrate_add_phase_energy(db);
  migrate_add_request_latency(db);
  migrate_add_arrival_rate(db);
  migrate_add_endpoint_api(db);
  migrate_add_fewshot_sampler(db);
  Statement meta(db, "INSERT INTO meta (key, value) VALUES (?, ?)");
  meta.bind_all("schema_version", std::to_string(kSchemaVersion)).run();
  meta.bind_all("created_by", fmt::format("jouleval {}", util::build::kVersion)).run();
  db.exec("INSERT INTO meta (key, value) VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))");
  db.exec(fmt::format("PRAGMA application_id = {}", kApplicationId));
  db.exec(fmt::format("PRAGMA user_version = {}", kSchemaVersion));
  tx.commit();
}

void configure_connection(Database& db, bool durable) {
  Statement wal(db, "PRAGMA journal_mode = WAL");
  if (!wal.step() || wal.column_text(0) != "wal") db.fail_message("cannot switch the journal to WAL mode");
  db.exec(durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
}

void configure_read_only_connection(Database& db) { db.exec("PRAGMA query_only = ON"); }

void upgrade_schema(Database& db) {
  if (schema_version(db) == kSchemaVersion) return;
  // Rebuilding a table that others reference needs foreign key enforcement off, which SQLite
  // only changes outside a transaction; the check below restores the guarantee before committing.
  db.exec("PRAGMA foreign_keys = OFF");
  try {
    Transaction tx(db);
    const int version = schema_version(db);  // re-read under the write lock: another process may have upgraded
    if (version == 1) db.exec("ALTER TABLE repetitions ADD COLUMN passes INTEGER NOT NULL DEFAULT 1");
    if (version == 1 || version == 2) {
      db.exec(cells_table("cells_v3"));
      db.exec(kUpgrade2To3);
      db.exec(kCreateClaims);
      Statement check(db, "PRAGMA foreign_key_check");
      if (check.step()) db.fail_message("upgrading to schema version 3: a foreign key check failed");
    }
    // Version 3 -> 4: the host's peak resident memory per repetition (NULL: not recorded).
    if (version <= 3) {
      db.exec("ALTER TABLE repetitions ADD COLUMN peak_rss_bytes INTEGER");
      set_version(db, kSchemaVersion);
    }
    // Version 4 -> 5: the phases of generation repetitions (none for those already stored).
    if (version <= 4) {
      migrate_add_phase_energy(db);
      set_version(db, kSchemaVersion);
    }
    // Version 5 -> 6: the latency under load of endpoint repetitions (none for those already stored).
    if (version <= 5) {
      migrate_add_request_latency(db);
      set_version(db, kSchemaVersion);
    }
    // Version 6 -> 7: the cells' arrival rate, part of their key (0, a closed loop, for those stored).
    if (version <= 6) {
      migrate_add_arrival_rate(db);
      Statement check(db, "PRAGMA foreign_key_check");
      if (check.step()) db.fail_message("upgrading to schema version 7: a foreign key check failed");
      set_version(db, kSchemaVersion);
    }
    // Version 7 -> 8: the endpoint API in the cells' identity (stored endpoint cells: completions).
    if (version <= 7) {
      migrate_add_endpoint_api(db);
      Statement check(db, "PRAGMA foreign_key_check");
      if (check.step()) db.fail_message("upgrading to schema version 8: a foreign key check failed");
      set_version(db, kSchemaVersion);
    }
    // Version 8 -> 9: the few-shot sampler in the cells' identity (stored cells: lm-eval).
    if (version <= 8) {
      migrate_add_fewshot_sampler(db);
      Statement check(db, "PRAGMA foreign_key_check");
      if (check.step()) db.fail_message("upgrading to schema version 9: a foreign key check failed");
      set_version(db, kSchemaVersion);
    }
    tx.commit();
  } catch (...) {
    db.exec("PRAGMA foreign_keys = ON");
    throw;
  }
  db.exec("PRAGMA foreign_keys = ON");
}

bool check_schema(Database& db, bool create) {
  const int version = pragma_int(db, "user_version");
  const int application = pragma_int(db, "application_id");
  const bool empty = pragma_int(db, "page_count") == 0 || [&] {
    Statement st(db, "SELECT count(*) FROM sqlite_schema");
    return st.step() && st.column_int64(0) == 0;
  }();
  if (version == 0 && application == 0 && empty) {
    if (!create) db.fail_message("empty file, not a jouleval results database");
    return true;
  }
  if (application != kApplicationId) {
    db.fail_message("an SQLite database but not a jouleval results database (no jouleval application id)");
  }
  if (version < kOldestReadableVersion || version > kSchemaVersion) {
    const std::string by = meta_value(db, "created_by");
    db.fail_message(fmt::format(
        "results database has schema version {}{}, but this jouleval ({}) supports versions {} to {}; use a "
        "matching jouleval version",
        version, by.empty() ? "" : fmt::format(" (written by {})", by), util::build::kVersion, kOldestReadableVersion,
        kSchemaVersion));
  }
  return false;
}

}  // namespace jouleval::store
