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
  k.tasks = {"mmlu"};
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

// Without any energy reading the energy objectives rank nothing: recommend says so, names the
// meters' reasons and what to run, and ranks by tokens/s under the same constraints.
TEST(report_recommend, NoEnergyRanksByThroughputAndSaysSo) {
  auto all = cells();
  const double seconds[] = {20.0, 10.0, 5.0};  // tokens/s: fp16 2500, int8 5000, int4 10000
  for (size_t i = 0; i < all.size(); ++i)
    for (auto& rep : all[i].repetitions) {
      rep.seconds = seconds[i];
      rep.meters = {testing::meter("rapl", "cpu", std::nullopt)};
    }
  const auto rec = recommend(all, machines(), scenario("datacenter"));
  ASSERT_TRUE(rec.chosen.has_value()) << rec.message;
  EXPECT_FALSE(rec.energy_measured);
  EXPECT_EQ(rec.objective, Objective::kThroughput);
  // int4 is fastest but keeps 91.7% of the accuracy: int8 (99.2%) at 50000 tokens / 10 s.
  EXPECT_EQ(chosen(rec).precision, "int8");
  EXPECT_NEAR(*chosen(rec).objective, 5000.0, 1e-9);
  EXPECT_NE(rec.message.find("No energy was measured in these results (rapl (cpu): permission denied)"),
            std::string::npos)
      << rec.message;
  EXPECT_NE(rec.message.find("Ranked by tokens/s instead"), std::string::npos) << rec.message;
  EXPECT_NE(rec.message.find("--external-cmd"), std::string::npos) << rec.message;
  EXPECT_NE(format_recommendation(rec).find("objective tokens/s (asked: EOR per item"), std::string::npos);
  EXPECT_EQ(recommendation_json(rec)["energy_measured"], false);
  // Asked for accuracy: the most accurate.
  Constraints k;
  k.objective = Objective::kAccuracy;
  EXPECT_EQ(chosen(recommend(all, machines(), k)).precision, "fp16");
}

// Memory is the measured peak: GPU peak memory on a GPU, the host's peak resident memory on the CPU
// (not the model file's size); a CPU cell from a database without it reads "not recorded".
TEST(report_recommend, MemoryIsTheMeasuredPeak) {
  auto all = cells();
  auto cpu = testing::cell("m", "q4_0", "mmlu", 0.50, 0.1, "m-cpu");
  cpu.key.placement = "cpu";
  cpu.model_size_bytes = 10'400'000;  // 0.0104 GB file
  cpu.peak_gpu_memory_bytes = 0;
  cpu.repetitions[0].peak_rss_bytes = 400'000'000;
  cpu.repetitions[1].peak_rss_bytes = 420'000'000;
  all.push_back(cpu);
  Constraints k;
  k.max_memory_gb = 5.0;
  const auto rec = recommend(all, {testing::h100_machine(), testing::cpu_machine()}, k);
  auto find = [&](const std::string& precision) {
    for (const auto& c : rec.candidates)
      if (c.precision == precision) return c;
    ADD_FAILURE() << precision;
    return Candidate{};
  };
  EXPECT_NEAR(*find("int8").memory_gb, 9.1, 1e-9);  // GPU peak 8.1 GB file + 1 GB
  EXPECT_EQ(find("int8").memory_basis, "GPU peak");
  EXPECT_NEAR(*find("q4_0").memory_gb, 0.42, 1e-9);  // the higher repetition, not the file
  EXPECT_EQ(find("q4_0").memory_basis, "host peak RSS");
  EXPECT_EQ(chosen(rec).precision, "q4_0");  // the only one under 5 GB
  // A repetition without it (an older database): not recorded, and the cap cannot be checked.
  all.back().repetitions[1].peak_rss_bytes.reset();
  const auto old = recommend(all, {testing::h100_machine(), testing::cpu_machine()}, k);
  ASSERT_FALSE(old.chosen.has_value());
  EXPECT_NE(old.message.find("memory <= 5 GB (got host peak RSS not recorded)"), std::string::npos) << old.message;
  EXPECT_NE(format_recommendation(old).find("n/r = not recorded"), std::string::npos);
}

TEST(report_recommend, FiltersNameUnknownValues) {
  auto all = cells();
  all.push_back(testing::cell("other", "fp16", "hellaswag", 0.7, 2.0, "m-cpu"));
  const std::vector<results::Machine> both = {testing::h100_machine(), testing::cpu_machine()};
  auto usage_error = [&](Constraints k) {
    try {
      recommend(all, both, k);
    } catch (const util::Error& e) {
      EXPECT_EQ(e.kind(), util::ErrorKind::kUsage);
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  Constraints k;
  k.tasks = {"hellaswg"};
  EXPECT_EQ(usage_error(k), "--task 'hellaswg': no task of that name in the results (known: hellaswag, mmlu)");
  k = {};
  k.models = {"m", "mm"};
  EXPECT_EQ(usage_error(k), "--model 'mm': no model of that name in the results (known: m, other)");
  k = {};
  k.machines = {"gpu-bx"};
  EXPECT_EQ(usage_error(k),
            "--machine 'gpu-bx': no machine of that name in the results (known: laptop / Intel Core i7-1185G7 "
            "[m-cpu], gpu-box / NVIDIA H100 80GB HBM3 [m-h100])");
  // Known values keep their cells only: by hostname, label or model.
  k = {};
  k.machines = {"laptop"};
  auto rec = recommend(all, both, k);
  ASSERT_EQ(rec.candidates.size(), 1u);
  EXPECT_EQ(rec.candidates[0].model, "other");
  k.machines = {"gpu-box / NVIDIA H100 80GB HBM3"};
  EXPECT_EQ(recommend(all, both, k).candidates.size(), 3u);
  k = {};
  k.models = {"m"};
  k.tasks = {"mmlu", "hellaswag"};
  rec = recommend(all, both, k);
  EXPECT_EQ(rec.candidates.size(), 3u);
  EXPECT_EQ(rec.tasks, std::vector<std::string>{"mmlu"});
  k.models = {"other"};
  k.tasks = {"mmlu"};
  rec = recommend(all, both, k);
  EXPECT_TRUE(rec.candidates.empty());
  EXPECT_EQ(rec.message, "No finished cells for task mmlu and model other.");
}

}  // namespace
}  // namespace jouleval::report
