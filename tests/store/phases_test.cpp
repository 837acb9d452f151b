// The phases of generation repetitions (table phase_energy, schema version 5): stored with their
// repetition, read back field for field (absent energy stays absent), copied by merge, and a version 4
// file read without them and upgraded in place.
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

class store_phases : public TempDirTest {};

std::vector<PhaseEnergy> two_phases() {
  PhaseEnergy steady;
  steady.phase = "steady";
  steady.meter = "nvml:0";
  steady.seconds = 6.25;
  steady.tokens = 5'000'000'000LL;  // beyond 32 bits
  steady.steps = 300;
  steady.batch = 64;
  steady.method = "counter-scaled";
  steady.joules = 720.5;
  steady.joules_idle_subtracted = -3.25;  // may be negative: work drawing about idle power
  PhaseEnergy prefill;
  prefill.phase = "prefill";
  prefill.meter = "";
  prefill.seconds = 0.75;
  prefill.tokens = 312;
  prefill.steps = 2;
  prefill.batch = 4;
  prefill.method = "too short";
  prefill.note = "4 power samples inside, fewer than 10";
  return {steady, prefill};
}

void expect_phases_eq(const std::vector<PhaseEnergy>& a, const std::vector<PhaseEnergy>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].phase, b[i].phase);
    EXPECT_EQ(a[i].meter, b[i].meter);
    EXPECT_EQ(a[i].seconds, b[i].seconds);
    EXPECT_EQ(a[i].tokens, b[i].tokens);
    EXPECT_EQ(a[i].steps, b[i].steps);
    EXPECT_EQ(a[i].batch, b[i].batch);
    EXPECT_EQ(a[i].method, b[i].method);
    EXPECT_EQ(a[i].joules, b[i].joules);
    EXPECT_EQ(a[i].joules_idle_subtracted, b[i].joules_idle_subtracted);
    EXPECT_EQ(a[i].note, b[i].note);
  }
}

TEST_F(store_phases, RoundTripKeepsEveryFieldAndAbsentEnergy) {
  Store store(path("p.db"));
  store.upsert_machine(make_machine("m1"));
  const int64_t id = store.upsert_cell_pending(make_pending_cell("m1", make_key("fp16", "gsm8k")));
  Repetition rep = make_repetition(0);
  rep.phases = two_phases();
  ASSERT_TRUE(store.add_repetition(id, rep));
  ASSERT_TRUE(store.add_repetition(id, make_repetition(1)));  // a repetition without phases
  const auto cell = store.cell(id);
  ASSERT_TRUE(cell);
  expect_phases_eq(cell->repetitions.at(0).phases, rep.phases);
  EXPECT_FALSE(cell->repetitions[0].phases[1].joules);
  EXPECT_FALSE(cell->repetitions[0].phases[1].joules_idle_subtracted);
  EXPECT_TRUE(cell->repetitions.at(1).phases.empty());
  EXPECT_EQ(count(store, "SELECT count(*) FROM phase_energy WHERE joules IS NULL"), 1);
  // Deleting the cell deletes its phases.
  store.delete_cell(id);
  EXPECT_EQ(count(store, "SELECT count(*) FROM phase_energy"), 0);
}

TEST_F(store_phases, MergeCopiesThePhases) {
  {
    Store store(path("a.db"));
    store.upsert_machine(make_machine("m1"));
    const int64_t id = store.upsert_cell_pending(make_pending_cell("m1", make_key("fp16", "gsm8k")));
    Repetition rep = make_repetition(0);
    rep.phases = two_phases();
    ASSERT_TRUE(store.add_repetition(id, rep));
    store.finish_cell(id, {{"exact_match", 0.5, 0.1}}, {}, Fidelity{});
  }
  merge({path("a.db")}, path("out.db"));
  Store out(path("out.db"), {.create = false, .read_only = true});
  const auto cells = out.cells();
  ASSERT_EQ(cells.size(), 1u);
  expect_phases_eq(cells[0].repetitions.at(0).phases, two_phases());
}

TEST_F(store_phases, AVersionFourFileHasNoPhasesAndIsUpgraded) {
  {
    Store store(path("v4.db"));
    store.upsert_machine(make_machine("m1"));
    const int64_t id = store.upsert_cell_pending(make_pending_cell("m1", make_key("fp16", "gsm8k")));
    store.add_repetition(id, make_repetition(0));
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path("v4.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "DROP TABLE phase_energy; PRAGMA user_version = 4; "
                           "UPDATE meta SET value = '4' WHERE key = 'schema_version'",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  {
    Store read_only(path("v4.db"), {.create = false, .read_only = true});
    EXPECT_EQ(read_only.schema_version(), 4);
    const auto cells = read_only.cells();
    ASSERT_EQ(cells.at(0).repetitions.size(), 1u);
    EXPECT_TRUE(cells[0].repetitions[0].phases.empty());
    EXPECT_EQ(count(read_only, "SELECT count(*) FROM sqlite_schema WHERE name = 'phase_energy'"), 0);
  }
  Store store(path("v4.db"), {.create = false});
  EXPECT_EQ(count(store, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(count(store, "SELECT value FROM meta WHERE key = 'schema_version'"), kSchemaVersion);
  const int64_t id = store.cells().at(0).id;
  Repetition next = make_repetition(1);
  next.phases = two_phases();
  ASSERT_TRUE(store.add_repetition(id, next));
  expect_phases_eq(store.cell(id)->repetitions.at(1).phases, next.phases);
}

}  // namespace
}  // namespace jouleval::store
