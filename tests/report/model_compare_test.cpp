// Model against model (report/model_compare.h) on hand-built cells of two synthetic model shapes: a
// 7.6B base and a 1.5B distilled model, paired only on the cells they share. Expected values are
// computed by hand from the fixture's numbers (tests/report/fixtures.h):
//   a cell of energy scale s has total J per repetition 1.2 s (1000, 1100), 100 items, so J/question
//   12 s and 13.2 s: mean 12.6 s, sd 0.8485 s (n = 2); seconds 10 and 11: mean 10.5, sd 0.7071;
//   score standard error 0.02; t(0.975, 1) = 12.706.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "report/export.h"
#include "report/model_compare.h"
#include "report/recommend.h"

namespace jouleval::report {
namespace {

results::Cell model_cell(const std::string& model, uint64_t params, const std::string& precision,
                         const std::string& task, double score, double scale, const std::string& machine = "m-h100") {
  results::Cell c = testing::cell(model, precision, task, score, scale, machine);
  c.key.model_sha256 = "sha-" + model;
  c.key.file_sha256 = "file-" + model + "-" + precision;
  c.model_params = params;
  return c;
}

// base (7.6B): mmlu 0.60 at scale 1, gsm8k 0.40 at scale 3; distilled (1.5B): mmlu 0.59 at 0.8, gsm8k
// 0.38 at 2.0; cells the base lacks (int8, another machine) are not shared.
std::vector<results::Cell> study() {
  return {model_cell("base-7b", 7'600'000'000, "fp16", "mmlu", 0.60, 1.0),
          model_cell("base-7b", 7'600'000'000, "fp16", "gsm8k", 0.40, 3.0),
          model_cell("distill-1.5b", 1'500'000'000, "fp16", "mmlu", 0.59, 0.8),
          model_cell("distill-1.5b", 1'500'000'000, "fp16", "gsm8k", 0.38, 2.0),
          model_cell("distill-1.5b", 1'500'000'000, "int8", "mmlu", 0.58, 0.5),
          model_cell("distill-1.5b", 1'500'000'000, "fp16", "mmlu", 0.57, 0.1, "m-cpu")};
}

Summary summary_of(const std::vector<results::Cell>& cells) {
  return build_summary(cells, {testing::h100_machine(), testing::cpu_machine()});
}

TEST(report_model_compare, PairsOnlySharedCellsAgainstTheLargerModel) {
  const Summary s = summary_of(study());
  const auto comps = compare_models(s);
  ASSERT_EQ(comps.size(), 1u);
  const ModelComparison& c = comps[0];
  EXPECT_EQ(c.model, "distill-1.5b");
  EXPECT_EQ(c.baseline, "base-7b");  // more parameters, though its name sorts first either way
  ASSERT_EQ(c.cells.size(), 2u);     // mmlu and gsm8k at fp16 on the H100: not int8, not the CPU machine
  EXPECT_EQ(s.rows[c.cells[0].row].key.task, "mmlu");
  EXPECT_EQ(s.rows[c.cells[0].baseline_row].key.model, "base-7b");
  EXPECT_EQ(c.cells[0].label, "fp16 · mmlu");

  // One cell: J/question 12.6 x 0.8 / 12.6 = 0.8; relative SE of each mean 0.6 / 12.6; CI
  // 0.8 ± 12.706 x 0.8 x sqrt(2) x 0.6 / 12.6.
  const ModelCellComparison& mmlu = c.cells[0];
  EXPECT_NEAR(*mmlu.energy_ratio, 0.8, 1e-12);
  EXPECT_NEAR(*mmlu.energy_ci_low, 0.1154667610, 1e-9);
  EXPECT_NEAR(*mmlu.energy_ci_high, 1.4845332390, 1e-9);
  EXPECT_NEAR(*mmlu.time_ratio, 1.0, 1e-12);
  EXPECT_NEAR(*mmlu.time_ci_low, 0.1443334513, 1e-9);
  EXPECT_NEAR(*mmlu.time_ci_high, 1.8556665487, 1e-9);
  EXPECT_NEAR(*mmlu.accuracy_diff, -0.01, 1e-12);
  EXPECT_NEAR(*mmlu.accuracy_se, std::sqrt(0.0008), 1e-12);

  // Over both cells: (0.8 + 2.0) / (1 + 3) = 0.7; variance of each sum sum(100^2 x sd^2 / 2).
  EXPECT_NEAR(*c.energy_ratio, 0.7, 1e-12);
  EXPECT_NEAR(*c.energy_ci_low, 0.2327990122, 1e-9);
  EXPECT_NEAR(*c.energy_ci_high, 1.1672009878, 1e-9);
  EXPECT_NEAR(*c.time_ratio, 1.0, 1e-12);
  EXPECT_NEAR(*c.time_ci_low, 0.3949523810, 1e-9);
  EXPECT_NEAR(*c.time_ci_high, 1.6050476190, 1e-9);
  // (-0.01 + -0.02) / 2; sqrt(4 x 0.02^2) / 2.
  EXPECT_NEAR(*c.accuracy_diff, -0.015, 1e-12);
  EXPECT_NEAR(*c.accuracy_se, 0.02, 1e-12);
  // Score 0.485 over 3528 J / 200 items and 21 s / 200 items; the base 0.5 over 5040 J.
  EXPECT_NEAR(*c.score, 0.485, 1e-12);
  EXPECT_NEAR(*c.eor_item, 98.97959184, 1e-6);
  EXPECT_NEAR(*c.tweor_item, 942.6627794, 1e-6);
  EXPECT_NEAR(*c.baseline_eor_item, 71.42857143, 1e-6);
  EXPECT_NEAR(*c.baseline_tweor_item, 680.2721088, 1e-6);
}

TEST(report_model_compare, OneRepetitionHasNoInterval) {
  auto cells = study();
  for (auto& c : cells) c.repetitions.resize(1);
  const auto comps = compare_models(summary_of(cells));
  ASSERT_EQ(comps.size(), 1u);
  EXPECT_NEAR(*comps[0].energy_ratio, 0.7, 1e-12);  // 1200 x (0.8 + 2) / (1200 x (1 + 3))
  EXPECT_FALSE(comps[0].energy_ci_low);
  EXPECT_FALSE(comps[0].time_ci_high);
}

TEST(report_model_compare, OneModelOrNothingSharedGivesNone) {
  EXPECT_TRUE(compare_models(summary_of({study()[0], study()[1]})).empty());
  // Different tasks only: nothing shared.
  EXPECT_TRUE(compare_models(summary_of({study()[0], study()[3]})).empty());
  EXPECT_FALSE(model_chart(summary_of({study()[0]})).has_value());
  // The base's name stands for two source files here: which one is the distilled cell's twin is a
  // guess, so that cell pairs nothing; gsm8k still does.
  auto cells = study();
  auto other_file = cells[0];
  other_file.key.model_sha256 = "sha-another-base";
  cells.push_back(other_file);
  const auto comps = compare_models(summary_of(cells));
  ASSERT_EQ(comps.size(), 1u);
  ASSERT_EQ(comps[0].cells.size(), 1u);
  EXPECT_EQ(comps[0].cells[0].label, "fp16 · gsm8k");
}

// A third shape, on mmlu only, is compared against the same baseline, on its one shared cell.
TEST(report_model_compare, EveryModelAgainstTheBaseline) {
  auto cells = study();
  cells.push_back(model_cell("tiny-0.5b", 500'000'000, "fp16", "mmlu", 0.30, 0.25));
  const auto comps = compare_models(summary_of(cells));
  ASSERT_EQ(comps.size(), 2u);
  EXPECT_EQ(comps[1].model, "tiny-0.5b");
  EXPECT_EQ(comps[1].baseline, "base-7b");
  ASSERT_EQ(comps[1].cells.size(), 1u);
  EXPECT_NEAR(*comps[1].energy_ratio, 0.25, 1e-12);
  EXPECT_NEAR(*comps[1].accuracy_diff, -0.30, 1e-12);
}

TEST(report_model_compare, TableHasOneRowPerSharedCell) {
  const Table t = model_table(summary_of(study()));
  ASSERT_EQ(t.rows.size(), 2u);
  auto at = [&](size_t row, const std::string& key) { return t.rows[row][t.column_index(key).value()]; };
  EXPECT_EQ(std::get<std::string>(at(0, "model")), "distill-1.5b");
  EXPECT_EQ(std::get<std::string>(at(0, "baseline_model")), "base-7b");
  EXPECT_NEAR(std::get<double>(at(0, "accuracy_diff_pts")), -1.0, 1e-9);
  EXPECT_NEAR(std::get<double>(at(1, "accuracy_diff_pts")), -2.0, 1e-9);
  EXPECT_NEAR(std::get<double>(at(1, "energy_ratio")), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(std::get<double>(at(0, "j_per_question")), 12.6 * 0.8, 1e-9);
  EXPECT_NEAR(std::get<double>(at(0, "baseline_j_per_question")), 12.6, 1e-9);
  const std::string csv = export_csv(t);
  EXPECT_NE(csv.find("baseline_model"), std::string::npos);
  EXPECT_EQ(parse_export_table("models"), ExportTable::kModels);
}

TEST(report_model_compare, ChartHasOneRowPerSharedCell) {
  const auto chart = model_chart(summary_of(study()));
  ASSERT_TRUE(chart.has_value());
  EXPECT_EQ(chart->id, "chart-models");
  const auto& values = chart->spec["data"]["values"];
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0]["label"], "distill-1.5b vs base-7b · fp16 · mmlu");
  EXPECT_NEAR(values[0]["accuracy_diff"].get<double>(), -1.0, 1e-9);
  EXPECT_NEAR(values[0]["accuracy_lo"].get<double>(), -1.0 - 1.959964 * 100 * std::sqrt(0.0008), 1e-6);
  EXPECT_NE(chart->caption.find("distill-1.5b vs base-7b (2 cells)"), std::string::npos) << chart->caption;
}

TEST(report_model_compare, RecommendShowsTheComparison) {
  Constraints k;
  const auto rec = recommend(study(), {testing::h100_machine(), testing::cpu_machine()}, k);
  ASSERT_EQ(rec.models.size(), 1u);
  const std::string text = format_recommendation(rec);
  EXPECT_NE(text.find("distill-1.5b vs base-7b on 2 shared cell(s): accuracy -1.5 pts (SE 2.0); energy ratio 0.700 "
                      "[0.233, 1.17]; time ratio 1.00 [0.395, 1.61]"),
            std::string::npos)
      << text;
  EXPECT_EQ(recommendation_json(rec)["model_comparisons"][0]["baseline"], "base-7b");
  // Filtered to one model: nothing to compare.
  k.models = {"distill-1.5b"};
  EXPECT_TRUE(recommend(study(), {testing::h100_machine(), testing::cpu_machine()}, k).models.empty());
}

}  // namespace
}  // namespace jouleval::report
