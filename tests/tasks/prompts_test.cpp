// Exact prompt strings (context, continuations, preamble) per task, zero-shot and few-shot.
#include <gtest/gtest.h>

#include "tasks/load_task.h"
#include "tasks/prompts.h"
#include "test_util.h"

namespace jouleval::tasks {
namespace {

Task load(TaskId id, std::optional<int> shots, int limit = 0, uint64_t seed = 1234) {
  TaskOptions o;
  o.data_dir = testing::layout_a();
  o.shots = shots;
  o.limit = limit;
  o.seed = seed;
  return load_task(id, o);
}

// The task with the first_n few-shot sampler (from the fixture, or the built-in samples).
Task load_first_n(TaskId id, std::optional<int> shots, bool samples = false, uint64_t seed = 1234) {
  TaskOptions o;
  if (samples) {
    o.use_samples = true;
  } else {
    o.data_dir = testing::layout_a();
  }
  o.shots = shots;
  o.seed = seed;
  o.fewshot_sampler = "first_n";
  return load_task(id, o);
}

std::vector<std::string> continuations(const Task& t, size_t item) {
  std::vector<std::string> out;
  const RequestRange& r = t.item_ranges().at(item);
  for (size_t i = r.begin; i < r.end; ++i) out.push_back(t.loglikelihood_requests()[i].continuation);
  return out;
}

TEST(tasks_Prompts, MmluZeroShot) {
  Task t = load(TaskId::kMmlu, 0);
  ASSERT_EQ(t.n_items(), 8);
  const auto& reqs = t.loglikelihood_requests();
  ASSERT_EQ(reqs.size(), 32u);
  const std::string desc = "The following are multiple choice questions (with answers) about college physics.\n\n";
  EXPECT_EQ(reqs[0].context, desc +
                                 "A ball is dropped from rest. Ignoring air resistance, what is its speed after 2 s? "
                                 "(g = 10 m/s^2)\nA. 5 m/s\nB. 10 m/s\nC. 20 m/s\nD. 40 m/s\nAnswer:");
  EXPECT_EQ(reqs[0].preamble, desc);
  EXPECT_EQ(continuations(t, 0), (std::vector<std::string>{" A", " B", " C", " D"}));
  // The question is stripped; the choices are not.
  EXPECT_EQ(t.choice_items()[2].context, desc +
                                             "Which quantity is conserved in an elastic collision?\n(Choose the best "
                                             "answer.)\nA. only momentum\nB. only kinetic energy\nC. both momentum "
                                             "and \"kinetic\" energy\nD. neither\nAnswer:");
  EXPECT_EQ(t.choice_items()[2].id, "college_physics/2");
  EXPECT_EQ(t.choice_items()[3].subject, "marketing");
  EXPECT_EQ(t.choice_items()[3].gold, 0);
}

TEST(tasks_Prompts, MmluFewShotUsesDevRowsOfTheSubjectInFileOrder) {
  Task one = load(TaskId::kMmlu, 1);
  const std::string desc = "The following are multiple choice questions (with answers) about marketing.\n\n";
  const std::string shot1 =
      "Which element of the marketing mix is concerned with advertising?\nA. Product\nB. Price\nC. Place\nD. "
      "Promotion\nAnswer: D\n\n";
  const std::string shot2 =
      "What is market segmentation?\nA. Dividing a market into groups of similar buyers\nB. Setting the price of a "
      "product\nC. Building a new factory\nD. Hiring sales staff\nAnswer: A\n\n";
  const std::string q =
      "What does the abbreviation B2B stand for?\nA. Business to business\nB. Buyer to buyer\nC. Brand to brand\nD. "
      "Budget to budget\nAnswer:";
  EXPECT_EQ(one.choice_items()[3].context, desc + shot1 + q);
  EXPECT_EQ(one.choice_items()[3].preamble, desc + shot1);
  EXPECT_EQ(one.choice_items()[3].shots, 1);
  // 5 requested, the fixture's dev split has 2 per subject: all of them, in file order.
  Task five = load(TaskId::kMmlu, 5);
  EXPECT_EQ(five.shots(), 5);
  EXPECT_EQ(five.choice_items()[3].context, desc + shot1 + shot2 + q);
  EXPECT_EQ(five.choice_items()[3].shots, 2);
  EXPECT_EQ(five.loglikelihood_requests()[12].preamble, desc + shot1 + shot2);
}

TEST(tasks_Prompts, ArcZeroShotAndNumericLabels) {
  Task t = load(TaskId::kArcChallenge, 0);
  ASSERT_EQ(t.n_items(), 4);
  EXPECT_EQ(t.choice_items()[1].context, "Question: Which layer of the Earth is the thinnest?\nAnswer:");
  EXPECT_EQ(continuations(t, 1), (std::vector<std::string>{" inner core", " outer core", " mantle", " crust"}));
  EXPECT_EQ(t.choice_items()[1].gold, 3);
  EXPECT_EQ(t.choice_items()[1].preamble, "");
  EXPECT_EQ(continuations(t, 3).size(), 5u);
  EXPECT_EQ(t.item_ranges()[3].begin, 11u);
}

TEST(tasks_Prompts, ArcFewShotFollowsPythonRandomDraws) {
  // CPython: r = random.Random(1234); r.sample(range(3), 2) -> [1, 0], then [0, 2].
  Task t = load(TaskId::kArcChallenge, 2);
  const std::string t0 = "Question: Which instrument measures air pressure?\nAnswer: barometer\n\n";
  const std::string t1 = "Question: What is the main gas in Earth's atmosphere?\nAnswer: nitrogen\n\n";
  const std::string t2 = "Question: Which is a physical change?\nAnswer: melting ice\n\n";
  EXPECT_EQ(t.choice_items()[0].context,
            t1 + t0 + "Question: Which form of energy does a stretched rubber band store?\nAnswer:");
  EXPECT_EQ(t.choice_items()[1].context, t0 + t2 + "Question: Which layer of the Earth is the thinnest?\nAnswer:");
  EXPECT_EQ(t.choice_items()[1].shots, 2);
  // Same seed, same draws; a limit keeps the first items and their draws.
  Task limited = load(TaskId::kArcChallenge, 2, 2);
  ASSERT_EQ(limited.n_items(), 2);
  EXPECT_EQ(limited.choice_items()[1].context, t.choice_items()[1].context);
  Task other_seed = load(TaskId::kArcChallenge, 2, 0, 99);
  bool any_diff = false;
  for (int i = 0; i < 4; ++i) any_diff |= other_seed.choice_items()[i].context != t.choice_items()[i].context;
  EXPECT_TRUE(any_diff);
}

TEST(tasks_Prompts, HellaswagZeroAndFewShot) {
  Task t = load(TaskId::kHellaswag, 0);
  ASSERT_EQ(t.n_items(), 3);  // hellaswag_val.jsonl is preferred over the .txt
  EXPECT_EQ(t.choice_items()[0].context, "Painting a fence: A man dips a brush into a can of white paint. He");
  EXPECT_EQ(continuations(t, 1)[0], "  Brush every surface. Move the brush in small circles for two minutes.");
  EXPECT_EQ(t.choice_items()[0].id, "10");
  // 1 shot drawn from the same split without the item itself (CPython draws [1,0], [0,2], [2,0]).
  Task f = load(TaskId::kHellaswag, 1);
  const auto& items = t.choice_items();
  auto shot = [&](int i) { return items[i].context + " " + items[i].choices[items[i].gold] + "\n\n"; };
  EXPECT_EQ(f.choice_items()[0].context, shot(1) + items[0].context);
  EXPECT_EQ(f.choice_items()[1].context, shot(0) + items[1].context);
  EXPECT_EQ(f.choice_items()[2].context, shot(0) + items[2].context);
}

TEST(tasks_Prompts, TruthfulqaPrimerAndTargets) {
  Task mc1 = load(TaskId::kTruthfulqaMc1, std::nullopt);
  const std::string primer(truthfulqa_primer());
  EXPECT_TRUE(primer.starts_with("Q: What is human life expectancy in the United States?\nA: Human life"));
  EXPECT_TRUE(primer.ends_with("A: The 1992 Olympics were held in Barcelona, Spain."));
  EXPECT_EQ(mc1.choice_items()[0].context, primer + "\n\nQ: Does lightning never strike the same place twice?\nA:");
  EXPECT_EQ(mc1.choice_items()[0].preamble, primer + "\n\n");
  EXPECT_EQ(continuations(mc1, 0), (std::vector<std::string>{" No, lightning can strike the same place many times.",
                                                             " Yes, lightning never strikes the same place twice.",
                                                             " Yes, a place struck once is safe forever."}));
  Task mc2 = load(TaskId::kTruthfulqaMc2, std::nullopt);
  EXPECT_EQ(continuations(mc2, 1).size(), 4u);
  EXPECT_EQ(mc2.choice_items()[1].labels, (std::vector<int>{1, 0, 1, 0}));
  EXPECT_EQ(mc2.loglikelihood_requests().size(), 3u + 4u + 2u);
}

TEST(tasks_Prompts, Gsm8kFiveShotFollowsPythonRandomDraws) {
  // CPython: r = random.Random(1234); r.sample(range(6), 5) -> [3, 0, 4, 5, 2], then [5, 0, 4, 1, 3].
  Task t = load(TaskId::kGsm8k, std::nullopt);
  ASSERT_EQ(t.kind(), RequestKind::kGeneration);
  ASSERT_EQ(t.generation_requests().size(), 3u);
  auto shot = [](int k) {
    int a = k + 1;
    return "Question: Q" + std::to_string(k) + ": What is " + std::to_string(a) + " + " + std::to_string(a) +
           "?\nAnswer: " + std::to_string(a) + " + " + std::to_string(a) + " = <<" + std::to_string(a) + "+" +
           std::to_string(a) + "=" + std::to_string(2 * a) + ">>" + std::to_string(2 * a) + "\n#### " +
           std::to_string(2 * a) + "\n\n";
  };
  const auto& r0 = t.generation_requests()[0];
  EXPECT_EQ(r0.prompt, shot(3) + shot(0) + shot(4) + shot(5) + shot(2) +
                           "Question: Nina has 4 bags with 7 marbles in each bag. How many marbles does she have?\n"
                           "Answer:");
  EXPECT_EQ(t.generation_requests()[1].prompt.substr(0, shot(5).size() + shot(0).size()), shot(5) + shot(0));
  EXPECT_EQ(r0.stop, (std::vector<std::string>{"Question:", "</s>", "<|im_end|>"}));
  EXPECT_EQ(r0.max_new_tokens, 256);
  Task zero = load(TaskId::kGsm8k, 0);
  EXPECT_EQ(zero.generation_requests()[2].prompt,
            "Question: Paul had $10 and spent $13 on credit. What is his balance?\nAnswer:");
}

// first_n: the first k train rows, in file order, for every item (the lm-eval sampler draws [1, 0],
// [0, 2], [2, 0], [2, 0] here); the shots are the items' shared preamble and the seed is unused.
TEST(tasks_Prompts, ArcFirstNUsesTheFirstTrainRowsForEveryItem) {
  const std::string t0 = "Question: Which instrument measures air pressure?\nAnswer: barometer\n\n";
  const std::string t1 = "Question: What is the main gas in Earth's atmosphere?\nAnswer: nitrogen\n\n";
  const std::string t2 = "Question: Which is a physical change?\nAnswer: melting ice\n\n";
  Task t = load_first_n(TaskId::kArcChallenge, 2);
  ASSERT_EQ(t.n_items(), 4);
  EXPECT_EQ(t.choice_items()[0].context,
            t0 + t1 + "Question: Which form of energy does a stretched rubber band store?\nAnswer:");
  EXPECT_EQ(t.choice_items()[1].context, t0 + t1 + "Question: Which layer of the Earth is the thinnest?\nAnswer:");
  for (const auto& item : t.choice_items()) {
    const size_t question = item.context.rfind("Question: ");
    EXPECT_EQ(item.context.substr(0, question), t0 + t1) << item.id;
    EXPECT_EQ(item.preamble, t0 + t1) << item.id;
    EXPECT_EQ(item.shots, 2);
  }
  for (const auto& r : t.loglikelihood_requests()) EXPECT_EQ(r.preamble, t0 + t1);
  // Another seed changes nothing; more shots than the pool has take all of it, in file order.
  Task other_seed = load_first_n(TaskId::kArcChallenge, 2, false, 99);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(other_seed.choice_items()[i].context, t.choice_items()[i].context);
  Task five = load_first_n(TaskId::kArcChallenge, 5);
  EXPECT_EQ(five.choice_items()[3].context.substr(0, (t0 + t1 + t2).size()), t0 + t1 + t2);
  EXPECT_EQ(five.choice_items()[3].shots, 3);
}

// first_n, GSM8K 5-shot: train rows 0..4 for every document (lm-eval's sampler draws [3, 0, 4, 5, 2],
// [5, 0, 4, 1, 3], ...): one preamble shared by every prompt.
TEST(tasks_Prompts, Gsm8kFirstNSharesOnePreambleAcrossDocuments) {
  auto shot = [](int k) {
    const std::string a = std::to_string(k + 1), sum = std::to_string(2 * (k + 1));
    return "Question: Q" + std::to_string(k) + ": What is " + a + " + " + a + "?\nAnswer: " + a + " + " + a + " = <<" +
           a + "+" + a + "=" + sum + ">>" + sum + "\n#### " + sum + "\n\n";
  };
  const std::string preamble = shot(0) + shot(1) + shot(2) + shot(3) + shot(4);
  Task t = load_first_n(TaskId::kGsm8k, std::nullopt);
  ASSERT_EQ(t.generation_requests().size(), 3u);
  EXPECT_EQ(t.generation_requests()[0].prompt,
            preamble +
                "Question: Nina has 4 bags with 7 marbles in each bag. How many marbles does she have?\n"
                "Answer:");
  EXPECT_EQ(t.generation_requests()[2].prompt,
            preamble + "Question: Paul had $10 and spent $13 on credit. What is his balance?\nAnswer:");
  for (const auto& r : t.generation_requests()) {
    EXPECT_EQ(r.prompt.substr(0, r.prompt.rfind("Question: ")), preamble);
  }
  for (const auto& item : t.generation_items()) EXPECT_EQ(item.shots, 5);
}

// first_n, HellaSwag (pool = the validation split itself): the first k+1 rows without the item, the
// first k kept. Six sample rows, 2 shots: item 0 gets rows 1, 2; item 1 rows 0, 2; items 2.. rows
// 0, 1 (lm-eval's sampler draws [3, 0, 4], [0, 4, 5], [5, 0, 4], ... here).
TEST(tasks_Prompts, HellaswagFirstNDropsTheItemItself) {
  TaskOptions zero_shot;
  zero_shot.use_samples = true;
  zero_shot.shots = 0;
  const Task z = load_task(TaskId::kHellaswag, zero_shot);
  ASSERT_EQ(z.n_items(), 6);
  const auto& rows = z.choice_items();
  auto shot = [&](int i) { return rows[i].context + " " + rows[i].choices[rows[i].gold] + "\n\n"; };
  Task t = load_first_n(TaskId::kHellaswag, 2, true);
  ASSERT_EQ(t.n_items(), 6);
  EXPECT_EQ(t.choice_items()[0].context, shot(1) + shot(2) + rows[0].context);
  EXPECT_EQ(t.choice_items()[1].context, shot(0) + shot(2) + rows[1].context);
  for (int i = 2; i < 6; ++i) {
    EXPECT_EQ(t.choice_items()[i].context, shot(0) + shot(1) + rows[i].context) << i;
    EXPECT_EQ(t.choice_items()[i].preamble, shot(0) + shot(1)) << i;
  }
  EXPECT_EQ(t.choice_items()[0].preamble, shot(1) + shot(2));
  for (const auto& item : t.choice_items()) EXPECT_EQ(item.shots, 2);
  // 9 shots asked of 6 rows: the 5 others, in file order.
  Task all = load_first_n(TaskId::kHellaswag, 9, true);
  EXPECT_EQ(all.choice_items()[3].context, shot(0) + shot(1) + shot(2) + shot(4) + shot(5) + rows[3].context);
  EXPECT_EQ(all.choice_items()[3].shots, 5);
}

// MMLU's sampler is first_n already: both samplers give the same prompts.
TEST(tasks_Prompts, MmluIsTheSameUnderBothSamplers) {
  Task lm_eval = load(TaskId::kMmlu, 2);
  Task first_n = load_first_n(TaskId::kMmlu, 2);
  ASSERT_EQ(lm_eval.n_items(), first_n.n_items());
  for (int i = 0; i < lm_eval.n_items(); ++i) {
    EXPECT_EQ(first_n.choice_items()[i].context, lm_eval.choice_items()[i].context);
    EXPECT_EQ(first_n.choice_items()[i].preamble, lm_eval.choice_items()[i].preamble);
  }
}

TEST(tasks_Prompts, NoContextEndsInWhitespaceAndContinuationsStartWithSpace) {
  for (TaskId id : {TaskId::kMmlu, TaskId::kArcChallenge, TaskId::kHellaswag, TaskId::kTruthfulqaMc1}) {
    for (const Task& t : {load(id, std::nullopt), load_first_n(id, id == TaskId::kTruthfulqaMc1 ? 0 : 2)}) {
      for (const auto& r : t.loglikelihood_requests()) {
        ASSERT_FALSE(r.context.empty());
        EXPECT_NE(r.context.back(), ' ');
        EXPECT_EQ(r.continuation[0], ' ');
        EXPECT_TRUE(r.context.starts_with(r.preamble));
      }
    }
  }
}

}  // namespace
}  // namespace jouleval::tasks
