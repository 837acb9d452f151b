// Recommendation logic on hand-built cells: scenarios, explicit constraints, objectives, and the
// "no configuration meets the constraints" message naming the excluding constraint.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "report/recommend.h"
#include "util/error.h"

namespace jouleval::report {
namespace {

// J/question: fp16 12.6, int8 9.45, int4 6.3; EOR/item: 171.4, 226.7, 314.3;
// retention vs fp16: int8 0.595/0.6 = 99.17%, int4 0.55/0.6 = 91.67%;
// peak power (GPU 300 x scale + CPU 60): fp16 360 W, int8 285 W, int4 210 W.
std::vector<results::Cell> cells() {
  return {testing::cell("m", "fp16", "mmlu", 0.60, 1.0), testing::cell("m", "int8", "mmlu", 0.595, 0.75),
          testing::cell("m", "int4", "mmlu", 0.55, 0.5)};
}
std::vector<results::Machine> machines() { return {testing::h100_machine()}; }

Constraints scenario(const std::string& name, std::optional<double> power = std::nullopt) {
  Constraints k;
  k.max_power_w = power;
  return apply_scenario(name, k, false);
}

const Candidate& chosen(const Recommendation& r) { return r.candidates.at(r.chosen.value()); }

TEST(report_recommend, DatacenterPicksBestEorAtNinetyEightPercent) {
  const auto rec = recommend(cells(), machines(), scenario("datacenter"));
  ASSERT_TRUE(rec.chosen.has_value()) << rec.message;
  EXPECT_EQ(chosen(rec).precision, "int8");
  EXPECT_NEAR(*chosen(rec).retention, 0.595 / 0.6, 1e-12);
  EXPECT_NEAR(*chosen(rec).j_per_question, 9.45, 1e-9);
  EXPECT_NEAR(*chosen(rec).eor_item, 0.595 / (9.45 / 3600.0), 1e-9);
  ASSERT_EQ(rec.candidates.size(), 3u);
  // int4 is in the matrix, failing the retention constraint.
  const auto& int4 = rec.candidates.back();
  EXPECT_EQ(int4.precision, "int4");
  EXPECT_FALSE(int4.eligible);
  EXPECT_NE(rec.message.find("int8"), std::string::npos);
  EXPECT_NE(format_recommendation(rec).find("=>"), std::string::npos);
  EXPECT_EQ(recommendation_json(rec)["chosen"], 0);
}

TEST(report_recommend, EnterpriseAndExplicitRetention) {
  EXPECT_EQ(chosen(recommend(cells(), machines(), scenario("enterprise"))).precision, "int8");
  Constraints strict;
  strict.min_accuracy_retention = 0.995;
  EXPECT_EQ(chosen(recommend(cells(), machines(), strict)).precision, "fp16");
}

TEST(report_recommend, ObjectiveEnergyWithoutConstraintsPicksCheapest) {
  Constraints k;
  k.objective = Objective::kEnergy;
  EXPECT_EQ(chosen(recommend(cells(), machines(), k)).precision, "int4");
}

TEST(report_recommend, EdgeNeedsACap) {
  EXPECT_THROW(scenario("edge"), util::Error);
  EXPECT_THROW(scenario("moon"), util::Error);
  EXPECT_EQ(*scenario("edge", 300.0).min_accuracy_retention, 0.95);
  EXPECT_EQ(chosen(recommend(cells(), machines(), scenario("edge", 300.0))).precision, "int8");
}

TEST(report_recommend, NoConfigurationNamesTheExcludingConstraint) {
  // Power cap 250 W: int4 (best EOR) meets it but loses too much accuracy; the others draw too much.
  const auto rec = recommend(cells(), machines(), scenario("edge", 250.0));
  ASSERT_FALSE(rec.chosen.has_value());
  EXPECT_NE(rec.message.find("No configuration meets the constraints"), std::string::npos);
  const auto first = rec.message.find("1. m int4");
  ASSERT_NE(first, std::string::npos) << rec.message;
  const std::string line = rec.message.substr(first, rec.message.find('\n', first) - first);
  EXPECT_NE(line.find("accuracy retention >= 95.0% (got 91.7%)"), std::string::npos) << line;
  EXPECT_EQ(line.find("power <="), std::string::npos) << line;
  EXPECT_NE(rec.message.find("power <= 250 W (got 285.0 W (peak))"), std::string::npos) << rec.message;
}

TEST(report_recommend, TaskCoverageAndTaskFilter) {
  auto all = cells();
  all.push_back(testing::cell("m", "fp16", "gsm8k", 0.4, 3.0));
  Constraints k;
  k.objective = Objective::kEnergy;
  const auto rec = recommend(all, machines(), k);
  EXPECT_EQ(chosen(rec).precision, "fp16");  // the only one that covers mmlu and gsm8k
  k.task = "mmlu";
  EXPECT_EQ(chosen(recommend(all, machines(), k)).precision, "int4");
}

TEST(report_recommend, MissingEnergyIsNotChosen) {
  auto all = cells();
  for (auto& rep : all[2].repetitions) rep.meters.clear();  // int4 without energy
  Constraints k;
  const auto rec = recommend(all, machines(), k);
  EXPECT_EQ(chosen(rec).precision, "int8");
  EXPECT_FALSE(rec.candidates.back().objective.has_value());
}

}  // namespace
}  // namespace jouleval::report
