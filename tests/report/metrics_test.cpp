// Metric formulas of report/metrics.h on hand-computed cells.
#include <gtest/gtest.h>

#include <cmath>

#include "fixtures.h"
#include "report/metrics.h"
#include "results/stats.h"

namespace jouleval::report {
namespace {

using testing::meter;
using testing::repetition;

// Two repetitions, GPU + CPU measured, DRAM unavailable. Hand computation:
// rep 0: total 3600 + 720 = 4320 J = 1.2 Wh over 10 s, 1000 prompt tokens, 100 items, score 0.5
//   tokens/s 100, avg 432 W, peak 400 + 80 = 480 W, J/token 4.32, J/question 43.2,
//   EOR 0.5/1.2 = 0.41667, TWEOR 0.5/(1.2*10) = 0.041667, EOR/item 0.5/0.012 = 41.667,
//   TWEOR/item 0.5/(0.012*0.1) = 416.67
// rep 1: total 4320 + 864 = 5184 J = 1.44 Wh over 12 s -> EOR 0.34722, J/question 51.84
results::Cell hand_cell() {
  results::Cell c;
  c.key.task = "mmlu";
  c.status = results::CellStatus::kDone;
  c.metrics = {{"acc", 0.5, 0.05}, {"acc_norm", 0.6, 0.05}};
  c.repetitions = {
      repetition(0, 10.0, 1000, 0, 100,
                 {meter("nvml:0", "gpu", 3600.0, 3000.0, 400.0), meter("rapl", "cpu", 720.0, 500.0, 80.0),
                  meter("rapl-dram", "dram", std::nullopt)}),
      repetition(1, 12.0, 1000, 0, 100,
                 {meter("nvml:0", "gpu", 4320.0, 3600.0, 420.0), meter("rapl", "cpu", 864.0, 600.0, 90.0),
                  meter("rapl-dram", "dram", std::nullopt)}),
  };
  return c;
}

TEST(report_metrics, RepetitionFormulas) {
  const auto r = compute_repetition(hand_cell().repetitions[0], 0.5);
  EXPECT_DOUBLE_EQ(*r.gpu_j, 3600.0);
  EXPECT_DOUBLE_EQ(*r.cpu_j, 720.0);
  EXPECT_FALSE(r.dram_j.has_value());
  EXPECT_DOUBLE_EQ(*r.total_j, 4320.0);
  EXPECT_DOUBLE_EQ(*r.active_j, 3500.0);
  EXPECT_DOUBLE_EQ(*r.total_wh, 1.2);
  EXPECT_DOUBLE_EQ(*r.tokens_per_s, 100.0);
  EXPECT_FALSE(r.generated_tokens_per_s.has_value());
  EXPECT_DOUBLE_EQ(*r.avg_power_w, 432.0);
  EXPECT_DOUBLE_EQ(*r.peak_power_w, 480.0);
  EXPECT_DOUBLE_EQ(*r.j_per_token, 4.32);
  EXPECT_DOUBLE_EQ(*r.j_per_prompt_token, 4.32);
  EXPECT_FALSE(r.j_per_generated_token.has_value());
  EXPECT_DOUBLE_EQ(*r.gpu_j_per_token, 3.6);
  EXPECT_DOUBLE_EQ(*r.j_per_question, 43.2);
  EXPECT_NEAR(*r.eor, 0.5 / 1.2, 1e-12);
  EXPECT_NEAR(*r.tweor, 0.5 / 12.0, 1e-12);
  EXPECT_NEAR(*r.eor_item, 41.666666666666667, 1e-9);
  EXPECT_NEAR(*r.tweor_item, 416.66666666666667, 1e-9);
}

TEST(report_metrics, CellStatisticsOverRepetitions) {
  const auto m = compute_cell_metrics(hand_cell());
  EXPECT_EQ(m.headline.name, "acc");
  EXPECT_DOUBLE_EQ(*m.score, 0.5);
  ASSERT_EQ(m.repetitions.size(), 2u);
  const results::Stat& e = *m.stats.total_j;
  EXPECT_EQ(e.n, 2);
  EXPECT_DOUBLE_EQ(e.mean, 4752.0);
  EXPECT_NEAR(*e.stddev, 864.0 / std::sqrt(2.0), 1e-9);
  // half width = t(0.975, 1) * sd / sqrt(2) = 12.706 * 432
  EXPECT_NEAR(*e.half_width(), 12.706 * 432.0, 1e-6);
  EXPECT_NEAR(m.stats.eor->mean, (0.5 / 1.2 + 0.5 / 1.44) / 2.0, 1e-12);
  EXPECT_NEAR(m.stats.j_per_question->mean, (43.2 + 51.84) / 2.0, 1e-9);
  EXPECT_NEAR(m.stats.seconds->mean, 11.0, 1e-12);
  ASSERT_EQ(m.unavailable_meters.size(), 1u);
  EXPECT_EQ(m.unavailable_meters[0], "rapl-dram (dram): permission denied");
  EXPECT_FALSE(m.estimated);
  EXPECT_EQ(m.items, 100);
}

TEST(report_metrics, MissingEnergyLeavesMetricsAbsentNeverZero) {
  results::Cell c = hand_cell();
  for (auto& rep : c.repetitions)
    for (auto& m : rep.meters) {
      m.available = false;
      m.total_joules.reset();
    }
  const auto m = compute_cell_metrics(c);
  EXPECT_FALSE(m.stats.total_j.has_value());
  EXPECT_FALSE(m.stats.eor.has_value());
  EXPECT_FALSE(m.stats.j_per_question.has_value());
  EXPECT_FALSE(m.stats.avg_power_w.has_value());
  ASSERT_TRUE(m.stats.tokens_per_s.has_value());  // time-based metrics remain
  EXPECT_EQ(m.unavailable_meters.size(), 3u);
}

TEST(report_metrics, OneRepetitionMissingEnergyDropsTheStatistic) {
  results::Cell c = hand_cell();
  c.repetitions[1].meters.clear();
  const auto m = compute_cell_metrics(c);
  EXPECT_TRUE(m.repetitions[0].total_j.has_value());
  EXPECT_FALSE(m.stats.total_j.has_value());
}

TEST(report_metrics, GenerationSplitsJoulesPerGeneratedToken) {
  const auto r = compute_repetition(repetition(0, 20.0, 3000, 1000, 50, {meter("nvml:0", "gpu", 8000.0)}), 0.4);
  EXPECT_FALSE(r.j_per_prompt_token.has_value());
  EXPECT_DOUBLE_EQ(*r.j_per_generated_token, 8.0);
  EXPECT_DOUBLE_EQ(*r.j_per_token, 2.0);
  EXPECT_DOUBLE_EQ(*r.generated_tokens_per_s, 50.0);
  EXPECT_FALSE(r.active_j.has_value());  // the meter has no idle baseline
  EXPECT_FALSE(r.peak_power_w.has_value());
}

TEST(report_metrics, ExternalMeterOnlyAndEstimates) {
  auto ext = meter("external", "external", 7200.0);
  auto r = compute_repetition(repetition(0, 10.0, 100, 0, 10, {ext}), 1.0);
  EXPECT_DOUBLE_EQ(*r.total_j, 7200.0);
  EXPECT_DOUBLE_EQ(*r.system_j, 7200.0);
  EXPECT_DOUBLE_EQ(*r.eor, 0.5);
  // With a GPU meter present, the whole-system meter is reported but not added.
  auto gpu = meter("nvml:0", "gpu", 3600.0);
  gpu.estimated = true;
  r = compute_repetition(repetition(0, 10.0, 100, 0, 10, {ext, gpu}), 1.0);
  EXPECT_DOUBLE_EQ(*r.total_j, 3600.0);
  EXPECT_TRUE(r.estimated);
}

TEST(report_metrics, CpuPlacementCountsOnlyTheHostMeters) {
  const auto gpu = meter("nvml:0", "gpu", 900.0);  // the idle GPU beside a CPU run
  auto r = compute_repetition(repetition(0, 10.0, 100, 0, 10, {gpu}), 0.5, /*cpu_placement=*/true);
  EXPECT_DOUBLE_EQ(*r.gpu_j, 900.0);  // still reported as the GPU's reading
  EXPECT_FALSE(r.total_j.has_value());
  EXPECT_FALSE(r.j_per_question.has_value());
  EXPECT_FALSE(r.eor.has_value());
  r = compute_repetition(repetition(0, 10.0, 100, 0, 10, {gpu, meter("rapl", "cpu", 1800.0)}), 0.5, true);
  EXPECT_DOUBLE_EQ(*r.total_j, 1800.0);
  EXPECT_DOUBLE_EQ(*r.j_per_question, 180.0);
  // The same meters for a GPU placement: both count.
  r = compute_repetition(repetition(0, 10.0, 100, 0, 10, {gpu, meter("rapl", "cpu", 1800.0)}), 0.5, false);
  EXPECT_DOUBLE_EQ(*r.total_j, 2700.0);

  results::Cell c = hand_cell();
  c.key.placement = "cpu";
  for (auto& rep : c.repetitions) {
    for (auto& m : rep.meters) m.kind = "gpu";
  }
  const auto m = compute_cell_metrics(c);
  EXPECT_TRUE(m.cpu_placement);
  EXPECT_FALSE(m.stats.total_j.has_value());
}

// A multi-GPU cell: each used GPU's energy, their sum, and the unused GPUs listed but not summed
// (docs/energy.md "Which GPUs are metered").
TEST(report_metrics, PerGpuEnergyAndUnusedGpus) {
  results::MeterEnergy unused;
  unused.meter = "nvml:0";
  unused.kind = "gpu";
  unused.device = "NVIDIA H200";
  unused.unavailable_reason = "unused: not among the GPUs of placement gpus:0,1";
  results::Cell c;
  c.key.task = "mmlu";
  c.key.placement = "gpus:0,1";
  c.metrics = {{"acc", 0.5, 0.05}};
  c.repetitions = {
      repetition(0, 10.0, 1000, 0, 100, {unused, meter("nvml:1", "gpu", 300.0), meter("nvml:2", "gpu", 100.0)}),
      repetition(1, 10.0, 1000, 0, 100, {unused, meter("nvml:1", "gpu", 500.0), meter("nvml:2", "gpu", 300.0)}),
  };
  const auto r = compute_repetition(c.repetitions[0], 0.5);
  EXPECT_DOUBLE_EQ(*r.gpu_j, 400.0);
  EXPECT_DOUBLE_EQ(*r.total_j, 400.0);
  ASSERT_EQ(r.gpu_j_by_meter.size(), 2u);
  EXPECT_EQ(r.gpu_j_by_meter[0].first, "nvml:1");
  EXPECT_DOUBLE_EQ(r.gpu_j_by_meter[1].second, 100.0);
  const auto m = compute_cell_metrics(c);
  EXPECT_DOUBLE_EQ(m.stats.gpu_j->mean, 600.0);
  ASSERT_EQ(m.gpu_j_by_meter.size(), 2u);
  EXPECT_DOUBLE_EQ(m.gpu_j_by_meter[0].second, 400.0);  // nvml:1: (300 + 500) / 2
  EXPECT_DOUBLE_EQ(m.gpu_j_by_meter[1].second, 200.0);  // nvml:2: (100 + 300) / 2
  EXPECT_EQ(m.unused_gpus, (std::vector<std::string>{"nvml:0 (NVIDIA H200)"}));
  EXPECT_TRUE(m.unavailable_meters.empty());  // an unused GPU is not a missing meter
}

TEST(report_metrics, HeadlineMetricPerTask) {
  const std::vector<results::Metric> mc = {{"acc", 0.3, 0.0}, {"acc_norm", 0.4, 0.0}};
  EXPECT_EQ(results::headline_metric("mmlu", mc).name, "acc");
  EXPECT_EQ(results::headline_metric("arc_challenge", mc).name, "acc_norm");
  EXPECT_DOUBLE_EQ(results::headline_metric("hellaswag", mc).metric->value, 0.4);
  EXPECT_EQ(results::headline_metric("truthfulqa_mc1", mc).name, "acc");
  EXPECT_EQ(results::headline_metric("truthfulqa_mc2", {{"mc2", 0.45, 0.0}}).name, "mc2");
  const std::vector<results::Metric> gsm = {{"exact_match,flexible-extract", 0.2, 0.0},
                                            {"exact_match,strict-match", 0.1, 0.0}};
  EXPECT_EQ(results::headline_metric("gsm8k", gsm).name, "exact_match,strict-match");
  EXPECT_EQ(results::headline_metric("gsm8k", {gsm[0]}).name, "exact_match,flexible-extract");
  EXPECT_FALSE(results::headline_metric("mmlu", {}).metric.has_value());
}

TEST(report_stats, StudentTAndSummaries) {
  const auto s = results::summarize({1.0, 2.0, 3.0});
  EXPECT_DOUBLE_EQ(s->mean, 2.0);
  EXPECT_DOUBLE_EQ(*s->stddev, 1.0);
  EXPECT_NEAR(*s->ci_low, 2.0 - 4.303 / std::sqrt(3.0), 1e-12);
  const auto one = results::summarize({5.0});
  EXPECT_FALSE(one->stddev.has_value());
  EXPECT_FALSE(one->ci_low.has_value());
  EXPECT_FALSE(results::summarize({}).has_value());
  EXPECT_FALSE(results::summarize_all({1.0, std::nullopt}).has_value());
}

}  // namespace
}  // namespace jouleval::report
