// Helpers shared by the store tests: a temporary directory per test and fully populated records.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <utility>

#include "store/merge.h"
#include "store/statement.h"
#include "store/store.h"

namespace jouleval::store::test_util {

// Runs `sql` on `file` through a connection of its own (SQLite's defaults: foreign keys off), as an
// older jouleval or another program would: to make old or damaged files for the tests.
inline void raw_sql(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

// The first column of the first row of `sql` (a count) on `store`'s connection.
inline int64_t count(Store& store, const char* sql) {
  Statement st(store.database(), sql);
  EXPECT_TRUE(st.step());
  return st.column_int64(0);
}

// A fresh directory under the system temp dir, removed at the end of the test.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "jouleval-store-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path path(const std::string& name) const { return dir_ / name; }

  std::filesystem::path dir_;
};

inline Machine make_machine(const std::string& id) {
  return {id, "host-" + id, "AMD EPYC 9654", "NVIDIA H100 80GB HBM3",
          R"({"gpu":{"uuid":"GPU-)" + id + R"(","driver":"550.54"},"os":"Linux"})"};
}

inline CellKey make_key(const std::string& precision, const std::string& task = "arc_challenge") {
  CellKey k;
  k.model = "qwen2.5-7b";
  k.model_sha256 = "ab12cd";
  k.file_sha256 = "ef34-" + precision;
  k.precision = precision;
  k.kv_type = "f16";
  k.placement = "gpu";
  k.task = task;
  k.limit = 100;
  k.shots = 25;
  k.engine.threads = 16;
  return k;
}

// A meter with every optional set, or (available == false) with every optional absent.
inline MeterEnergy make_meter(const std::string& name, bool available) {
  MeterEnergy m;
  m.meter = name;
  m.device = "device of " + name;
  m.kind = name == "rapl" ? "cpu" : "gpu";
  m.available = available;
  if (!available) {
    m.unavailable_reason = "permission denied reading /sys/class/powercap";
    return m;
  }
  m.estimated = false;
  m.counter_joules = 1234.5;
  m.integrated_joules = 1230.25;
  m.disagreement = 0.0034;
  m.disagreement_flag = true;
  m.idle_watts = 61.5;
  m.total_joules = 1234.5;
  m.active_joules = 0.0;  // a real zero must stay a zero (not become absent)
  m.avg_watts = 250.75;
  m.peak_watts = 412.0;
  m.temp_start_c = 34.0;
  m.temp_end_c = 51.5;
  return m;
}

inline Repetition make_repetition(int32_t index, int samples = 4) {
  Repetition r;
  r.index = index;
  r.started_at = "2025-01-02T03:04:05Z";
  r.seconds = 12.5 + index;
  r.short_window = index % 2 == 1;
  r.prompt_tokens = 100000 + index;
  r.generated_tokens = 5000000000LL;  // beyond 32 bits
  r.decode_calls = 77;
  r.items = 100;
  r.meters = {make_meter("nvml:0", true), make_meter("rapl", false), make_meter("external", true)};
  for (int i = 0; i < samples; ++i) r.timeline.push_back({0.05 * i, i % 2 ? "rapl" : "nvml:0", 100.0 + i});
  return r;
}

inline Cell make_pending_cell(const std::string& machine_id, const CellKey& key) {
  Cell c;
  c.machine_id = machine_id;
  c.key = key;
  c.model_path = "/models/qwen2.5-7b-" + key.precision + ".gguf";
  c.model_size_bytes = 15'000'000'000ULL;
  c.model_params = 7'615'616'512ULL;
  c.weight_types = "f16,q8_0";
  c.random_weights = true;
  c.load_seconds = 3.25;
  c.peak_gpu_memory_bytes = 16'000'000'000ULL;
  return c;
}

// Two cells whose keys `a` and `b` differ in one field of the identity: `file` (a new database)
// stores them as two cells, each found by its own key and read back with it, and a merge of `file`
// into `merged` keeps both with their keys. Returns their ids in `file`.
inline std::pair<int64_t, int64_t> expect_two_cells(const std::filesystem::path& file,
                                                    const std::filesystem::path& merged, const CellKey& a,
                                                    const CellKey& b) {
  std::pair<int64_t, int64_t> ids;
  {
    Store store(file);
    store.upsert_machine(make_machine("m1"));
    ids = {store.upsert_cell_pending(make_pending_cell("m1", a)),
           store.upsert_cell_pending(make_pending_cell("m1", b))};
    EXPECT_NE(ids.first, ids.second);
    EXPECT_EQ(store.ensure_cell("m1", a), ids.first);
    EXPECT_EQ(store.ensure_cell("m1", b), ids.second);
    const auto found_a = store.find_cell("m1", a);
    const auto found_b = store.find_cell("m1", b);
    EXPECT_TRUE(found_a && found_a->id == ids.first);
    EXPECT_TRUE(found_b && found_b->id == ids.second);
    EXPECT_EQ(store.cell(ids.first)->key, a);
    EXPECT_EQ(store.cell(ids.second)->key, b);
    EXPECT_EQ(store.cells().size(), 2U);
  }
  merge({file}, merged);
  Store out(merged, {.create = false, .read_only = true});
  const auto cells = out.cells();
  EXPECT_EQ(cells.size(), 2U) << "merge keeps both cells";
  int found = 0;
  for (const auto& c : cells) found += (c.key == a ? 1 : 0) + (c.key == b ? 2 : 0);
  EXPECT_EQ(found, 3) << "each key once";
  return ids;
}

// SQL that turns a file's cells table into the cells table of schema version `version` as jouleval
// wrote it (6, and 3 to 5: without arrival_rate, endpoint_api and fewshot_sampler; 7: arrival_rate in
// the key; 8: arrival_rate and endpoint_api in the key, without fewshot_sampler), its rows kept, and stamps the file
// with that version: a genuine old file for the upgrade and merge tests. Written out here, not derived from
// src/store/schema.cpp (what the tests check).
constexpr const char* kCellsColumns = R"sql(
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
  peak_gpu_memory_bytes INTEGER NOT NULL DEFAULT 0, engine_used_json TEXT NOT NULL DEFAULT '{}',
  reference_precision TEXT, answer_flips REAL, mean_kl REAL,)sql";
