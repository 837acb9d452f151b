// acc, acc_norm, MC1, MC2, MMLU aggregation and GSM8K scoring on hand-computed cases.
#include <cmath>

#include <gtest/gtest.h>

#include "tasks/load_task.h"
#include "tasks/metrics.h"
#include "tasks/task.h"
#include "test_util.h"

namespace jouleval::tasks {
namespace {
using testing::gen;
using testing::ll;

ChoiceItem item(std::string id, std::vector<std::string> choices, int gold, std::vector<int> labels = {}) {
  ChoiceItem it;
  it.id = std::move(id);
  it.context = "Question: q\nAnswer:";
  it.choices = std::move(choices);
  it.gold = gold;
  it.labels = std::move(labels);
  return it;
}

TEST(tasks_Scoring, AccVersusAccNormByCodePoints) {
  // Item 0: raw argmax picks the short choice "no" (-4 > -6); per character the long one wins
  // ("no" -4/2 = -2.0, "absolutely" -6/10 = -0.6). Gold is 1.
  // Item 1: "caf\u00e9" has 4 code points (5 bytes): -4.4/4 = -1.1 < "cafe!" -5.0/5 = -1.0, so acc_norm
  // picks 1 (gold); dividing by bytes would give -0.88 and pick 0. Raw argmax picks 0.
  Task t = Task::multiple_choice(TaskId::kArcChallenge, 0,
                                 {item("a", {"no", "absolutely"}, 1), item("b", {"caf\xC3\xA9", "cafe!"}, 1)});
  TaskResult r = t.score(std::vector<engine::LoglikelihoodResult>{ll(-4), ll(-6), ll(-4.4), ll(-5.0)});
  ASSERT_EQ(r.item_records.size(), 2u);
  EXPECT_EQ(r.item_records[0]["chosen"], 0);
  EXPECT_EQ(r.item_records[0]["chosen_norm"], 1);
  EXPECT_EQ(r.item_records[1]["choice_chars"], (std::vector<int>{4, 5}));
  EXPECT_EQ(r.item_records[1]["chosen"], 0);
  EXPECT_EQ(r.item_records[1]["chosen_norm"], 1);
  ASSERT_NE(r.find("acc"), nullptr);
  EXPECT_DOUBLE_EQ(r.find("acc")->value, 0.0);
  EXPECT_DOUBLE_EQ(r.find("acc_norm")->value, 1.0);
  EXPECT_EQ(r.headline, "acc_norm");
  EXPECT_DOUBLE_EQ(r.headline_value(), 1.0);
}

TEST(tasks_Scoring, StandardErrorOfBinaryMean) {
  std::vector<ChoiceItem> items;
  std::vector<engine::LoglikelihoodResult> res;
  // 5 items, 2 correct: p = 0.4, stderr = sqrt(0.4*0.6/4).
  for (int i = 0; i < 5; ++i) {
    items.push_back(item(std::to_string(i), {"x", "y"}, 0));
    res.push_back(ll(i < 2 ? -1 : -3));
    res.push_back(ll(-2));
  }
  TaskResult r = Task::multiple_choice(TaskId::kHellaswag, 0, items).score(res);
  EXPECT_DOUBLE_EQ(r.find("acc")->value, 0.4);
  ASSERT_TRUE(r.find("acc")->std_error.has_value());
  EXPECT_NEAR(*r.find("acc")->std_error, std::sqrt(0.4 * 0.6 / 4.0), 1e-15);
  EXPECT_EQ(r.n_items, 5);
}

TEST(tasks_Scoring, TiesGoToTheFirstChoiceLikeNumpyArgmax) {
  TaskResult r = Task::multiple_choice(TaskId::kMmlu, 0, {item("t", {"A", "B", "C", "D"}, 1)})
                     .score(std::vector<engine::LoglikelihoodResult>{ll(-2), ll(-1), ll(-1), ll(-3)});
  EXPECT_EQ(r.item_records[0]["chosen"], 1);
  EXPECT_EQ(r.item_records[0]["correct"], true);
  EXPECT_FALSE(r.find("acc")->std_error.has_value());  // n = 1
}

TEST(tasks_Scoring, AccNormForMmluAndMc1TooHeadlineStaysAcc) {
  // TruthfulQA MC1, gold 0. Item 0: "yes" -3 vs "no way" -4: acc picks 0 (-3 > -4), per character
  // -1.0 vs -4/6 = -0.667 picks 1. Item 1: "a" -1 vs "bb" -5: both pick 0. acc = 2/2 = 1.0,
  // acc_norm = 1/2 = 0.5, stderr sqrt(0.5*0.5/1) = 0.5.
  TaskResult mc1 =
      Task::multiple_choice(TaskId::kTruthfulqaMc1, 0, {item("0", {"yes", "no way"}, 0), item("1", {"a", "bb"}, 0)})
          .score(std::vector<engine::LoglikelihoodResult>{ll(-3), ll(-4), ll(-1), ll(-5)});
  ASSERT_NE(mc1.find("acc_norm"), nullptr);
  EXPECT_DOUBLE_EQ(mc1.find("acc")->value, 1.0);
  EXPECT_DOUBLE_EQ(mc1.find("acc_norm")->value, 0.5);
  EXPECT_DOUBLE_EQ(*mc1.find("acc_norm")->std_error, 0.5);
  EXPECT_EQ(mc1.item_records[0]["chosen_norm"], 1);
  EXPECT_EQ(mc1.item_records[0]["correct_norm"], false);
  EXPECT_EQ(mc1.headline, "acc");
  EXPECT_DOUBLE_EQ(mc1.headline_value(), 1.0);

  // MMLU: the choices " A".." D" are one character each, so acc_norm equals acc, per subject too.
  ChoiceItem a = item("s/0", {"A", "B", "C", "D"}, 2);
  a.subject = "anatomy";
  ChoiceItem b = item("s/1", {"A", "B", "C", "D"}, 0);
  b.subject = "anatomy";
  TaskResult mmlu = Task::multiple_choice(TaskId::kMmlu, 0, {a, b})
                        .score(std::vector<engine::LoglikelihoodResult>{ll(-3), ll(-2), ll(-1), ll(-4), ll(-5), ll(-1),
                                                                        ll(-2), ll(-3)});
  EXPECT_DOUBLE_EQ(mmlu.find("acc")->value, 0.5);
  EXPECT_DOUBLE_EQ(mmlu.find("acc_norm")->value, 0.5);
  EXPECT_EQ(mmlu.headline, "acc");
  ASSERT_EQ(mmlu.subjects.size(), 1u);
  ASSERT_EQ(mmlu.subjects[0].metrics.size(), 2u);
  EXPECT_EQ(mmlu.subjects[0].metrics[1].name, "acc_norm");
  EXPECT_DOUBLE_EQ(mmlu.subjects[0].metrics[1].value, 0.5);
  EXPECT_EQ(mmlu.item_records[1]["correct_norm"], false);
}

TEST(tasks_Scoring, Mc2ProbabilityMassOfTrueAnswers) {
  // p = exp(ll): true answers ln(0.2), ln(0.1); false ln(0.3), ln(0.4) -> 0.3 / 1.0.
  std::vector<double> lls = {std::log(0.2), std::log(0.1), std::log(0.3), std::log(0.4)};
  EXPECT_NEAR(mc2_score(lls, {1, 1, 0, 0}), 0.3, 1e-12);
  // Unnormalised and tiny probabilities: same ratio (exp would underflow without the max shift).
  std::vector<double> shifted;
  for (double x : lls) shifted.push_back(x - 900.0);
  EXPECT_NEAR(mc2_score(shifted, {1, 1, 0, 0}), 0.3, 1e-12);
  // lm-eval counts only the answers before the first 0 as true: the later 1 is false.
  EXPECT_NEAR(mc2_score(lls, {1, 0, 1, 0}), 0.2, 1e-12);

  std::vector<ChoiceItem> items = {item("0", {"t1", "t2", "f1", "f2"}, 0, {1, 1, 0, 0}),
                                   item("1", {"t", "f"}, 0, {1, 0})};
  std::vector<engine::LoglikelihoodResult> res;
  for (double x : lls) res.push_back(ll(x));
  res.push_back(ll(std::log(0.9)));
  res.push_back(ll(std::log(0.3)));  // 0.9 / 1.2 = 0.75
  TaskResult r = Task::multiple_choice(TaskId::kTruthfulqaMc2, 0, items).score(res);
  EXPECT_EQ(r.metrics.size(), 1u);
  EXPECT_NEAR(r.find("mc2")->value, (0.3 + 0.75) / 2, 1e-12);
  EXPECT_EQ(r.headline, "mc2");
  // Sample standard deviation / sqrt(n): |0.3 - 0.75| / sqrt(2) / sqrt(2) = 0.225.
  EXPECT_NEAR(*r.find("mc2")->std_error, 0.225, 1e-12);
  EXPECT_NEAR(r.item_records[0]["mc2_score"].get<double>(), 0.3, 1e-12);
  EXPECT_EQ(r.item_records[0]["chosen"], 3);
  EXPECT_EQ(r.item_records[0]["correct"], false);
}

TEST(tasks_Scoring, MmluMicroAverageAndPerSubject) {
  TaskOptions o;
  o.data_dir = testing::layout_a();
  Task t = load_task(TaskId::kMmlu, o);  // 3 college_physics + 5 marketing
  std::vector<engine::LoglikelihoodResult> res;
  int k = 0;
  for (const ChoiceItem& it : t.choice_items()) {
    // Correct on college_physics items 0,1 and marketing item 0 only.
    bool right = (it.subject == "college_physics" && k < 2) || (it.subject == "marketing" && k == 3);
    for (int c = 0; c < 4; ++c) res.push_back(ll((c == it.gold) == right ? -0.5 : -2.0));
    ++k;
  }
  TaskResult r = t.score(res);
  EXPECT_DOUBLE_EQ(r.find("acc")->value, 3.0 / 8.0);
  ASSERT_EQ(r.subjects.size(), 2u);
  EXPECT_EQ(r.subjects[0].subject, "college_physics");
  EXPECT_EQ(r.subjects[0].n_items, 3);
  EXPECT_DOUBLE_EQ(r.subjects[0].metrics[0].value, 2.0 / 3.0);
  EXPECT_EQ(r.subjects[1].subject, "marketing");
  EXPECT_DOUBLE_EQ(r.subjects[1].metrics[0].value, 1.0 / 5.0);
  EXPECT_EQ(r.item_records[3]["subject"], "marketing");
  EXPECT_EQ(r.item_records[3]["continuations"][2], " C");
}

TEST(tasks_Scoring, WrongResultCountOrKindThrows) {
  Task t = Task::multiple_choice(TaskId::kArcChallenge, 0, {item("a", {"x", "y"}, 0)});
  EXPECT_THROW(t.score(std::vector<engine::LoglikelihoodResult>{ll(-1)}), util::Error);
  EXPECT_THROW(t.score(std::vector<engine::GenerationResult>{gen("1")}), util::Error);
}

TEST(tasks_Scoring, Gsm8kBothFiltersAndRecords) {
  TaskOptions o;
  o.data_dir = testing::layout_a();
  Task t = load_task(TaskId::kGsm8k, o);  // targets 28, "2,200", -3
  TaskResult r = t.score(std::vector<engine::GenerationResult>{
      gen(" She has 4 * 7 = 28 marbles.\n#### 28"), gen(" It sold 2,200 pens in total.", engine::StopReason::kEos),
      gen(" The balance is $-3.\n#### 3", engine::StopReason::kMaxTokens)});
  EXPECT_DOUBLE_EQ(r.find("exact_match,strict-match")->value, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.find("exact_match,flexible-extract")->value, 2.0 / 3.0);
  EXPECT_EQ(r.headline, "exact_match,strict-match");
  const auto& a = r.item_records;
  EXPECT_EQ(a[0]["extracted_strict"], "28");
  EXPECT_EQ(a[0]["correct_strict"], true);
  EXPECT_EQ(a[1]["extracted_strict"], nullptr);
  EXPECT_EQ(a[1]["answer_strict"], "[invalid]");
  EXPECT_EQ(a[1]["extracted_flexible"], "2,200");
  EXPECT_EQ(a[1]["gold"], "2200");
  EXPECT_EQ(a[1]["correct_flexible"], true);
  EXPECT_EQ(a[1]["stop_reason"], "eos");
  EXPECT_EQ(a[2]["extracted_strict"], "3");
  EXPECT_EQ(a[2]["extracted_flexible"], "3");  // the last number in the text
  EXPECT_EQ(a[2]["gold"], "-3");
  EXPECT_EQ(a[2]["correct_flexible"], false);
  EXPECT_EQ(a[2]["stop_reason"], "max_tokens");
  EXPECT_EQ(a[2]["generated"], " The balance is $-3.\n#### 3");
  EXPECT_TRUE(a[0]["prompt"].get<std::string>().ends_with("How many marbles does she have?\nAnswer:"));
}

}  // namespace
}  // namespace jouleval::tasks
