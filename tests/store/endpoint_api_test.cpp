// The endpoint API in the cell identity (cells.endpoint_api, schema version 8; docs/endpoint.md
// "Chat completions"): a chat cell and a completions cell of the same server are two cells, the API
// is read back and merged, and version 6 and 7 files (whose endpoint cells were all completions) are
// read as they are, merged, and upgraded in place without losing their cells.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <utility>

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
  const auto [chat, completions] =
      expect_two_cells(path("a.db"), path("out.db"), endpoint_key("chat"), endpoint_key("completions"));
  Store store(path("a.db"));
  EXPECT_FALSE(store.find_cell("m1", endpoint_key("")));
  EXPECT_EQ(store.cell(chat)->key.engine.endpoint_api, "chat");
  EXPECT_EQ(store.cell(completions)->key.engine.endpoint_api, "completions");
}

// A file of `version` (6 or 7) holding an endpoint cell (completions, the only API then; at 4.5
// requests per second for version 7) with a repetition and an in-process cell. Returns their ids.
std::pair<int64_t, int64_t> write_old_file(const std::filesystem::path& file, int version) {
  int64_t served = 0;
  int64_t local = 0;
  {
    Store store(file);
    store.upsert_machine(make_machine("m1"));
    CellKey key = endpoint_key("completions");
    if (version == 7) key.engine.arrival_rate = 4.5;
    served = store.upsert_cell_pending(make_pending_cell("m1", key));
    EXPECT_TRUE(store.add_repetition(served, make_repetition(0)));
    local = store.upsert_cell_pending(make_pending_cell("m1", make_key("fp16", "gsm8k")));
  }
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "PRAGMA foreign_keys = OFF", nullptr, nullptr, nullptr), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, old_cells_sql(version).c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
  return {served, local};
}

class store_endpoint_api_old_file : public TempDirTest, public ::testing::WithParamInterface<int> {};

TEST_P(store_endpoint_api_old_file, IsReadAsItIsMergedAndUpgraded) {
  const int version = GetParam();
  const double rate = version == 7 ? 4.5 : 0;
  const auto [served, local] = write_old_file(path("old.db"), version);
  CellKey completions = endpoint_key("completions");
  completions.engine.arrival_rate = rate;
  CellKey chat = completions;
  chat.engine.endpoint_api = "chat";
  {
    Store read_only(path("old.db"), {.create = false, .read_only = true});
    EXPECT_EQ(read_only.schema_version(), version);
    {
      Statement columns(read_only.database(),
                        "SELECT count(*) FROM pragma_table_info('cells') WHERE name = 'endpoint_api'");
      ASSERT_TRUE(columns.step());
      EXPECT_EQ(columns.column_int64(0), 0) << "a genuine old file has no endpoint_api column";
    }
    EXPECT_EQ(read_only.cell(served)->key.engine.endpoint_api, "completions");  // the only API before version 8
    EXPECT_EQ(read_only.cell(served)->key.engine.arrival_rate, rate);
    EXPECT_EQ(read_only.cell(local)->key.engine.endpoint_api, "");
  }
  merge({path("old.db")}, path("merged.db"));
  {
    Store merged(path("merged.db"), {.create = false, .read_only = true});
    const auto cells = merged.cells();
    ASSERT_EQ(cells.size(), 2U);
    EXPECT_EQ(cells[0].key, completions);
    EXPECT_EQ(cells[0].repetitions.size(), 1U);
    EXPECT_EQ(cells[1].key.engine.endpoint_api, "");
  }
  Store store(path("old.db"), {.create = false});
  EXPECT_EQ(store.schema_version(), kSchemaVersion);
  EXPECT_EQ(store.cell(served)->key, completions);
  EXPECT_EQ(store.cell(served)->repetitions.size(), 1U);  // the children kept their cell
  EXPECT_EQ(store.cell(local)->key.engine.endpoint_api, "");
  // The same command resumes the stored cell; the chat API is another cell.
  ASSERT_TRUE(store.find_cell("m1", completions));
  EXPECT_EQ(store.find_cell("m1", completions)->id, served);
  EXPECT_NE(store.ensure_cell("m1", chat), served);
  Statement fk(store.database(), "PRAGMA foreign_key_check");
  EXPECT_FALSE(fk.step());
  store.delete_cell(served);
  Statement reps(store.database(), "SELECT count(*) FROM repetitions");
  ASSERT_TRUE(reps.step());
  EXPECT_EQ(reps.column_int64(0), 0) << "cascades still reach the rebuilt cells";
}

INSTANTIATE_TEST_SUITE_P(Versions, store_endpoint_api_old_file, ::testing::Values(6, 7));

}  // namespace
}  // namespace jouleval::store
