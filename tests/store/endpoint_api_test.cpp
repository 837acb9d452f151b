// The endpoint API in the cell identity (cells.endpoint_api, schema version 7; docs/endpoint.md
// "Chat completions"): a chat cell and a completions cell of the same server are two cells, the API
// is read back and merged, and a version 6 file (whose endpoint cells were all completions) is read
// as it is and upgraded in place without losing its cells.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/merge.h"
#include "store/schema.h"
#include "store/statement.h"
#include "store/store.h"
#include "store_test_util.h"

namespace jouleval::store {
namespace {

using namespace test_util;

class store_endpoint_api : public TempDirTest {};

CellKey endpoint_key(const std::string& api) {
  CellKey k = make_key("served", "gsm8k");
  k.model_sha256 = "";
  k.file_sha256 = "";
  k.kv_type = "server";
  k.placement = "endpoint:127.0.0.1:8080";
  k.engine.max_sequences = 8;
  k.engine.endpoint_api = api;
  return k;
}

TEST_F(store_endpoint_api, AChatCellAndACompletionsCellAreTwoCells) {
  {
    Store store(path("a.db"));
    store.upsert_machine(make_machine("m1"));
    const int64_t chat = store.upsert_cell_pending(make_pending_cell("m1", endpoint_key("chat")));
    const int64_t completions = store.upsert_cell_pending(make_pending_cell("m1", endpoint_key("completions")));
    EXPECT_NE(chat, completions);
    EXPECT_EQ(store.ensure_cell("m1", endpoint_key("chat")), chat);
    ASSERT_TRUE(store.find_cell("m1", endpoint_key("completions")));
    EXPECT_EQ(store.find_cell("m1", endpoint_key("completions"))->id, completions);
    EXPECT_FALSE(store.find_cell("m1", endpoint_key("")));
    EXPECT_EQ(store.cell(chat)->key.engine.endpoint_api, "chat");
    EXPECT_EQ(store.cell(completions)->key.engine.endpoint_api, "completions");
  }
  merge({path("a.db")}, path("out.db"));
  Store out(path("out.db"), {.create = false, .read_only = true});
  const auto cells = out.cells();
  ASSERT_EQ(cells.size(), 2U);
  EXPECT_EQ(cells[0].key.engine.endpoint_api, "chat");
  EXPECT_EQ(cells[1].key.engine.endpoint_api, "completions");
}

// The cells table of schema versions 3 to 6 (without endpoint_api).
constexpr const char* kVersion6Cells = R"sql(
CREATE TABLE cells_v6 (
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
  reference_precision TEXT, answer_flips REAL, mean_kl REAL,
  UNIQUE (machine_id, model, model_sha256, file_sha256, precision, kv_type, placement, task, item_limit, shots,
          preset, seed, context_size, batch_size, ubatch_size, scoring_lanes, max_sequences, threads,
          flash_attention));
INSERT INTO cells_v6 SELECT id, machine_id, model, model_sha256, file_sha256, precision, kv_type, placement, task,
  item_limit, shots, preset, seed, context_size, batch_size, ubatch_size, scoring_lanes, max_sequences, threads,
  flash_attention, status, skip_reason, run_id, model_path, model_size_bytes, model_params, weight_types,
  random_weights, load_seconds, peak_gpu_memory_bytes, engine_used_json, reference_precision, answer_flips, mean_kl
  FROM cells;
DROP TABLE cells;
ALTER TABLE cells_v6 RENAME TO cells;
PRAGMA user_version = 6;
UPDATE meta SET value = '6' WHERE key = 'schema_version';
)sql";

TEST_F(store_endpoint_api, AVersionSixFileIsReadAsItIsAndUpgraded) {
  int64_t served = 0;
  int64_t local = 0;
  {
    Store store(path("v6.db"));
    store.upsert_machine(make_machine("m1"));
    served = store.upsert_cell_pending(make_pending_cell("m1", endpoint_key("completions")));
    ASSERT_TRUE(store.add_repetition(served, make_repetition(0)));
    local = store.upsert_cell_pending(make_pending_cell("m1", make_key("fp16", "gsm8k")));
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path("v6.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA foreign_keys = OFF", nullptr, nullptr, nullptr), SQLITE_OK);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, kVersion6Cells, nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }
  {
    Store read_only(path("v6.db"), {.create = false, .read_only = true});
    EXPECT_EQ(read_only.schema_version(), 6);
    EXPECT_EQ(read_only.cell(served)->key.engine.endpoint_api, "completions");  // the only API before version 7
    EXPECT_EQ(read_only.cell(local)->key.engine.endpoint_api, "");
  }
  Store store(path("v6.db"), {.create = false});
  EXPECT_EQ(store.schema_version(), kSchemaVersion);
  EXPECT_EQ(store.cell(served)->key.engine.endpoint_api, "completions");
  EXPECT_EQ(store.cell(served)->repetitions.size(), 1U);  // the children kept their cell
  EXPECT_EQ(store.cell(local)->key.engine.endpoint_api, "");
  // The same command resumes the stored cell; the chat API is another cell.
  ASSERT_TRUE(store.find_cell("m1", endpoint_key("completions")));
  EXPECT_EQ(store.find_cell("m1", endpoint_key("completions"))->id, served);
  EXPECT_NE(store.ensure_cell("m1", endpoint_key("chat")), served);
  Statement fk(store.database(), "PRAGMA foreign_key_check");
  EXPECT_FALSE(fk.step());
}

}  // namespace
}  // namespace jouleval::store
