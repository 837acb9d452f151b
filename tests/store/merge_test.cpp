// store::merge: machines deduplicated with their first fingerprint kept, duplicate cells resolved
// by repetition count, all children copied, inputs of another schema version refused.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sqlite3.h>
#include <fstream>

#include <map>

#include "store/merge.h"
#include "store/schema.h"
#include "store/statement.h"
#include "store/store.h"
#include "store_test_util.h"
#include "util/error.h"

namespace jouleval::store {
namespace {

using namespace test_util;

class store_merge : public TempDirTest {
 protected:
  // Writes a cell with `reps` repetitions (done when finished), under the store's current run.
  static int64_t add_cell(Store& store, const std::string& machine, const CellKey& key, int reps, bool finished,
                          double acc = 0.5) {
    const int64_t id = store.upsert_cell_pending(make_pending_cell(machine, key));
    for (int i = 0; i < reps; ++i) store.add_repetition(id, make_repetition(i));
    if (finished) store.finish_cell(id, {{"acc", acc, 0.05}}, {{"q1", true, "{}"}, {"q2", false, "{}"}}, {});
    return id;
  }

  void make_a() {
    Store a(path("A.db"), {.durable = false});
    a.upsert_machine(make_machine("m1"));
    a.begin_run({0, "2025-01-01T00:00:00Z", "jouleval sweep a.toml", "{}", "m1", "0.1.0"});
    add_cell(a, "m1", make_key("fp16"), 3, true, 0.61);
    add_cell(a, "m1", make_key("int8"), 1, false);
    a.mark_skipped("m1", make_key("fp16", "gsm8k"), "too slow on CPU");
  }

  void make_b() {
    Store b(path("B.db"), {.durable = false});
    Machine m1 = make_machine("m1");
    m1.fingerprint_json = R"({"changed":true})";
    b.upsert_machine(m1);
    b.upsert_machine(make_machine("m2"));
    b.begin_run({0, "2025-01-02T00:00:00Z", "jouleval sweep b.toml", "{}", "m2", "0.1.0"});
    add_cell(b, "m1", make_key("fp16"), 2, true, 0.99);  // fewer repetitions than A's: skipped
    add_cell(b, "m1", make_key("int8"), 3, true, 0.42);  // more than A's: replaces it
    add_cell(b, "m2", make_key("fp16"), 3, true, 0.55);  // other machine: a new cell
  }

