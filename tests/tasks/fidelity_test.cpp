// Answer flips and KL divergence between a reference run and a candidate run.
#include <cmath>

#include <gtest/gtest.h>

#include "tasks/fidelity.h"
#include "tasks/metrics.h"
#include "tasks/task.h"
#include "test_util.h"

namespace jouleval::tasks {
namespace {
using nlohmann::json;

json rec(std::string id, json chosen, std::vector<double> lls = {}) {
  json r{{"id", std::move(id)}, {"chosen", std::move(chosen)}};
  if (!lls.empty()) r["loglikelihoods"] = lls;
  return r;
}

TEST(tasks_Fidelity, KlDivergenceByHand) {
  // p = (0.5, 0.5), q = (0.25, 0.75): KL = 0.5 ln 2 + 0.5 ln(2/3).
  double kl = kl_divergence({std::log(0.5), std::log(0.5)}, {std::log(0.25), std::log(0.75)});
  EXPECT_NEAR(kl, 0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3.0), 1e-12);
  // Invariant to adding a constant to the log-likelihoods; zero for equal distributions.
  EXPECT_NEAR(kl_divergence({-10, -10}, {std::log(0.25) - 3, std::log(0.75) - 3}), kl, 1e-12);
  EXPECT_NEAR(kl_divergence({-1, -2, -3}, {-1, -2, -3}), 0.0, 1e-15);
  // Not symmetric.
  EXPECT_GT(std::abs(kl_divergence({std::log(0.25), std::log(0.75)}, {std::log(0.5), std::log(0.5)}) - kl), 1e-6);
}

TEST(tasks_Fidelity, FlipsAndMeanKlMatchedById) {
  std::vector<json> ref = {rec("a", 0, {std::log(0.5), std::log(0.5)}), rec("b", 1, {-1.0, -1.0}),
                           rec("c", 2, {-1, -2, -3}), rec("only_ref", 0, {-1, -1})};
  std::vector<json> cand = {rec("b", 0, {-1.0, -1.0}), rec("a", 0, {std::log(0.25), std::log(0.75)}),
                            rec("c", 2, {-1, -2, -3}), rec("only_cand", 1, {-1, -1})};
  Fidelity f = fidelity(ref, cand);
  EXPECT_EQ(f.n_compared, 3);
  EXPECT_DOUBLE_EQ(f.answer_flips, 1.0 / 3.0);
  ASSERT_TRUE(f.mean_kl.has_value());
  EXPECT_NEAR(*f.mean_kl, (0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3.0)) / 3.0, 1e-12);
}

TEST(tasks_Fidelity, Gsm8kHasFlipsButNoKl) {
  std::vector<json> ref = {rec("0", "18"), rec("1", "[invalid]"), rec("2", "7"), rec("3", "-3")};
  std::vector<json> cand = {rec("0", "18"), rec("1", "5"), rec("2", "7"), rec("3", "3")};
  Fidelity f = fidelity(ref, cand);
  EXPECT_EQ(f.n_compared, 4);
  EXPECT_DOUBLE_EQ(f.answer_flips, 0.5);
  EXPECT_FALSE(f.mean_kl.has_value());
}

TEST(tasks_Fidelity, WorksOnScoredRecords) {
  ChoiceItem it;
  it.id = "q";
  it.context = "c";
  it.choices = {"x", "y"};
  Task t = Task::multiple_choice(TaskId::kArcChallenge, 0, {it});
  auto r1 = t.score(std::vector<engine::LoglikelihoodResult>{testing::ll(-1), testing::ll(-2)}).item_records;
  auto r2 = t.score(std::vector<engine::LoglikelihoodResult>{testing::ll(-2), testing::ll(-1)}).item_records;
  Fidelity same = fidelity(r1, r1);
  EXPECT_DOUBLE_EQ(same.answer_flips, 0.0);
  EXPECT_NEAR(*same.mean_kl, 0.0, 1e-15);
  Fidelity flipped = fidelity(r1, r2);
  EXPECT_DOUBLE_EQ(flipped.answer_flips, 1.0);
  EXPECT_GT(*flipped.mean_kl, 0.0);
}

TEST(tasks_Fidelity, RejectsRecordsWithoutIdsOrWithDuplicates) {
  EXPECT_THROW(fidelity({json{{"chosen", 1}}}, {}), util::Error);
  EXPECT_THROW(fidelity({rec("a", 1), rec("a", 2)}, {}), util::Error);
  EXPECT_THROW(fidelity({rec("a", 1)}, {rec("a", 1), rec("a", 1)}), util::Error);
  Fidelity empty = fidelity({}, {});
  EXPECT_EQ(empty.n_compared, 0);
  EXPECT_FALSE(empty.mean_kl.has_value());
}

}  // namespace
}  // namespace jouleval::tasks
