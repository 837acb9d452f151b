// The few-shot sampler in the cell identity (cells.fewshot_sampler, schema version 9; docs/tasks.md
// "Few-shot"): a first_n cell and an lm-eval cell that agree in every other field are two cells, the
// sampler is read back and merged, and a version 8 file (whose cells all used lm-eval's samplers) is
// read as it is, merged, and upgraded in place without losing its cells.
#include <gtest/gtest.h>

#include <filesystem>
#include <utility>

#include "results/records.h"
#include "store/merge.h"
#include "store/schema.h"
#include "store/statement.h"
#include "store/store.h"
#include "store_test_util.h"

namespace jouleval::store {
namespace {

using namespace test_util;

class store_fewshot_sampler : public TempDirTest {};

CellKey gsm8k_key(const std::string& sampler) {
  CellKey k = make_key("fp16", "gsm8k");
  k.shots = 5;
  k.fewshot_sampler = sampler;
  return k;
}

TEST_F(store_fewshot_sampler, AFirstNCellAndAnLmEvalCellAreTwoCells) {
  const auto [first_n, lm_eval] =
      expect_two_cells(path("a.db"), path("out.db"), gsm8k_key("first_n"), gsm8k_key("lm-eval"));
  Store store(path("a.db"));
  EXPECT_EQ(store.cell(first_n)->key.fewshot_sampler, "first_n");
  EXPECT_EQ(store.cell(lm_eval)->key.fewshot_sampler, "lm-eval");
  // The fidelity reference of a first_n cell is a first_n cell of the reference precision.
  store.finish_cell(first_n, {}, {}, results::Fidelity{});
  CellKey int8 = gsm8k_key("first_n");
  int8.precision = "int8";
  EXPECT_EQ(store.find_done_cell_with_precision("m1", int8, "fp16"), first_n);
  CellKey int8_lm_eval = int8;
  int8_lm_eval.fewshot_sampler = "lm-eval";
  EXPECT_FALSE(store.find_done_cell_with_precision("m1", int8_lm_eval, "fp16")) << "the lm-eval fp16 cell is pending";
}

TEST_F(store_fewshot_sampler, AVersion8FileIsReadAsItIsMergedAndUpgraded) {
  int64_t cell = 0;
  int64_t served = 0;
  CellKey endpoint = gsm8k_key("lm-eval");
  endpoint.precision = "served";
  endpoint.kv_type = "server";
  endpoint.placement = "endpoint:127.0.0.1:8080";
  endpoint.engine.endpoint_api = "chat";
  endpoint.engine.arrival_rate = 2;
  {
    Store store(path("v8.db"));
    store.upsert_machine(make_machine("m1"));
    cell = store.upsert_cell_pending(make_pending_cell("m1", gsm8k_key("lm-eval")));
    EXPECT_TRUE(store.add_repetition(cell, make_repetition(0)));
    served = store.upsert_cell_pending(make_pending_cell("m1", endpoint));
  }
  raw_sql(path("v8.db"), old_cells_sql(8));
  {
    Store read_only(path("v8.db"), {.create = false, .read_only = true});
    EXPECT_EQ(read_only.schema_version(), 8);
    Statement columns(read_only.database(),
                      "SELECT count(*) FROM pragma_table_info('cells') WHERE name = 'fewshot_sampler'");
    ASSERT_TRUE(columns.step());
    EXPECT_EQ(columns.column_int64(0), 0) << "a genuine version 8 file has no fewshot_sampler column";
    EXPECT_EQ(read_only.cell(cell)->key.fewshot_sampler, "lm-eval");
    EXPECT_EQ(read_only.cell(served)->key, endpoint) << "api and arrival rate kept";
  }
  merge({path("v8.db")}, path("merged.db"));
  {
    Store merged(path("merged.db"), {.create = false, .read_only = true});
    const auto cells = merged.cells();
    ASSERT_EQ(cells.size(), 2U);
    EXPECT_EQ(cells[0].key, gsm8k_key("lm-eval"));
    EXPECT_EQ(cells[0].repetitions.size(), 1U);
    EXPECT_EQ(cells[1].key, endpoint);
  }
  Store store(path("v8.db"), {.create = false});
  EXPECT_EQ(store.schema_version(), kSchemaVersion);
  EXPECT_EQ(store.cell(cell)->key, gsm8k_key("lm-eval"));
  EXPECT_EQ(store.cell(cell)->repetitions.size(), 1U);  // the children kept their cell
  EXPECT_EQ(store.cell(served)->key, endpoint);
  // The same command resumes the stored cell; first_n is another cell.
  ASSERT_TRUE(store.find_cell("m1", gsm8k_key("lm-eval")));
  EXPECT_EQ(store.find_cell("m1", gsm8k_key("lm-eval"))->id, cell);
  EXPECT_NE(store.ensure_cell("m1", gsm8k_key("first_n")), cell);
  EXPECT_EQ(store.cells().size(), 3U);
  Statement fk(store.database(), "PRAGMA foreign_key_check");
  EXPECT_FALSE(fk.step());
  store.delete_cell(cell);
  Statement reps(store.database(), "SELECT count(*) FROM repetitions");
  ASSERT_TRUE(reps.step());
  EXPECT_EQ(reps.column_int64(0), 0) << "cascades still reach the rebuilt cells";
}

}  // namespace
}  // namespace jouleval::store
