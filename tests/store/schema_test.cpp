// Schema creation, version checks and the errors for files that are not results databases.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <functional>

#include "store/schema.h"
#include "store/statement.h"
#include "store/store.h"
#include "store_test_util.h"
#include "util/error.h"

namespace jouleval::store {
namespace {

using test_util::raw_sql;
using test_util::TempDirTest;

class store_schema : public TempDirTest {};

int64_t query_int(Database& db, const std::string& sql) {
  Statement st(db, sql);
  EXPECT_TRUE(st.step()) << sql;
  return st.column_int64(0);
}

std::string error_of(const std::function<void()>& f, util::ErrorKind* code = nullptr) {
  try {
    f();
  } catch (const util::Error& e) {
    if (code) *code = e.code();
    return e.what();
  }
  return "(no error)";
}

// Writes raw SQL to a file with SQLite directly (not through the store).
TEST_F(store_schema, CreatesTablesVersionAndWal) {
  Store store(path("new.db"));
  Database& db = store.database();
  EXPECT_EQ(query_int(db, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(query_int(db, "PRAGMA application_id"), kApplicationId);
  EXPECT_EQ(query_int(db, "PRAGMA foreign_keys"), 1);
  EXPECT_EQ(query_int(db, "PRAGMA synchronous"), 2);  // FULL
  Statement mode(db, "PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.column_text(0), "wal");
  for (const char* table :
       {"meta", "runs", "machines", "cells", "metrics", "repetitions", "meters", "items", "timeline"}) {
    EXPECT_EQ(query_int(db, fmt::format("SELECT count(*) FROM sqlite_schema WHERE type='table' AND name='{}'", table)),
              1)
        << table;
  }
  Statement meta(db, "SELECT value FROM meta WHERE key = 'schema_version'");
  ASSERT_TRUE(meta.step());
  EXPECT_EQ(meta.column_text(0), std::to_string(kSchemaVersion));
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM meta WHERE key = 'created_by' AND value LIKE 'jouleval %'"), 1);
}

TEST_F(store_schema, ReopeningKeepsData) {
  {
    Store store(path("a.db"));
    store.upsert_machine(test_util::make_machine("m1"));
  }
  Store again(path("a.db"), {.create = false});
  ASSERT_EQ(again.machines().size(), 1u);
  EXPECT_EQ(again.machines()[0].hostname, "host-m1");
}

TEST_F(store_schema, OtherVersionIsRefusedNamingFileAndVersions) {
  { Store store(path("old.db")); }
  raw_sql(path("old.db"),
          "PRAGMA user_version = 99; UPDATE meta SET value = 'jouleval 9.9.9' WHERE key = 'created_by'");
  util::ErrorKind code{};
  const std::string message = error_of([&] { Store store(path("old.db")); }, &code);
  EXPECT_EQ(code, util::ErrorKind::kBadInput);
  EXPECT_NE(message.find(path("old.db").string()), std::string::npos) << message;
  EXPECT_NE(message.find("schema version 99"), std::string::npos) << message;
  EXPECT_NE(message.find("jouleval 9.9.9"), std::string::npos) << message;
  EXPECT_NE(message.find(fmt::format("supports versions {} to {}", kOldestReadableVersion, kSchemaVersion)),
            std::string::npos)
      << message;
}

TEST_F(store_schema, PassesRoundTrip) {
  Store store(path("p.db"));
  store.upsert_machine(test_util::make_machine("m1"));
  const int64_t id = store.upsert_cell_pending(test_util::make_pending_cell("m1", test_util::make_key("fp16")));
  Repetition rep = test_util::make_repetition(0);
  rep.passes = 4;
  store.add_repetition(id, rep);
  store.add_repetition(id, test_util::make_repetition(1));
  const auto cell = store.cell(id);
  ASSERT_TRUE(cell);
  ASSERT_EQ(cell->repetitions.size(), 2u);
  EXPECT_EQ(cell->repetitions[0].passes, 4);
  EXPECT_EQ(cell->repetitions[1].passes, 1);
}

// The schema of version 2 exactly as jouleval 0.1.0 wrote it (cells keyed by ten fields), with one
// machine, run, cell and repetition: a real old file, not one made by this version.
constexpr const char* kVersion2File = R"sql(
PRAGMA application_id = 1246713164;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE machines (id TEXT PRIMARY KEY, hostname TEXT NOT NULL, cpu_model TEXT NOT NULL, gpu_name TEXT NOT NULL,
  fingerprint_json TEXT NOT NULL);
CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, command_line TEXT NOT NULL,
  config_json TEXT NOT NULL, machine_id TEXT NOT NULL REFERENCES machines(id), jouleval_version TEXT NOT NULL);
CREATE TABLE cells (id INTEGER PRIMARY KEY, machine_id TEXT NOT NULL REFERENCES machines(id),
  model TEXT NOT NULL, model_sha256 TEXT NOT NULL, precision TEXT NOT NULL, kv_type TEXT NOT NULL,
  placement TEXT NOT NULL, task TEXT NOT NULL, item_limit INTEGER NOT NULL, shots INTEGER NOT NULL,
  threads INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'skipped', 'failed')),
  skip_reason TEXT NOT NULL DEFAULT '', run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  model_path TEXT NOT NULL DEFAULT '', model_size_bytes INTEGER NOT NULL DEFAULT 0,
  model_params INTEGER NOT NULL DEFAULT 0, weight_types TEXT NOT NULL DEFAULT '',
  random_weights INTEGER NOT NULL DEFAULT 0, load_seconds REAL NOT NULL DEFAULT 0,
  peak_gpu_memory_bytes INTEGER NOT NULL DEFAULT 0, reference_precision TEXT, answer_flips REAL, mean_kl REAL,
  UNIQUE (machine_id, model, model_sha256, precision, kv_type, placement, task, item_limit, shots, threads));
CREATE TABLE metrics (cell_id INTEGER NOT NULL REFERENCES cells(id) ON DELETE CASCADE, name TEXT NOT NULL,
  value REAL NOT NULL, stderr REAL, PRIMARY KEY (cell_id, name));
CREATE TABLE repetitions (id INTEGER PRIMARY KEY, cell_id INTEGER NOT NULL REFERENCES cells(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL, run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL, started_at TEXT NOT NULL,
  seconds REAL NOT NULL, short_window INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL,
  generated_tokens INTEGER NOT NULL, decode_calls INTEGER NOT NULL, items INTEGER NOT NULL,
  passes INTEGER NOT NULL DEFAULT 1, UNIQUE (cell_id, idx));
CREATE TABLE meters (id INTEGER PRIMARY KEY,
  repetition_id INTEGER NOT NULL REFERENCES repetitions(id) ON DELETE CASCADE, meter TEXT NOT NULL,
  device TEXT NOT NULL, kind TEXT NOT NULL, available INTEGER NOT NULL, unavailable_reason TEXT NOT NULL,
  estimated INTEGER NOT NULL, counter_joules REAL, integrated_joules REAL, disagreement REAL,
  disagreement_flag INTEGER NOT NULL, idle_watts REAL, total_joules REAL, active_joules REAL, avg_watts REAL,
  peak_watts REAL, temp_start_c REAL, temp_end_c REAL, UNIQUE (repetition_id, meter));
CREATE TABLE items (id INTEGER PRIMARY KEY, cell_id INTEGER NOT NULL REFERENCES cells(id) ON DELETE CASCADE,
  item_id TEXT NOT NULL, correct INTEGER NOT NULL, json TEXT NOT NULL, UNIQUE (cell_id, item_id));
CREATE TABLE timeline (repetition_id INTEGER NOT NULL REFERENCES repetitions(id) ON DELETE CASCADE,
  t REAL NOT NULL, meter TEXT NOT NULL, watts REAL NOT NULL);
CREATE INDEX timeline_by_repetition ON timeline (repetition_id);
CREATE INDEX runs_by_machine ON runs (machine_id);
INSERT INTO meta VALUES ('schema_version', '2'), ('created_by', 'jouleval 0.1.0'), ('created_at', '2026-11-01T00:00:00Z');
INSERT INTO machines VALUES ('m1', 'host', 'cpu', 'gpu', '{}');
INSERT INTO runs VALUES (1, '2026-11-01T00:00:00Z', 'jouleval run', '{}', 'm1', '0.0.9');
INSERT INTO cells (id, machine_id, model, model_sha256, precision, kv_type, placement, task, item_limit, shots,
  threads, status, run_id) VALUES (7, 'm1', 'tiny', 'abc', 'fp16', 'f16', 'cpu', 'mmlu', 20, 0, 2, 'done', 1);
INSERT INTO metrics VALUES (7, 'acc', 0.25, 0.1);
INSERT INTO repetitions (id, cell_id, idx, run_id, started_at, seconds, short_window, prompt_tokens,
  generated_tokens, decode_calls, items, passes) VALUES (3, 7, 0, 1, '2026-11-01T00:00:01Z', 1.5, 0, 100, 0, 1, 20, 2);
PRAGMA user_version = 2;
)sql";

// An old file is read as it is by a read-only open: nothing in it changes, and the identity fields it
// never recorded read as "not recorded".
TEST_F(store_schema, VersionTwoIsReadAsItIsByReadOnlyOpens) {
  raw_sql(path("v2.db"), kVersion2File);
  const auto before = std::filesystem::last_write_time(path("v2.db"));
  Store store(path("v2.db"), {.create = false, .read_only = true});
  EXPECT_EQ(store.schema_version(), 2);
  const auto cells = store.cells();
  ASSERT_EQ(cells.size(), 1u);
  EXPECT_EQ(cells[0].key.file_sha256, "");
  EXPECT_EQ(cells[0].key.seed, results::kNotRecorded);
  EXPECT_EQ(cells[0].key.engine.context_size, results::kNotRecorded);
  EXPECT_EQ(cells[0].key.engine.threads, 2);
  ASSERT_EQ(cells[0].repetitions.size(), 1u);
  EXPECT_EQ(cells[0].repetitions[0].passes, 2);
  EXPECT_EQ(cells[0].repetitions[0].jouleval_version, "0.0.9");  // from its run
  EXPECT_THROW(store.heartbeat("x"), util::Error);               // read-only: every write throws
  EXPECT_EQ(query_int(store.database(), "PRAGMA user_version"), 2);
  EXPECT_EQ(std::filesystem::last_write_time(path("v2.db")), before);
  EXPECT_FALSE(std::filesystem::exists(path("v2.db-wal")));
}

// A writable open upgrades an old file in place, keeping its data; the new key then tells apart cells
// that differ only in a field version 2 did not record.
TEST_F(store_schema, VersionTwoIsUpgradedInPlace) {
  raw_sql(path("v2.db"), kVersion2File);
  Store store(path("v2.db"), {.create = false});
  Database& db = store.database();
  EXPECT_EQ(query_int(db, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(query_int(db, "SELECT value FROM meta WHERE key = 'schema_version'"), kSchemaVersion);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM claims"), 0);
  EXPECT_EQ(query_int(db, "PRAGMA foreign_keys"), 1);
  const auto cells = store.cells();
  ASSERT_EQ(cells.size(), 1u);
  EXPECT_EQ(cells[0].id, 7);
  EXPECT_EQ(cells[0].status, CellStatus::kDone);
  EXPECT_EQ(cells[0].key.seed, results::kNotRecorded);
  ASSERT_EQ(cells[0].metrics.size(), 1u);
  ASSERT_EQ(cells[0].repetitions.size(), 1u);
  EXPECT_EQ(cells[0].repetitions[0].jouleval_version, "0.0.9");
  CellKey newer = cells[0].key;
  newer.seed = 1234;
  EXPECT_FALSE(store.find_cell("m1", newer));
  EXPECT_NE(store.ensure_cell("m1", newer), 7);
}

// A file of schema version 1 (before repetitions.passes) is upgraded in place, keeping its data.
TEST_F(store_schema, VersionOneIsUpgradedInPlace) {
  raw_sql(path("v1.db"), kVersion2File);
  raw_sql(path("v1.db"),
          "ALTER TABLE repetitions DROP COLUMN passes; PRAGMA user_version = 1; "
          "UPDATE meta SET value = '1' WHERE key = 'schema_version'");
  {
    Store read_only(path("v1.db"), {.create = false, .read_only = true});
    ASSERT_EQ(read_only.cells().at(0).repetitions.at(0).passes, 1);
  }
  Store store(path("v1.db"), {.create = false});
  Database& db = store.database();
  EXPECT_EQ(query_int(db, "PRAGMA user_version"), kSchemaVersion);
  const auto cells = store.cells();
  ASSERT_EQ(cells.size(), 1u);
  ASSERT_EQ(cells[0].repetitions.size(), 1u);
  EXPECT_EQ(cells[0].repetitions[0].passes, 1);
}

// The host's peak resident memory per repetition (v4) is stored exactly, and absent stays absent.
TEST_F(store_schema, PeakRssRoundTripsAndAbsentStaysAbsent) {
  Store store(path("rss.db"));
  store.upsert_machine(test_util::make_machine("m1"));
  const int64_t id = store.upsert_cell_pending(test_util::make_pending_cell("m1", test_util::make_key("fp16", "mmlu")));
  Repetition measured = test_util::make_repetition(0);
  measured.peak_rss_bytes = 5'000'000'123ULL;  // beyond 32 bits
  store.add_repetition(id, measured);
  store.add_repetition(id, test_util::make_repetition(1));
  const auto cell = store.cell(id);
  ASSERT_TRUE(cell);
  ASSERT_EQ(cell->repetitions.size(), 2u);
  EXPECT_EQ(cell->repetitions[0].peak_rss_bytes, 5'000'000'123ULL);
  EXPECT_FALSE(cell->repetitions[1].peak_rss_bytes);
}

// A version 3 file (before repetitions.peak_rss_bytes) reads as "not recorded" read-only, unchanged,
// and is upgraded in place by a writable open, its repetitions still "not recorded".
TEST_F(store_schema, VersionThreeHasNoPeakRss) {
  {
    Store store(path("v3.db"));
    store.upsert_machine(test_util::make_machine("m1"));
    const int64_t id =
        store.upsert_cell_pending(test_util::make_pending_cell("m1", test_util::make_key("fp16", "mmlu")));
    store.add_repetition(id, test_util::make_repetition(0));
  }
  raw_sql(path("v3.db"),
          "ALTER TABLE repetitions DROP COLUMN peak_rss_bytes; PRAGMA user_version = 3; "
          "UPDATE meta SET value = '3' WHERE key = 'schema_version'");
  {
    Store read_only(path("v3.db"), {.create = false, .read_only = true});
    EXPECT_EQ(read_only.schema_version(), 3);
    const auto cells = read_only.cells();
    ASSERT_EQ(cells.at(0).repetitions.size(), 1u);
    EXPECT_FALSE(cells[0].repetitions[0].peak_rss_bytes);
    EXPECT_EQ(query_int(read_only.database(), "PRAGMA user_version"), 3);
  }
  Store store(path("v3.db"), {.create = false});
  EXPECT_EQ(query_int(store.database(), "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(query_int(store.database(), "SELECT value FROM meta WHERE key = 'schema_version'"), kSchemaVersion);
  EXPECT_EQ(query_int(store.database(), "SELECT count(*) FROM repetitions WHERE peak_rss_bytes IS NULL"), 1);
  const auto cells = store.cells();
  EXPECT_FALSE(cells.at(0).repetitions.at(0).peak_rss_bytes);
  Repetition next = test_util::make_repetition(1);
  next.peak_rss_bytes = 4096;
  store.add_repetition(cells[0].id, next);
  EXPECT_EQ(store.cell(cells[0].id)->repetitions.at(1).peak_rss_bytes, 4096u);
}

// PRAGMA quick_check failures are reported naming the file, as bad input.
TEST_F(store_schema, DamagedFileFailsTheIntegrityCheck) {
  {
    Store store(path("d.db"));
    store.upsert_machine(test_util::make_machine("m1"));
    for (int i = 0; i < 200; ++i) {
      const int64_t id = store.upsert_cell_pending(
          test_util::make_pending_cell("m1", test_util::make_key("fp16", "task" + std::to_string(i))));
      store.add_repetition(id, test_util::make_repetition(0));
    }
    store.database().exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  // Overwrite the middle of the file (index and table pages) with garbage.
  {
    std::fstream f(path("d.db"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(path("d.db")) / 2));
    const std::string garbage(8192, '\x5a');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  util::ErrorKind code{};
  const std::string message = error_of(
      [&] {
        Store store(path("d.db"), {.create = false, .read_only = true});
        store.check_integrity();
      },
      &code);
  EXPECT_EQ(code, util::ErrorKind::kBadInput) << message;
  EXPECT_NE(message.find(path("d.db").string()), std::string::npos) << message;
}

TEST_F(store_schema, TextFileIsNotADatabase) {
  std::ofstream(path("notes.db")) << "this is not a database, just some text that is long enough to fill a header\n";
  util::ErrorKind code{};
  const std::string message = error_of([&] { Store store(path("notes.db")); }, &code);
  EXPECT_EQ(code, util::ErrorKind::kBadInput);
  EXPECT_NE(message.find(path("notes.db").string()), std::string::npos) << message;
  EXPECT_NE(message.find("not a jouleval results database"), std::string::npos) << message;
}

TEST_F(store_schema, ForeignSqliteDatabaseIsRefused) {
  raw_sql(path("other.db"), "CREATE TABLE t (x)");
  const std::string message = error_of([&] { Store store(path("other.db")); });
  EXPECT_NE(message.find(path("other.db").string()), std::string::npos) << message;
  EXPECT_NE(message.find("not a jouleval results database"), std::string::npos) << message;
}

TEST_F(store_schema, CorruptDatabaseIsReported) {
  {
    Store store(path("c.db"));
    store.upsert_machine(test_util::make_machine("m1"));
  }
  // Overwrite the middle of the file (past the header) with garbage.
  {
    std::fstream f(path("c.db"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    const std::string garbage(8000, '\xAB');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  const std::string message = error_of([&] {
    Store store(path("c.db"), {.create = false});
    (void)store.machines();
    (void)store.cells();
  });
  EXPECT_NE(message.find(path("c.db").string()), std::string::npos) << message;
  EXPECT_NE(message, "(no error)");
}

TEST_F(store_schema, MissingFileWithoutCreate) {
  util::ErrorKind code{};
  const std::string message = error_of([&] { Store store(path("missing.db"), {.create = false}); }, &code);
  EXPECT_EQ(code, util::ErrorKind::kBadInput);
  EXPECT_NE(message.find("missing.db"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(path("missing.db")));
}

}  // namespace
}  // namespace jouleval::store
