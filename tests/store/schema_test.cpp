// Schema creation, version checks and the errors for files that are not results databases.
#include <gtest/gtest.h>
#include <sqlite3.h>

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

using test_util::TempDirTest;

class store_schema : public TempDirTest {};

int64_t query_int(Database& db, const std::string& sql) {
  Statement st(db, sql);
  EXPECT_TRUE(st.step()) << sql;
  return st.column_int64(0);
}

std::string error_of(const std::function<void()>& f, util::ExitCode* code = nullptr) {
  try {
    f();
  } catch (const util::Error& e) {
    if (code) *code = e.code();
    return e.what();
  }
  return "(no error)";
}

// Writes raw SQL to a file with SQLite directly (not through the store).
void raw_sql(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

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
  util::ExitCode code{};
  const std::string message = error_of([&] { Store store(path("old.db")); }, &code);
  EXPECT_EQ(code, util::ExitCode::kBadInput);
  EXPECT_NE(message.find(path("old.db").string()), std::string::npos) << message;
  EXPECT_NE(message.find("schema version 99"), std::string::npos) << message;
  EXPECT_NE(message.find("jouleval 9.9.9"), std::string::npos) << message;
  EXPECT_NE(message.find(fmt::format("supports version {}", kSchemaVersion)), std::string::npos) << message;
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

// A file of schema version 1 (before repetitions.passes) is upgraded in place, keeping its data.
TEST_F(store_schema, VersionOneIsUpgradedInPlace) {
  {
    Store store(path("v1.db"));
    store.upsert_machine(test_util::make_machine("m1"));
    const int64_t id = store.upsert_cell_pending(test_util::make_pending_cell("m1", test_util::make_key("fp16")));
    store.add_repetition(id, test_util::make_repetition(0));
  }
  raw_sql(path("v1.db"),
          "ALTER TABLE repetitions DROP COLUMN passes; PRAGMA user_version = 1; "
          "UPDATE meta SET value = '1' WHERE key = 'schema_version'");
  Store store(path("v1.db"), {.create = false});
  Database& db = store.database();
  EXPECT_EQ(query_int(db, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(query_int(db, "SELECT value FROM meta WHERE key = 'schema_version'"), kSchemaVersion);
  const auto cells = store.cells();
  ASSERT_EQ(cells.size(), 1u);
  ASSERT_EQ(cells[0].repetitions.size(), 1u);
  EXPECT_EQ(cells[0].repetitions[0].passes, 1);
}

TEST_F(store_schema, TextFileIsNotADatabase) {
  std::ofstream(path("notes.db")) << "this is not a database, just some text that is long enough to fill a header\n";
  util::ExitCode code{};
  const std::string message = error_of([&] { Store store(path("notes.db")); }, &code);
  EXPECT_EQ(code, util::ExitCode::kBadInput);
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
  util::ExitCode code{};
  const std::string message = error_of([&] { Store store(path("missing.db"), {.create = false}); }, &code);
  EXPECT_EQ(code, util::ExitCode::kBadInput);
  EXPECT_NE(message.find("missing.db"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(path("missing.db")));
}

}  // namespace
}  // namespace jouleval::store
