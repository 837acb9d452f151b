// The resume API: find_cell, upsert_cell_pending, idempotent add_repetition, skip/fail marks.
#include <gtest/gtest.h>

#include <functional>

#include "store/statement.h"
#include "store/store.h"
#include "store_test_util.h"
#include "util/error.h"

namespace jouleval::store {
namespace {

using namespace test_util;

class store_resume : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    store_.emplace(path("r.db"));
    store_->upsert_machine(make_machine("m1"));
  }
  int64_t count(const std::string& table) {
    Statement st(store_->database(), "SELECT count(*) FROM " + table);
    st.step();
    return st.column_int64(0);
  }
  std::optional<Store> store_;
};

TEST_F(store_resume, UnknownCellIsNotFound) { EXPECT_FALSE(store_->find_cell("m1", make_key("fp16")).has_value()); }

TEST_F(store_resume, AddRepetitionIsIdempotent) {
  const int64_t id = store_->upsert_cell_pending(make_pending_cell("m1", make_key("fp16")));
  EXPECT_TRUE(store_->add_repetition(id, make_repetition(0)));
  Repetition changed = make_repetition(0, 10);
  changed.seconds = 999;
  EXPECT_FALSE(store_->add_repetition(id, changed));  // already there: not written again
  EXPECT_TRUE(store_->add_repetition(id, make_repetition(1)));
  EXPECT_EQ(count("repetitions"), 2);
  EXPECT_EQ(count("meters"), 6);
  EXPECT_EQ(count("timeline"), 8);
  EXPECT_EQ(store_->cell(id)->repetitions[0].seconds, make_repetition(0).seconds);
  EXPECT_FALSE(store_->database().in_transaction());
}

TEST_F(store_resume, FindCellReportsStatusAndDoneRepetitions) {
  const CellKey key = make_key("int8");
  const int64_t id = store_->upsert_cell_pending(make_pending_cell("m1", key));
  ASSERT_TRUE(store_->add_repetition(id, make_repetition(2)));
  ASSERT_TRUE(store_->add_repetition(id, make_repetition(0)));
  auto progress = store_->find_cell("m1", key);
  ASSERT_TRUE(progress.has_value());
  EXPECT_EQ(progress->id, id);
  EXPECT_EQ(progress->status, CellStatus::kPending);
  EXPECT_EQ(progress->done_repetitions, (std::vector<int32_t>{0, 2}));
  // Another machine, or a key differing in any field, is another cell.
  EXPECT_FALSE(store_->find_cell("m2", key).has_value());
  // Every identity field counts: the file evaluated, the few-shot seed and preset, each engine setting.
  const std::vector<std::function<void(CellKey&)>> changes = {
      [](CellKey& k) { k.engine.threads = 8; },
      [](CellKey& k) { k.file_sha256 = "other-file"; },
      [](CellKey& k) { k.seed = 2; },
      [](CellKey& k) { k.preset = "leaderboard"; },
      [](CellKey& k) { k.engine.context_size = 4096; },
      [](CellKey& k) { k.engine.batch_size = 512; },
      [](CellKey& k) { k.engine.ubatch_size = 256; },
      [](CellKey& k) { k.engine.scoring_lanes = 1; },
      [](CellKey& k) { k.engine.max_sequences = 8; },
      [](CellKey& k) { k.engine.flash_attention = "on"; },
      [](CellKey& k) { k.limit = 99; },
      [](CellKey& k) { k.shots = 5; },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    CellKey other = key;
    changes[i](other);
    EXPECT_FALSE(store_->find_cell("m1", other).has_value()) << "change " << i << " found the same cell";
  }

  store_->finish_cell(id, {{"acc", 0.5, 0.1}}, {}, {});
  EXPECT_EQ(store_->find_cell("m1", key)->status, CellStatus::kDone);
}

TEST_F(store_resume, UpsertPendingReusesTheCellAndKeepsRepetitions) {
  const CellKey key = make_key("fp16");
  const int64_t id = store_->upsert_cell_pending(make_pending_cell("m1", key));
  ASSERT_TRUE(store_->add_repetition(id, make_repetition(0)));
  store_->mark_failed("m1", key, "out of memory");
  EXPECT_EQ(store_->find_cell("m1", key)->status, CellStatus::kFailed);
  EXPECT_EQ(store_->find_cell("m1", key)->skip_reason, "out of memory");
  Cell again = make_pending_cell("m1", key);
  again.load_seconds = 9.5;
  EXPECT_EQ(store_->upsert_cell_pending(again), id);
  auto progress = store_->find_cell("m1", key);
  EXPECT_EQ(progress->status, CellStatus::kPending);
  EXPECT_EQ(progress->skip_reason, "");
  EXPECT_EQ(progress->done_repetitions, (std::vector<int32_t>{0}));
  EXPECT_EQ(store_->cell(id)->load_seconds, 9.5);
  EXPECT_EQ(count("cells"), 1);
}

TEST_F(store_resume, MarkSkippedCreatesOrUpdates) {
  const int64_t a = store_->mark_skipped("m1", make_key("fp16", "gsm8k"), "does not fit in GPU memory");
  const int64_t b = store_->mark_skipped("m1", make_key("fp16", "gsm8k"), "still does not fit");
  EXPECT_EQ(a, b);
  const Cell c = *store_->cell(a);
  EXPECT_EQ(c.status, CellStatus::kSkipped);
  EXPECT_EQ(c.skip_reason, "still does not fit");
  EXPECT_TRUE(c.repetitions.empty());
}

TEST_F(store_resume, FinishCellReplacesMetricsAndItems) {
  const int64_t id = store_->upsert_cell_pending(make_pending_cell("m1", make_key("fp16")));
  store_->finish_cell(id, {{"acc", 0.5, 0.1}, {"acc_norm", 0.4, 0.1}}, {{"a", true, "{}"}, {"b", false, "{}"}}, {});
  store_->finish_cell(id, {{"acc", 0.6, 0.1}}, {{"a", false, "{}"}}, {});
  EXPECT_EQ(count("metrics"), 1);
  EXPECT_EQ(count("items"), 1);
  EXPECT_EQ(store_->cell(id)->metrics[0].value, 0.6);
}

TEST_F(store_resume, FinishingAnUnknownCellIsAnError) {
  EXPECT_THROW(store_->finish_cell(12345, {}, {}, {}), util::Error);
  EXPECT_FALSE(store_->database().in_transaction());
}

TEST_F(store_resume, DuplicateItemIdsRollBackTheWholeFinish) {
  const int64_t id = store_->upsert_cell_pending(make_pending_cell("m1", make_key("fp16")));
  EXPECT_THROW(store_->finish_cell(id, {{"acc", 0.5, 0.1}}, {{"a", true, "{}"}, {"a", false, "{}"}}, {}), util::Error);
  EXPECT_EQ(store_->find_cell("m1", make_key("fp16"))->status, CellStatus::kPending);
  EXPECT_EQ(count("metrics"), 0);
  EXPECT_EQ(count("items"), 0);
}

TEST_F(store_resume, RepetitionOfUnknownCellIsRefused) {
  EXPECT_THROW(store_->add_repetition(999, make_repetition(0)), util::Error);
  EXPECT_EQ(count("repetitions"), 0);
  EXPECT_EQ(count("meters"), 0);
}

}  // namespace
}  // namespace jouleval::store
