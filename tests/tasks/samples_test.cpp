// The built-in samples load through the real parsers and give a usable task with no files.
#include <set>

#include <gtest/gtest.h>

#include "tasks/load_task.h"
#include "tasks/samples.h"
#include "test_util.h"

namespace jouleval::tasks {
namespace {

TEST(tasks_Samples, EveryTaskLoadsWithoutFiles) {
  for (const std::string preset : {"lm-eval", "leaderboard"}) {
    TaskOptions o;
    o.use_samples = true;
    o.preset = preset;
    for (TaskId id : all_tasks()) {
      Task t = load_task(id, o);
      EXPECT_GE(t.n_items(), 5) << task_name(id);
      EXPECT_LE(t.n_items(), 8) << task_name(id);
      std::set<std::string> ids;
      if (t.kind() == RequestKind::kLoglikelihood) {
        for (const auto& it : t.choice_items()) ids.insert(it.id);
        EXPECT_EQ(t.item_ranges().size(), static_cast<size_t>(t.n_items()));
      } else {
        for (const auto& it : t.generation_items()) ids.insert(it.id);
        EXPECT_EQ(t.generation_requests().size(), static_cast<size_t>(t.n_items()));
      }
      EXPECT_EQ(ids.size(), static_cast<size_t>(t.n_items())) << "ids must be unique: " << task_name(id);
    }
  }
}

TEST(tasks_Samples, CoverTheFormatEdgeCases) {
  TaskOptions o;
  o.use_samples = true;
  Task arc = load_task(TaskId::kArcChallenge, o);
  std::set<size_t> sizes;
  for (const auto& it : arc.choice_items()) sizes.insert(it.choices.size());
  EXPECT_EQ(sizes, (std::set<size_t>{3, 4, 5}));
  EXPECT_EQ(arc.choice_items()[1].gold, 1);  // numeric labels "1".."4", answerKey "2"
  Task mmlu = load_task(TaskId::kMmlu, o);
  EXPECT_EQ(mmlu.choice_items()[3].subject, "high_school_mathematics");
  EXPECT_NE(mmlu.choice_items()[4].context.find("2, 4, 8, 16, ...\nWhat is the \"next\" term?\nA. 18"),
            std::string::npos);
  Task hs = load_task(TaskId::kHellaswag, o);
  EXPECT_EQ(hs.choice_items()[1].context,
            "Home and Garden: How to water a potted plant. Check the soil first. Push a finger about an inch into "
            "the soil. If it feels dry,");
  Task gsm = load_task(TaskId::kGsm8k, o);
  EXPECT_EQ(gsm.generation_items()[0].shots, 5);
}

TEST(tasks_Samples, ScoringRoundTrip) {
  TaskOptions o;
  o.use_samples = true;
  Task t = load_task(TaskId::kTruthfulqaMc2, o);
  std::vector<engine::LoglikelihoodResult> res(t.loglikelihood_requests().size(), testing::ll(-1.0));
  TaskResult r = t.score(res);
  EXPECT_EQ(r.item_records.size(), 5u);
  // Equal log-likelihoods: MC2 = share of true answers before the first false one.
  EXPECT_NEAR(r.item_records[3]["mc2_score"].get<double>(), 1.0 / 4.0, 1e-12);
  EXPECT_NEAR(r.item_records[0]["mc2_score"].get<double>(), 2.0 / 4.0, 1e-12);
}

}  // namespace
}  // namespace jouleval::tasks