  int64_t count(Store& store, const std::string& sql) {
    Statement st(store.database(), sql);
    st.step();
    return st.column_int64(0);
  }
};

TEST_F(store_merge, OverlappingCellsAndMachines) {
  make_a();
  make_b();
  const MergeReport report = merge({path("A.db"), path("B.db")}, path("all.db"));
  EXPECT_EQ(report.inputs, 2);
  EXPECT_EQ(report.machines_added, 2);
  EXPECT_EQ(report.machines_existing, 1);
  EXPECT_EQ(report.runs_added, 2);
  EXPECT_EQ(report.cells_added, 5);
  EXPECT_EQ(report.cells_replaced, 1);
  EXPECT_EQ(report.duplicates_skipped, 2);
  EXPECT_EQ(report.repetitions_added, 3 + 1 + 3 + 3);
  ASSERT_EQ(report.skipped.size(), 2u);
  EXPECT_EQ(report.skipped[0].dropped_from, path("B.db").string());
  EXPECT_EQ(report.skipped[0].kept_from, path("A.db").string());
  EXPECT_EQ(report.skipped[0].dropped_repetitions, 2);
  EXPECT_EQ(report.skipped[0].kept_repetitions, 3);
  EXPECT_EQ(report.skipped[1].dropped_from, path("A.db").string());
  EXPECT_EQ(report.skipped[1].kept_from, path("B.db").string());
  EXPECT_EQ(report.skipped[1].cell, describe(make_key("int8")));

  Store all(path("all.db"), {.create = false});
  const std::vector<Machine> machines = all.machines();
  ASSERT_EQ(machines.size(), 2u);
  EXPECT_EQ(machines[0].fingerprint_json, make_machine("m1").fingerprint_json);  // first kept
  EXPECT_EQ(machines[1].fingerprint_json, make_machine("m2").fingerprint_json);

  const std::vector<Cell> cells = all.cells({.with_items = true, .with_timeline = true});
  ASSERT_EQ(cells.size(), 4u);
  std::map<std::string, const Cell*> by_key;
  for (const Cell& c : cells) by_key[c.machine_id + " " + describe(c.key)] = &c;
  ASSERT_EQ(by_key.size(), 4u);  // no duplicate
  const Cell& fp16 = *by_key.at("m1 " + describe(make_key("fp16")));
  EXPECT_EQ(fp16.metrics.at(0).value, 0.61);
  EXPECT_EQ(fp16.repetitions.size(), 3u);
  const Cell& int8 = *by_key.at("m1 " + describe(make_key("int8")));
  EXPECT_EQ(int8.metrics.at(0).value, 0.42);
  EXPECT_EQ(int8.status, CellStatus::kDone);
  EXPECT_EQ(int8.items.size(), 2u);
  ASSERT_EQ(int8.repetitions.size(), 3u);
  EXPECT_EQ(int8.repetitions[2].timeline.size(), 4u);
  EXPECT_EQ(int8.repetitions[2].meters.size(), 3u);
  EXPECT_FALSE(int8.repetitions[2].meters[1].counter_joules.has_value());  // absent stays absent
  const Cell& skipped = *by_key.at("m1 " + describe(make_key("fp16", "gsm8k")));
  EXPECT_EQ(skipped.status, CellStatus::kSkipped);
  EXPECT_EQ(skipped.skip_reason, "too slow on CPU");
  // Runs are remapped: every cell points at a run of its own source.
  const std::vector<results::Run> runs = all.runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(fp16.run_id, runs[0].id);
  EXPECT_EQ(int8.run_id, runs[1].id);
  EXPECT_EQ(count(all, "SELECT count(*) FROM repetitions"), 9);
  EXPECT_EQ(count(all, "SELECT count(*) FROM meters"), 27);
  EXPECT_EQ(count(all, "SELECT count(*) FROM timeline"), 36);
  EXPECT_EQ(count(all, "SELECT count(*) FROM repetitions WHERE run_id IS NULL"), 0);
}

TEST_F(store_merge, MergingAgainIntoTheOutputAddsNothing) {
  make_a();
  make_b();
  merge({path("A.db"), path("B.db")}, path("all.db"));
  const MergeReport again = merge({path("B.db"), path("A.db")}, path("all.db"));
  EXPECT_EQ(again.cells_added, 0);
  EXPECT_EQ(again.runs_added, 0);
  EXPECT_EQ(again.machines_added, 0);
  EXPECT_EQ(again.duplicates_skipped, 6);
  EXPECT_EQ(again.skipped[0].kept_from, "<output>");
  Store all(path("all.db"));
  EXPECT_EQ(all.cells().size(), 4u);
  EXPECT_EQ(all.runs().size(), 2u);
}

TEST_F(store_merge, EqualRepetitionCountsKeepTheFirst) {
  for (const char* name : {"X.db", "Y.db"}) {
    Store s(path(name), {.durable = false});
    s.upsert_machine(make_machine("m1"));
    add_cell(s, "m1", make_key("fp16"), 2, true, name[0] == 'X' ? 0.1 : 0.2);
  }
  const MergeReport report = merge({path("Y.db"), path("X.db")}, path("out.db"));
  EXPECT_EQ(report.duplicates_skipped, 1);
  EXPECT_EQ(report.cells_replaced, 0);
  Store out(path("out.db"));
  ASSERT_EQ(out.cells().size(), 1u);
  EXPECT_EQ(out.cells()[0].metrics[0].value, 0.2);
}

TEST_F(store_merge, InputOfAnotherSchemaVersionIsRefusedBeforeWriting) {
  make_a();
  { Store b(path("B.db")); }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path("B.db").c_str(), &raw), SQLITE_OK);
  const std::string newer = fmt::format("PRAGMA user_version = {}", kSchemaVersion + 1);
  ASSERT_EQ(sqlite3_exec(raw, newer.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  try {
    merge({path("A.db"), path("B.db")}, path("all.db"));
    FAIL() << "expected an error";
  } catch (const util::Error& e) {
    EXPECT_EQ(e.code(), util::ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find(path("B.db").string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(fmt::format("schema version {}", kSchemaVersion + 1)), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(path("all.db")));
}

TEST_F(store_merge, OutputAsInputAndMissingInputAreRefused) {
  make_a();
  EXPECT_THROW(merge({path("A.db")}, path("A.db")), util::Error);
  EXPECT_THROW(merge({path("nope.db")}, path("out.db")), util::Error);
  EXPECT_THROW(merge({}, path("out.db")), util::Error);
  Store a(path("A.db"));
  EXPECT_EQ(a.cells().size(), 3u);
}

// On equal repetition counts a finished copy is kept over an unfinished one, whichever came first.
TEST_F(store_merge, AFinishedCopyBeatsAnUnfinishedOneOnATie) {
  {
    Store s(path("unfinished.db"), {.durable = false});
    s.upsert_machine(make_machine("m1"));
    add_cell(s, "m1", make_key("fp16"), 2, false);
  }
  {
    Store s(path("finished.db"), {.durable = false});
    s.upsert_machine(make_machine("m1"));
    add_cell(s, "m1", make_key("fp16"), 2, true, 0.7);
  }
  const MergeReport report = merge({path("unfinished.db"), path("finished.db")}, path("out.db"));
  EXPECT_EQ(report.cells_replaced, 1);
  Store out(path("out.db"));
  ASSERT_EQ(out.cells().size(), 1u);
  EXPECT_EQ(out.cells()[0].status, CellStatus::kDone);
  ASSERT_EQ(out.cells()[0].metrics.size(), 1u);
  EXPECT_EQ(out.cells()[0].metrics[0].value, 0.7);
  // And the other way round: the finished copy already there stays.
  const MergeReport again = merge({path("unfinished.db")}, path("out.db"));
  EXPECT_EQ(again.cells_replaced, 0);
  EXPECT_EQ(Store(path("out.db")).cells()[0].status, CellStatus::kDone);
}

// A damaged destination is refused before anything is written (merging into it used to "succeed").
TEST_F(store_merge, ADamagedDestinationIsRefused) {
  make_a();
  {
    Store out(path("out.db"), {.durable = false});
    out.upsert_machine(make_machine("m1"));
    for (int i = 0; i < 200; ++i) add_cell(out, "m1", make_key("fp16", "task" + std::to_string(i)), 1, true);
    out.database().exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  {
    std::fstream f(path("out.db"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(path("out.db")) / 2));
    const std::string garbage(8192, '\x5a');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  const auto before = std::filesystem::last_write_time(path("out.db"));
  try {
    merge({path("A.db")}, path("out.db"));
    FAIL() << "merged into a damaged database";
  } catch (const util::Error& e) {
    EXPECT_EQ(e.kind(), util::ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find("out.db"), std::string::npos) << e.what();
  }
  EXPECT_EQ(std::filesystem::last_write_time(path("out.db")), before);
}

}  // namespace
}  // namespace jouleval::store
