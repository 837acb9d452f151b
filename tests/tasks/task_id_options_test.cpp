#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tasks/load_task.h"
#include "tasks/options.h"
#include "tasks/task_id.h"
#include "util/error.h"

namespace jouleval::tasks {
namespace {

TEST(tasks_TaskId, NamesRoundTrip) {
  for (TaskId id : all_tasks()) EXPECT_EQ(parse_task_name(task_name(id)), id);
  EXPECT_EQ(all_tasks().size(), 6u);
  EXPECT_EQ(task_name(TaskId::kTruthfulqaMc2), "truthfulqa_mc2");
}

TEST(tasks_TaskId, ParseListKeepsOrderAndRemovesDuplicates) {
  auto v = parse_task_list("gsm8k, mmlu,gsm8k");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], TaskId::kGsm8k);
  EXPECT_EQ(v[1], TaskId::kMmlu);
  EXPECT_EQ(parse_task_list("all").size(), 6u);
}

TEST(tasks_TaskId, UnknownNameIsAUsageErrorListingValidNames) {
  try {
    parse_task_list("mmlu,arc");
    FAIL();
  } catch (const util::Error& e) {
    EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("'arc'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("arc_challenge"), std::string::npos);
  }
  EXPECT_THROW(parse_task_list("mmlu,,gsm8k"), util::Error);
  EXPECT_THROW(parse_task_list(""), util::Error);
}

TEST(tasks_Options, Presets) {
  EXPECT_EQ(preset_shots("lm-eval", TaskId::kMmlu), 0);
  EXPECT_EQ(preset_shots("lm-eval", TaskId::kArcChallenge), 0);
  EXPECT_EQ(preset_shots("lm-eval", TaskId::kHellaswag), 0);
  EXPECT_EQ(preset_shots("lm-eval", TaskId::kTruthfulqaMc1), 0);
  EXPECT_EQ(preset_shots("lm-eval", TaskId::kGsm8k), 5);
  EXPECT_EQ(preset_shots("leaderboard", TaskId::kMmlu), 5);
  EXPECT_EQ(preset_shots("leaderboard", TaskId::kArcChallenge), 25);
  EXPECT_EQ(preset_shots("leaderboard", TaskId::kHellaswag), 10);
  EXPECT_EQ(preset_shots("leaderboard", TaskId::kTruthfulqaMc2), 0);
  EXPECT_EQ(preset_shots("leaderboard", TaskId::kGsm8k), 5);
  EXPECT_THROW(preset_shots("open-llm", TaskId::kMmlu), util::Error);
  EXPECT_EQ(preset_shots("demo", TaskId::kMmlu), 0);
  EXPECT_EQ(preset_shots("demo", TaskId::kGsm8k), 5);
}

// GSM8K answers: 256 tokens at most (lm-eval's gsm8k.yaml) except in the demo preset (32), and the
// loaded task's requests carry that limit.
TEST(tasks_Options, PresetsSetTheGsm8kAnswerLength) {
  EXPECT_EQ(preset_max_new_tokens("lm-eval"), 256);
  EXPECT_EQ(preset_max_new_tokens("leaderboard"), 256);
  EXPECT_EQ(preset_max_new_tokens("demo"), 32);
  EXPECT_THROW(preset_max_new_tokens("open-llm"), util::Error);
  for (const auto& [preset, expected] : {std::pair{"lm-eval", 256}, std::pair{"demo", 32}}) {
    TaskOptions o;
    o.use_samples = true;
    o.preset = preset;
    const Task task = load_task(TaskId::kGsm8k, o);
    ASSERT_FALSE(task.generation_requests().empty());
    for (const auto& request : task.generation_requests()) EXPECT_EQ(request.max_new_tokens, expected) << preset;
  }
}

TEST(tasks_Options, ExplicitShotsOverridePreset) {
  TaskOptions o;
  o.preset = "leaderboard";
  EXPECT_EQ(resolve_shots(o, TaskId::kArcChallenge), 25);
  o.shots = 3;
  EXPECT_EQ(resolve_shots(o, TaskId::kArcChallenge), 3);
  o.shots = -1;
  EXPECT_THROW(resolve_shots(o, TaskId::kArcChallenge), util::Error);
  o.shots = 2;
  EXPECT_THROW(resolve_shots(o, TaskId::kTruthfulqaMc1), util::Error);
  o.shots = 0;
  EXPECT_EQ(resolve_shots(o, TaskId::kTruthfulqaMc1), 0);
}

// The few-shot sampler: lm-eval (the default) or first_n; anything else is a usage error naming the
// value and the accepted names, whichever task is loaded.
TEST(tasks_Options, FewshotSamplers) {
  EXPECT_EQ(fewshot_samplers(), (std::vector<std::string>{"lm-eval", "first_n"}));
  EXPECT_EQ(TaskOptions().fewshot_sampler, "lm-eval");
  EXPECT_NO_THROW(check_fewshot_sampler("first_n"));
  for (const char* bad : {"random", "", "First_N", "first-n"}) {
    TaskOptions o;
    o.use_samples = true;
    o.fewshot_sampler = bad;
    try {
      load_task(TaskId::kArcChallenge, o);
      ADD_FAILURE() << "accepted sampler '" << bad << "'";
    } catch (const util::Error& e) {
      EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
      EXPECT_NE(std::string(e.what()).find(fmt::format("'{}'", bad)), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("lm-eval, first_n"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace jouleval::tasks