constexpr const char* kCopiedColumns = R"sql(id, machine_id, model, model_sha256, file_sha256, precision,
  kv_type, placement, task, item_limit, shots, preset, seed, context_size, batch_size, ubatch_size, scoring_lanes,
  max_sequences, threads, flash_attention, status, skip_reason, run_id, model_path, model_size_bytes, model_params,
  weight_types, random_weights, load_seconds, peak_gpu_memory_bytes, engine_used_json, reference_precision,
  answer_flips, mean_kl)sql";
constexpr const char* kKeyColumns = R"sql(machine_id, model, model_sha256, file_sha256, precision, kv_type,
  placement, task, item_limit, shots, preset, seed, context_size, batch_size, ubatch_size, scoring_lanes,
  max_sequences, threads, flash_attention)sql";

inline std::string old_cells_sql(int version) {
  std::string columns;  // the key columns added since version 6
  std::string key;
  if (version >= 7) {
    columns += "arrival_rate REAL NOT NULL DEFAULT 0,";
    key += ", arrival_rate";
  }
  if (version >= 8) {
    columns += " endpoint_api TEXT NOT NULL DEFAULT '',";
    key += ", endpoint_api";
  }
  return fmt::format(R"sql(
CREATE TABLE cells_old ({0}
  {1}
  UNIQUE ({2}{3}));
INSERT INTO cells_old ({4}{3}) SELECT {4}{3} FROM cells;
DROP TABLE cells;
ALTER TABLE cells_old RENAME TO cells;
PRAGMA user_version = {5};
UPDATE meta SET value = '{5}' WHERE key = 'schema_version';
)sql",
                     kCellsColumns, columns, kKeyColumns, key, kCopiedColumns, version);
}

}  // namespace jouleval::store::test_util
