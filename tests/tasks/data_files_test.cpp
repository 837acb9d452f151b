// File discovery under a data directory: the shared layout and the usual upstream names.
#include <gtest/gtest.h>

#include "tasks/data_files.h"
#include "tasks/load_task.h"
#include "test_util.h"

namespace jouleval::tasks {
namespace {
namespace fs = std::filesystem;

TEST(tasks_DataFiles, SharedLayout) {
  MmluFiles m = find_mmlu_files(testing::layout_a());
  ASSERT_EQ(m.test.size(), 2u);
  EXPECT_EQ(m.test[0].filename(), "college_physics_test.csv");
  EXPECT_EQ(m.dev.size(), 2u);
  EXPECT_EQ(find_arc_file(testing::layout_a(), "Train").filename(), "ARC-Challenge-Train.jsonl");
  EXPECT_EQ(find_hellaswag_file(testing::layout_a()).filename(), "hellaswag_val.jsonl");
  EXPECT_EQ(find_truthfulqa_file(testing::layout_a()).parent_path().filename(), "v0");
  EXPECT_EQ(find_gsm8k_file(testing::layout_a(), "train").filename(), "train.jsonl");
}

TEST(tasks_DataFiles, UpstreamNames) {
  const fs::path b = testing::fixture_dir() / "layout_b";
  MmluFiles m = find_mmlu_files(b);  // Hendrycks' data/test, data/dev
  ASSERT_EQ(m.test.size(), 1u);
  EXPECT_EQ(m.dev.size(), 1u);
  EXPECT_NE(find_arc_file(b, "Test").string().find("ARC-V1-Feb2018-2"), std::string::npos);
  EXPECT_EQ(find_hellaswag_file(b).filename(), "hellaswag_val_full.txt");
  EXPECT_NE(find_truthfulqa_file(b).string().find("TruthfulQA/data/v0"), std::string::npos);
  EXPECT_NE(find_gsm8k_file(b, "test").string().find("grade_school_math/data"), std::string::npos);
  EXPECT_THROW(find_gsm8k_file(b, "train"), util::Error);
}

TEST(tasks_DataFiles, LoadsEveryTaskFromUpstreamLayout) {
  TaskOptions o;
  o.data_dir = testing::fixture_dir() / "layout_b";
  o.preset = "leaderboard";
  Task mmlu = load_task(TaskId::kMmlu, o);
  EXPECT_EQ(mmlu.choice_items()[0].shots, 1);
  EXPECT_EQ(load_task(TaskId::kArcChallenge, TaskOptions{o.data_dir, false, 0, 0, "lm-eval", 1234}).n_items(), 1);
  Task hs = load_task(TaskId::kHellaswag, o);  // text format; 10 shots capped at 2 (3 items minus itself)
  EXPECT_EQ(hs.n_items(), 3);
  EXPECT_EQ(hs.choice_items()[0].shots, 2);
  EXPECT_EQ(load_task(TaskId::kTruthfulqaMc2, o).n_items(), 1);
  // GSM8K 5-shot needs train.jsonl, which this layout lacks; 0-shot does not.
  EXPECT_THROW(load_task(TaskId::kGsm8k, o), util::Error);
  o.shots = 0;
  EXPECT_EQ(load_task(TaskId::kGsm8k, o).n_items(), 1);
}

}  // namespace
}  // namespace jouleval::tasks
