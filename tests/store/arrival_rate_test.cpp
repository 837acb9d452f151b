// The cells' arrival rate (schema version 7; docs/endpoint.md "Load levels"): part of the cell
// identity, stored and read back; a version 6 file (without the column) reads as a closed loop (0),
// merges, and is upgraded in place with the rate in the cells' key.
#include <gtest/gtest.h>

#include "store/merge.h"
#include "store/schema.h"
#include "store/statement.h"
#include "store/store.h"
#include "store_test_util.h"

namespace jouleval::store {
namespace {

using namespace test_util;

class store_arrival_rate : public TempDirTest {};

CellKey served(double rate) {
  CellKey key = make_key("served", "gsm8k");
  key.engine.max_sequences = 8;
  key.engine.arrival_rate = rate;
  return key;
}

TEST_F(store_arrival_rate, CellsThatDifferOnlyInTheirRateAreTwoCells) {
  const auto [closed, poisson] = expect_two_cells(path("a.db"), path("out.db"), served(0), served(4.5));
  Store store(path("a.db"));
  EXPECT_FALSE(store.find_cell("m1", served(2)));
  EXPECT_EQ(store.cell(poisson)->key.engine.arrival_rate, 4.5);
  EXPECT_EQ(store.cell(closed)->key.engine.arrival_rate, 0);
}

TEST_F(store_arrival_rate, AVersionSixFileReadsAsAClosedLoopMergesAndIsUpgraded) {
  int64_t old_id = 0;
  {
    Store store(path("v6.db"));
    store.upsert_machine(make_machine("m1"));
    old_id = store.upsert_cell_pending(make_pending_cell("m1", served(0)));
    Repetition rep = make_repetition(0);
    rep.latency_json = R"({"requests":4})";
    store.add_repetition(old_id, rep);
    store.finish_cell(old_id, {{"exact_match", 0.5, 0.1}}, {}, Fidelity{});
  }
  raw_sql(path("v6.db"), old_cells_sql(6));
  {
    Store read_only(path("v6.db"), {.create = false, .read_only = true});
    EXPECT_EQ(read_only.schema_version(), 6);
    const auto cells = read_only.cells();
    ASSERT_EQ(cells.size(), 1U);
    EXPECT_EQ(cells[0].key.engine.arrival_rate, 0);
    EXPECT_EQ(cells[0].repetitions.at(0).latency_json, R"({"requests":4})");
  }
  merge({path("v6.db")}, path("merged.db"));
  {
    Store merged(path("merged.db"), {.create = false, .read_only = true});
    const auto cells = merged.cells();
    ASSERT_EQ(cells.size(), 1U);
    EXPECT_EQ(cells[0].key.engine.arrival_rate, 0);
    EXPECT_EQ(cells[0].status, CellStatus::kDone);
  }
  Store store(path("v6.db"), {.create = false});
  EXPECT_EQ(count(store, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(count(store, "PRAGMA foreign_keys"), 1);
  EXPECT_EQ(count(store, "SELECT count(*) FROM repetitions"), 1) << "the rebuilt cells keep their children";
  ASSERT_TRUE(store.find_cell("m1", served(0)));
  EXPECT_EQ(store.find_cell("m1", served(0))->id, old_id);
  const int64_t poisson = store.ensure_cell("m1", served(4));
  EXPECT_NE(poisson, old_id) << "the rate is part of the upgraded key";
  EXPECT_EQ(store.cell(poisson)->key.engine.arrival_rate, 4);
  store.delete_cell(old_id);
  EXPECT_EQ(count(store, "SELECT count(*) FROM repetitions"), 0) << "cascades still reach the rebuilt cells";
}

}  // namespace
}  // namespace jouleval::store
