// The latency under load of endpoint repetitions (table request_latency, schema version 6): stored
// with its repetition, read back, deleted with its cell, copied by merge, and a version 5 file read
// without it and upgraded in place.
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

class store_latency : public TempDirTest {};

const char* kSummary = R"({"requests":4,"streamed":true,"ttft_p50_ms":61.5,"goodput_requests_per_s":null})";

TEST_F(store_latency, RoundTripMergeAndDelete) {
  {
    Store store(path("a.db"));
    store.upsert_machine(make_machine("m1"));
    const int64_t id = store.upsert_cell_pending(make_pending_cell("m1", make_key("served", "gsm8k")));
    Repetition rep = make_repetition(0);
    rep.latency_json = kSummary;
    ASSERT_TRUE(store.add_repetition(id, rep));
    ASSERT_TRUE(store.add_repetition(id, make_repetition(1)));  // none recorded
    const auto cell = store.cell(id);
    ASSERT_TRUE(cell);
    EXPECT_EQ(cell->repetitions.at(0).latency_json, kSummary);
    EXPECT_EQ(cell->repetitions.at(1).latency_json, "");
    EXPECT_EQ(count(store, "SELECT count(*) FROM request_latency"), 1);
    store.finish_cell(id, {{"exact_match", 0.5, 0.1}}, {}, Fidelity{});
  }
  merge({path("a.db")}, path("out.db"));
  {
    Store out(path("out.db"), {.create = false, .read_only = true});
    EXPECT_EQ(out.cells().at(0).repetitions.at(0).latency_json, kSummary);
  }
  Store store(path("a.db"), {.create = false});
  store.delete_cell(store.cells().at(0).id);
  EXPECT_EQ(count(store, "SELECT count(*) FROM request_latency"), 0);
}

TEST_F(store_latency, AVersionFiveFileHasNoLatencyAndIsUpgraded) {
  {
    Store store(path("v5.db"));
    store.upsert_machine(make_machine("m1"));
    const int64_t id = store.upsert_cell_pending(make_pending_cell("m1", make_key("served", "gsm8k")));
    store.add_repetition(id, make_repetition(0));
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path("v5.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "DROP TABLE request_latency; PRAGMA user_version = 5; "
                           "UPDATE meta SET value = '5' WHERE key = 'schema_version'",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  {
    Store read_only(path("v5.db"), {.create = false, .read_only = true});
    EXPECT_EQ(read_only.schema_version(), 5);
    EXPECT_EQ(read_only.cells().at(0).repetitions.at(0).latency_json, "");
  }
  Store store(path("v5.db"), {.create = false});
  EXPECT_EQ(count(store, "PRAGMA user_version"), kSchemaVersion);
  const int64_t id = store.cells().at(0).id;
  Repetition next = make_repetition(1);
  next.latency_json = kSummary;
  ASSERT_TRUE(store.add_repetition(id, next));
  EXPECT_EQ(store.cell(id)->repetitions.at(1).latency_json, kSummary);
}

}  // namespace
}  // namespace jouleval::store
