// Precision comparison, physical limits and the Pareto front on hand-built cells.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "fixtures.h"
#include "report/charts.h"
#include "report/limits.h"
#include "report/precision.h"

namespace jouleval::report {
namespace {

TEST(report_precision, ReferencePrecisionRule) {
  EXPECT_EQ(*results::reference_precision({"int8", "fp32", "bf16", "fp16"}), "fp16");
  EXPECT_EQ(*results::reference_precision({"int8", "bf16", "fp32"}), "bf16");
  EXPECT_EQ(*results::reference_precision({"int4", "fp32"}), "fp32");
  EXPECT_EQ(*results::reference_precision({"Q4_K_M", "Q6_K", "int5"}), "Q6_K");
  EXPECT_FALSE(results::reference_precision({}).has_value());
  EXPECT_EQ(results::precision_bits("Q8_0"), 8);
  EXPECT_EQ(results::precision_bits("IQ2_XS"), 2);
  EXPECT_FALSE(results::precision_bits("mystery").has_value());
}

TEST(report_precision, EnergyReductionAndAccuracyChangeWithIntervals) {
  const Summary s =
      build_summary({testing::cell("m", "fp16", "mmlu", 0.60, 1.0), testing::cell("m", "int8", "mmlu", 0.59, 0.75)},
                    {testing::h100_machine()});
  const auto comps = compare_precisions(s);
  ASSERT_EQ(comps.size(), 1u);
  const auto& c = comps[0];
  EXPECT_EQ(c.precision, "int8");
  EXPECT_EQ(c.reference, "fp16");
  EXPECT_NEAR(*c.energy_reduction, 0.25, 1e-12);
  // Both cells have the same relative spread (sd/mean), so the half width is
  // t(0.975, 1) * 0.75 * sqrt(2) * rel_se, rel_se = (sd / sqrt(2)) / mean.
  const auto& e = *s.rows[0].metrics.stats.j_per_question;
  const double rel = *e.stddev / std::sqrt(2.0) / e.mean;
  EXPECT_NEAR(*c.energy_ci_high - *c.energy_reduction, 12.706 * 0.75 * std::sqrt(2.0) * rel, 1e-9);
  EXPECT_NEAR(*c.accuracy_change, -0.01, 1e-12);
  EXPECT_NEAR(*c.accuracy_ci_high - *c.accuracy_change, 1.959964 * std::sqrt(2 * 0.02 * 0.02), 1e-9);
}

TEST(report_limits, BoundsForH100) {
  ASSERT_TRUE(find_gpu_spec("NVIDIA H100 80GB HBM3").has_value());
  EXPECT_EQ(find_gpu_spec("NVIDIA H100 80GB HBM3")->name, "H100 SXM");
  EXPECT_EQ(find_gpu_spec("NVIDIA H100 PCIe")->name, "H100 PCIe");
  EXPECT_EQ(find_gpu_spec("NVIDIA A100-SXM4-80GB")->name, "A100 SXM 80GB");
  EXPECT_EQ(find_gpu_spec("NVIDIA A100 80GB PCIe")->name, "A100 PCIe 80GB");
  EXPECT_EQ(find_gpu_spec("NVIDIA GeForce RTX 4090")->name, "RTX 4090");
  EXPECT_EQ(find_gpu_spec("NVIDIA H200")->name, "H200 SXM");
  EXPECT_FALSE(find_gpu_spec("NVIDIA H100 NVL").has_value());
  EXPECT_FALSE(find_gpu_spec("").has_value());

  // 7.6B parameters, F16 file 15.2 GB (docs/report.md "Physical limits"). GSM8K: 15000 generated
  // tokens in 300 decode calls, B = 50 tokens per read of the weights.
  auto gsm8k = testing::cell("m", "fp16", "gsm8k", 0.4, 1.0);
  for (auto& rep : gsm8k.repetitions) rep.decode_calls = 300;
  const Summary s = build_summary({testing::cell("m", "fp16", "mmlu", 0.6, 1.0), gsm8k}, {testing::h100_machine()});
  const auto limits = compare_limits(s);
  ASSERT_EQ(limits.size(), 2u);
  const auto& prompt = limits[0];
  EXPECT_EQ(prompt.phase, "prompt");
  EXPECT_NEAR(prompt.bound_tokens_per_s, 989e12 / (2 * 7.6e9), 1e-6);
  EXPECT_NEAR(prompt.bound_j_per_token, 0.01076, 1e-5);  // ~0.011 J per prompt token
  EXPECT_NEAR(*prompt.throughput_fraction, *prompt.tokens_per_s / prompt.bound_tokens_per_s, 1e-12);
  const auto& decode = limits[1];
  EXPECT_EQ(decode.phase, "decode");
  EXPECT_NEAR(decode.batch, 50.0, 1e-12);
  EXPECT_EQ(decode.batch_basis, "generated tokens / decode calls");
  EXPECT_FALSE(decode.kv_bytes_per_token.has_value());
  EXPECT_NEAR(decode.bound_tokens_per_s, 50.0 * 3.35e12 / 15.2e9, 1e-6);  // ~11000 tokens/s (220 per sequence)
  // GPU energy (mean 1050 J) over 15000 generated tokens.
  EXPECT_NEAR(*decode.j_per_token, 1050.0 / 15000.0, 1e-12);
  EXPECT_NEAR(*decode.energy_fraction, decode.bound_j_per_token / (1050.0 / 15000.0), 1e-12);
}

// B without decode calls: at most min(parallel sequences, items) sequences decode together; the KV
// reads enter the bound when the KV bytes per token are recorded.
TEST(report_limits, BatchEstimatesAndKvReads) {
  auto gsm8k = testing::cell("m", "fp16", "gsm8k", 0.4, 1.0);  // 100 items, no decode calls recorded
  std::string basis;
  auto batch_of = [&](const results::Cell& c) {
    return decode_batch(build_summary({c}, {testing::h100_machine()}).rows.at(0), &basis);
  };
  EXPECT_NEAR(batch_of(gsm8k), 100.0, 1e-12);
  EXPECT_EQ(basis, "items (decode calls and parallel sequences not recorded)");
  gsm8k.key.engine.max_sequences = 16;  // asked for
  EXPECT_NEAR(batch_of(gsm8k), 16.0, 1e-12);
  gsm8k.engine_used_json = R"({"max_sequences":64})";  // used: wins over what was asked
  EXPECT_NEAR(batch_of(gsm8k), 64.0, 1e-12);
  EXPECT_EQ(basis, "min(parallel sequences, items)");
  gsm8k.engine_used_json = R"({"max_sequences":256})";
  EXPECT_NEAR(batch_of(gsm8k), 100.0, 1e-12);  // never more than the items

  // 64 sequences, 28672 KV bytes per token, context 200 prompt + 150/2 generated per item.
  gsm8k.engine_used_json = R"({"max_sequences":64,"kv_bytes_per_token":28672})";
  const auto limits = compare_limits(build_summary({gsm8k}, {testing::h100_machine()}));
  ASSERT_EQ(limits.size(), 1u);
  EXPECT_NEAR(limits[0].context_tokens, 275.0, 1e-9);
  EXPECT_NEAR(limits[0].bound_tokens_per_s, 64 * 3.35e12 / (15.2e9 + 64 * 28672.0 * 275.0), 1e-6);
}

TEST(report_charts, ParetoFront) {
  // (energy, accuracy): 0 and 2 are on the front; 1 is dominated by 0; 3 by 2; 4 (cheapest) is on it.
  const std::vector<std::pair<double, double>> pts = {{10, 0.6}, {12, 0.55}, {20, 0.7}, {25, 0.7}, {5, 0.3}};
  auto front = pareto_front(pts);
  std::sort(front.begin(), front.end());
  EXPECT_EQ(front, (std::vector<size_t>{0, 2, 4}));
}

TEST(report_charts, EveryPlotHasACaptionWithCounts) {
  const Summary s =
      build_summary({testing::cell("m", "fp16", "mmlu", 0.6, 1.0), testing::cell("m", "int8", "mmlu", 0.59, 0.75)},
                    {testing::h100_machine()});
  const auto charts = build_charts(s, {});
  ASSERT_EQ(charts.size(), 8u);
  for (const auto& c : charts) {
    EXPECT_FALSE(c.caption.empty()) << c.id;
    EXPECT_TRUE(c.spec.contains("$schema")) << c.id;
  }
  auto by_id = [&](const std::string& id) {
    return *std::find_if(charts.begin(), charts.end(), [&](const Chart& c) { return c.id == id; });
  };
  EXPECT_NE(by_id("chart-pareto").caption.find("2 cells"), std::string::npos) << by_id("chart-pareto").caption;
  EXPECT_NE(by_id("chart-pareto").caption.find("trained models"), std::string::npos);
  EXPECT_NE(by_id("chart-timeline").unavailable.find("no timeline stored"), std::string::npos);
}

}  // namespace
}  // namespace jouleval::report
