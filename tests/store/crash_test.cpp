// Crash safety: a child process writes cells and repetitions and is killed with SIGKILL at random
// moments; after each kill the database must be intact (no partial repetition, no duplicate) and
// a resumed writer must complete it exactly.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "store/statement.h"
#include "store/store.h"
#include "store_test_util.h"

namespace jouleval::store {
namespace {

using namespace test_util;

constexpr int kCells = 12;
constexpr int kReps = 3;
constexpr int kSamples = 400;
constexpr int kMeters = 3;
constexpr int kItems = 40;

// The sweep's resume logic in miniature: skip finished cells and stored repetitions.
void write_all(const std::filesystem::path& file) {
  Store store(file);
  store.upsert_machine(make_machine("m1"));
  for (int c = 0; c < kCells; ++c) {
    const CellKey key = make_key("p" + std::to_string(c));
    const std::optional<CellProgress> progress = store.find_cell("m1", key);
    if (progress && progress->status == CellStatus::kDone) continue;
    const int64_t id = store.upsert_cell_pending(make_pending_cell("m1", key));
    for (int r = 0; r < kReps; ++r) {
      if (progress && std::find(progress->done_repetitions.begin(), progress->done_repetitions.end(), r) !=
                          progress->done_repetitions.end()) {
        continue;
      }
      store.add_repetition(id, make_repetition(r, kSamples));
    }
    std::vector<ItemRecord> items;
    for (int i = 0; i < kItems; ++i) items.push_back({"item" + std::to_string(i), i % 3 == 0, R"({"x":1})"});
    store.finish_cell(id, {{"acc", 0.33, 0.07}}, items, {});
  }
}

// Runs write_all in a child process; kills it after `delay` unless negative. Returns true if killed
// before it finished.
bool run_child(const std::filesystem::path& file, std::chrono::microseconds delay) {
  const pid_t pid = fork();
  if (pid == 0) {
    try {
      write_all(file);
    } catch (...) {
      _exit(1);
    }
    _exit(0);
  }
  EXPECT_GT(pid, 0);
  if (delay.count() >= 0) {
    std::this_thread::sleep_for(delay);
    kill(pid, SIGKILL);
  }
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  if (WIFSIGNALED(status)) return true;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "writer failed, status " << status;
  return false;
}

int64_t scalar(Store& store, const std::string& sql) {
  Statement st(store.database(), sql);
  EXPECT_TRUE(st.step()) << sql;
  return st.column_int64(0);
}

// Checks the invariants of a database left by a killed writer; returns the number of repetitions.
int64_t check_consistent(const std::filesystem::path& file) {
  Store store(file);
  Statement integrity(store.database(), "PRAGMA integrity_check");
  EXPECT_TRUE(integrity.step());
  EXPECT_EQ(integrity.column_text(0), "ok");
  Statement fk(store.database(), "PRAGMA foreign_key_check");
  EXPECT_FALSE(fk.step()) << "dangling foreign key";
  EXPECT_EQ(scalar(store, fmt::format("SELECT count(*) FROM repetitions r WHERE "
                                      "(SELECT count(*) FROM meters WHERE repetition_id = r.id) != {} OR "
                                      "(SELECT count(*) FROM timeline WHERE repetition_id = r.id) != {}",
                                      kMeters, kSamples)),
            0)
      << "a repetition without all its meters or samples";
  EXPECT_EQ(scalar(store, fmt::format("SELECT count(*) FROM cells c WHERE status = 'done' AND ("
                                      "(SELECT count(*) FROM repetitions WHERE cell_id = c.id) != {} OR "
                                      "(SELECT count(*) FROM items WHERE cell_id = c.id) != {} OR "
                                      "(SELECT count(*) FROM metrics WHERE cell_id = c.id) != 1)",
                                      kReps, kItems)),
            0)
      << "a done cell with missing parts";
  EXPECT_EQ(scalar(store,
                   "SELECT count(*) FROM cells c WHERE status != 'done' AND ("
                   "EXISTS (SELECT 1 FROM items WHERE cell_id = c.id) OR "
                   "EXISTS (SELECT 1 FROM metrics WHERE cell_id = c.id))"),
            0)
      << "results of an unfinished cell";
  EXPECT_EQ(scalar(store, "SELECT count(*) FROM (SELECT 1 FROM repetitions GROUP BY cell_id, idx HAVING count(*) > 1)"),
            0);
  EXPECT_EQ(scalar(store, "SELECT count(*) FROM (SELECT 1 FROM cells GROUP BY model, precision HAVING count(*) > 1)"),
            0);
  return scalar(store, "SELECT count(*) FROM repetitions");
}

class store_crash : public TempDirTest {};

TEST_F(store_crash, KilledWriterLeavesConsistentDatabaseAndResumesWithoutDuplicates) {
  // Time one uninterrupted run, so the kills land inside the writing.
  const auto start = std::chrono::steady_clock::now();
  ASSERT_FALSE(run_child(path("timing.db"), std::chrono::microseconds(-1)));
  const auto full = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  ASSERT_EQ(check_consistent(path("timing.db")), kCells * kReps);

  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  SCOPED_TRACE(::testing::Message() << "seed " << seed << ", full run " << full.count() << " us");
  // Each kill lands in the first ~third of what is left, so several iterations hit mid-run.
  std::uniform_int_distribution<int64_t> fraction(0, 1000);
  const std::filesystem::path db = path("crash.db");
  int64_t previous = 0;
  int killed = 0;
  for (int iteration = 0; iteration < 12; ++iteration) {
    const auto delay = std::chrono::microseconds(full.count() * fraction(rng) / 3000);
    if (run_child(db, delay)) ++killed;
    if (!std::filesystem::exists(db)) continue;  // killed before the file was created
    const int64_t reps = check_consistent(db);
    EXPECT_GE(reps, previous) << "committed repetitions lost in iteration " << iteration;
    previous = reps;
  }
  EXPECT_GT(killed, 0);
  // Finish: the resumed writer completes the database exactly, with no duplicates.
  ASSERT_FALSE(run_child(db, std::chrono::microseconds(-1)));
  EXPECT_EQ(check_consistent(db), kCells * kReps);
  Store store(db);
  EXPECT_EQ(scalar(store, "SELECT count(*) FROM cells WHERE status = 'done'"), kCells);
  EXPECT_EQ(scalar(store, "SELECT count(*) FROM meters"), kCells * kReps * kMeters);
  EXPECT_EQ(scalar(store, "SELECT count(*) FROM items"), kCells * kItems);
  ::testing::Test::RecordProperty("killed_mid_run", killed);
}

}  // namespace
}  // namespace jouleval::store
