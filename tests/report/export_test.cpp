// Export formats (CSV, JSONL, Markdown, LaTeX) of the summary and per-item tables against golden
// files in tests/data/report/.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "golden.h"
#include "report/export.h"
#include "report/precision.h"
#include "report/summary.h"
#include "util/error.h"

namespace jouleval::report {
namespace {

using testing::expect_golden;

std::vector<results::Cell> export_cells() {
  auto fp16 = testing::cell("qwen2_7b", "fp16", "mmlu", 0.62, 1.0);
  fp16.id = 1;
  fp16.items = {{"mmlu/0", true, R"({"answer":"A","pred":"A"})"}, {"mmlu/1", false, R"({"answer":"B","pred":"C"})"}};
  auto int8 = testing::cell("qwen2_7b", "int8", "mmlu", 0.615, 0.75);
  int8.id = 2;
  for (auto& rep : int8.repetitions) rep.meters[1].estimated = true;  // CPU energy estimated
  auto none = testing::cell("R&D 100% #1", "int4", "gsm8k", 0.31, 0.5, "m-cpu");
  none.id = 3;
  none.key.placement = "cpu";
  for (auto& rep : none.repetitions)
    for (auto& m : rep.meters) {
      m.available = false;
      m.unavailable_reason = "no RAPL access";
      m.total_joules.reset();
    }
  auto failed = testing::cell("qwen2_7b", "int4", "mmlu", 0.0, 1.0);
  failed.status = results::CellStatus::kFailed;
  return {fp16, int8, none, failed};
}

Summary summary_of_cells() { return build_summary(export_cells(), {testing::h100_machine(), testing::cpu_machine()}); }

Table summary() { return summary_table(summary_of_cells()); }

TEST(report_export, SummaryCsvAllColumns) { expect_golden("summary.csv", export_csv(summary())); }

TEST(report_export, SummaryJsonl) {
  const Table t = summary();
  expect_golden("summary.jsonl", export_jsonl(select_columns(t, t.default_columns)));
}

TEST(report_export, SummaryMarkdownDefaultColumns) {
  const Table t = summary();
  expect_golden("summary.md", export_markdown(select_columns(t, t.default_columns)));
}

// The LaTeX defaults: machine, model, precision, task, the identity fields that differ among the
// rows (here the placement), shots, items and metric, then the headline numbers with their intervals.
TEST(report_export, SummaryLatexDefaultColumns) {
  const std::string tex = export_latex(select_columns(summary(), latex_default_columns(summary_of_cells())),
                                       {"Energy and accuracy", "tab:results"});
  expect_golden("summary.tex", tex);
  EXPECT_NE(tex.find("\\toprule"), std::string::npos);
  EXPECT_NE(tex.find("Machine & Model & Precision & Placement & Task & Shots & Items & Metric & Score & Energy (Wh) & "
                     "J/question & EOR/item \\\\"),
            std::string::npos)
      << tex;
  EXPECT_NE(tex.find("R\\&D 100\\% \\#1"), std::string::npos);
  EXPECT_NE(tex.find("qwen2\\_7b"), std::string::npos);
}

// Intervals are written in their value's cell: a table of five columns for people fits one column.
TEST(report_export, LatexOfFewColumnsFitsOneColumn) {
  const auto cells = export_cells();
  const Summary s = build_summary({cells[0], cells[1]}, {testing::h100_machine()});
  const std::string tex = export_latex(select_columns(
      summary_table(s), {"model", "precision", "task", "score", "score_ci_low", "score_ci_high", "energy_wh"}));
  EXPECT_NE(tex.find("\\begin{tabular}{lllrr}"), std::string::npos) << tex;
  EXPECT_NE(tex.find("Model & Precision & Task & Score & Energy (Wh) \\\\"), std::string::npos) << tex;
  EXPECT_NE(tex.find("qwen2\\_7b & fp16 & mmlu & 0.620 $\\pm$ 0.039 & 0.350 \\\\"), std::string::npos) << tex;
  EXPECT_EQ(tex.find("table*"), std::string::npos);
}

// Two cells whose numbers are worked out by hand (tests/report/fixtures.h): a 7B model at fp16 on
// MMLU, two repetitions (1200 J and 1320 J over 10 s and 11 s, 100 items, acc 0.62 with standard
// error 0.02); a random-weight model at int4 on GSM8K scoring 0 (standard error 0), one repetition
// (600 J over 10 s). Student t(0.975, 1) = 12.706:
//   score       0.62 ± 1.96 x 0.02 = 0.620 ± 0.039; 0 ± 0 = 0.000 ± 0.000 (three decimals, never "0")
//   energy      1260 J ± 12.706 x 84.85 / sqrt(2) = 762.4 J -> 0.350 ± 0.212 Wh; 600 J = 0.167 Wh
//   J/question  12.6 ± 7.6; 6.00
//   EOR         0.62 / (1/3 Wh) = 1.86 and 0.62 / (11/30 Wh) = 1.691: 1.78 ± 1.07; EOR/item x100
//   TWEOR/item  EOR/item x 100 / s: 1860 and 1537.2 -> 1699
//   tokens/s    50000 / 10 and 50000 / 11 -> 4773; (20000 + 15000) / 10 = 3500
std::vector<results::Cell> hand_cells() {
  auto fp16 = testing::cell("qwen2_7b", "fp16", "mmlu", 0.62, 1.0);
  fp16.id = 1;
  auto synth = testing::cell("synth_7b%x", "int4", "gsm8k", 0.0, 0.5);
  synth.id = 2;
  synth.random_weights = true;
  synth.metrics[0].stderr_ = 0.0;
  synth.repetitions.resize(1);
  return {fp16, synth};
}

Summary hand_summary() { return build_summary(hand_cells(), {testing::h100_machine()}); }

TEST(report_export, MarkdownForPeopleHasIntervalsMetricShotsItemsAndNote) {
  const Summary s = hand_summary();
  const std::string md = export_markdown(select_columns(summary_table(s), markdown_default_columns(s)),
                                         {"Energy and accuracy", "tab:x", caption_notes(s)});
  const std::string expected =
      "| Machine | Model | Precision | Task | Shots | Items | Metric | Score | Energy (Wh) | Time (s) | Tokens/s | "
      "J/question | EOR (1/Wh) | EOR/item | TWEOR/item | Flags |\n"
      "| --- | --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n"
      "| gpu-box / NVIDIA H100 80GB HBM3 | qwen2_7b | fp16 | mmlu | 0 | 100 | acc | 0.620 ± 0.039 | 0.350 ± 0.212 | "
      "10.5 | 4773 | 12.6 ± 7.6 | 1.78 ± 1.07 | 178 ± 107 | 1699 |  |\n"
      "| gpu-box / NVIDIA H100 80GB HBM3 | synth_7b%x | int4 | gsm8k | 0 | 100 | exact_match,strict-match | "
      "0.000 ± 0.000 | 0.167 | 10.0 | 3500 | 6.00 | 0 | 0 | 0 | random weights (chance level) |\n"
      "\n"
      "Energy and accuracy. Energy: each meter's total over the run, idle draw included (not idle-subtracted); "
      "meters: nvml:0 (gpu: nvml:0 device), rapl (cpu: rapl device). Random-weight model (synth_7b%x): accuracy is "
      "chance level. ±: half-width of the 95% confidence interval (Score: 1.96 × the standard error over the items; "
      "Energy (Wh), J/question, EOR (1/Wh), EOR/item: Student t over the repetitions). No ±: too few repetitions or "
      "items for an interval.\n";
  EXPECT_EQ(md, expected);
}

TEST(report_export, LatexForPeopleHasIntervalsAndCaption) {
  const Summary s = hand_summary();
  const std::string tex = export_latex(select_columns(summary_table(s), latex_default_columns(s)),
                                       {"Energy and accuracy", "tab:results", caption_notes(s)});
  const std::string expected =
      "% requires \\usepackage{booktabs} and \\usepackage{graphicx}\n"
      "\\begin{table*}[t]\n"
      "\\centering\n"
      "\\small\n"
      "\\caption{Energy and accuracy. Energy: each meter's total over the run, idle draw included (not "
      "idle-subtracted); meters: nvml:0 (gpu: nvml:0 device), rapl (cpu: rapl device). Random-weight model "
      "(synth\\_7b\\%x): accuracy is chance level. $\\pm$: half-width of the 95\\% confidence interval (Score: 1.96 "
      "$\\times$ the standard error over the items; Energy (Wh), J/question, EOR/item: Student t over the "
      "repetitions). No $\\pm$: too few repetitions or items for an interval.}\n"
      "\\label{tab:results}\n"
      "\\resizebox{\\textwidth}{!}{%\n"
      "\\begin{tabular}{llllrrlrrrr}\n"
      "\\toprule\n"
      "Machine & Model & Precision & Task & Shots & Items & Metric & Score & Energy (Wh) & J/question & EOR/item \\\\\n"
      "\\midrule\n"
      "gpu-box / NVIDIA H100 80GB HBM3 & qwen2\\_7b & fp16 & mmlu & 0 & 100 & acc & 0.620 $\\pm$ 0.039 & 0.350 $\\pm$ "
      "0.212 & 12.6 $\\pm$ 7.6 & 178 $\\pm$ 107 \\\\\n"
      "gpu-box / NVIDIA H100 80GB HBM3 & synth\\_7b\\%x & int4 & gsm8k & 0 & 100 & exact\\_match,strict-match & "
      "0.000 $\\pm$ 0.000 & 0.167 & 6.00 & 0 \\\\\n"
      "\\bottomrule\n"
      "\\end{tabular}\n"
      "}\n"
      "\\end{table*}\n";
  EXPECT_EQ(tex, expected);
}

// fp16 and int8 of one model, identical otherwise: J/question 12.6 and 9.45, a reduction of 25%;
// both with relative standard error 84.85 / sqrt(2) / 1260 = 0.0476, so the delta method gives
// 12.706 x 0.75 x sqrt(2) x 0.0476 = 64.2 points of interval. Accuracy 0.615 - 0.620 = -0.5 points,
// ± 1.96 x sqrt(0.02² + 0.02²) = 5.5 points.
TEST(report_export, PrecisionTableForPeopleHasIntervals) {
  auto fp16 = testing::cell("m", "fp16", "mmlu", 0.62, 1.0);
  fp16.id = 1;
  auto int8 = testing::cell("m", "int8", "mmlu", 0.615, 0.75);
  int8.id = 2;
  const Summary s = build_summary({fp16, int8}, {testing::h100_machine()});
  const Table t = precision_table(s);
  const std::string md = export_markdown(select_columns(t, precision_export_columns(t)));
  const std::string expected =
      "| Machine | Model | Task | Precision | Reference | Shots | Items | Metric | Energy reduction (%) | Accuracy "
      "change (points) | Random weights |\n"
      "| --- | --- | --- | --- | --- | ---: | ---: | --- | ---: | ---: | --- |\n"
      "| gpu-box / NVIDIA H100 80GB HBM3 | m | mmlu | int8 | fp16 | 0 | 100 | acc | 25.0 ± 64.2 | -0.5 ± 5.5 | no |\n"
      "\n"
      "±: half-width of the 95% confidence interval (Energy reduction (%): delta method on the ratio of the mean "
      "J/question, Student t over the repetitions; Accuracy change (points): 1.96 × √(se² + se_ref²) from the "
      "items' standard errors).\n";
  EXPECT_EQ(md, expected);
  const std::string tex = export_latex(select_columns(t, precision_export_columns(t)));
  EXPECT_NE(tex.find("& 25.0 $\\pm$ 64.2 & -0.5 $\\pm$ 5.5 & no \\\\"), std::string::npos) << tex;
  EXPECT_NE(tex.find("1.96 $\\times$ $\\surd$(se$^2$ + se\\_ref$^2$)"), std::string::npos) << tex;
  // CSV keeps one exact number per column, and gains the items and metric.
  const std::string csv = export_csv(t);
  EXPECT_NE(csv.find(",energy_reduction_pct,energy_ci_low_pct,energy_ci_high_pct,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",items,metric\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",100,acc\n"), std::string::npos) << csv;
}

// Only the columns shown with both interval ends merge; an end shown alone stays a column.
TEST(report_export, IntervalEndAloneStaysAColumn) {
  const Summary s = hand_summary();
  const std::string md = export_markdown(select_columns(summary_table(s), {"model", "score", "score_ci_low"}));
  EXPECT_EQ(md.substr(0, md.find('\n')), "| Model | Score | Score CI low |");
  EXPECT_NE(md.find("| qwen2_7b | 0.620 | 0.581 |"), std::string::npos) << md;
}

// The caption names the meters per machine when the machines' meters differ, and a user's caption
// that ends a sentence keeps its mark.
TEST(report_export, CaptionNotesPerMachine) {
  const Summary s = summary_of_cells();
  const auto notes = caption_notes(s);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0],
            "Energy: each meter's total over the run, idle draw included (not idle-subtracted); meters on gpu-box / "
            "NVIDIA H100 80GB HBM3: nvml:0 (gpu: nvml:0 device), rapl (cpu: rapl device); on laptop / Intel Core "
            "i7-1185G7: no meter available.");
  // Only the cells named: the first cell's machine alone.
  EXPECT_EQ(caption_notes(s, {1})[0],
            "Energy: each meter's total over the run, idle draw included (not idle-subtracted); meters: nvml:0 (gpu: "
            "nvml:0 device), rapl (cpu: rapl device).");
  // No meter on any machine: said once.
  EXPECT_EQ(caption_notes(s, {3}), std::vector<std::string>{"Energy: unavailable, no meter had a reading."});
  Table t;
  t.columns = {{"a", "A"}};
  t.rows = {{Value{1.5}}};
  EXPECT_EQ(export_markdown(t, {"Which is best?", "", {}}), "| A |\n| ---: |\n| 1.50 |\n\nWhich is best?\n");
}

// CSV gains the interval of the score (score ± 1.96 x its standard error) and of the energy in Wh,
// and the meters used, each a column of its own.
TEST(report_export, CsvGainsIntervalAndMeterColumns) {
  const Table t = summary_table(hand_summary());
  const std::string csv = export_csv(select_columns(
      t, {"cell_id", "score", "score_ci_low", "score_ci_high", "energy_wh", "energy_wh_ci_low", "meters"}));
  const std::string header = csv.substr(0, csv.find('\n'));
  EXPECT_EQ(header, "cell_id,score,score_ci_low,score_ci_high,energy_wh,energy_wh_ci_low,meters");
  const auto row = t.rows[0];
  EXPECT_NEAR(std::get<double>(row[*t.column_index("score_ci_low")]), 0.62 - 1.959964 * 0.02, 1e-12);
  EXPECT_NEAR(std::get<double>(row[*t.column_index("score_ci_high")]), 0.62 + 1.959964 * 0.02, 1e-12);
  EXPECT_NEAR(std::get<double>(row[*t.column_index("energy_wh_ci_high")]), (1260.0 + 762.37) / 3600.0, 1e-4);
  EXPECT_NE(csv.find(",nvml:0 (gpu: nvml:0 device); rapl (cpu: rapl device)\n"), std::string::npos) << csv;
  // One repetition: no interval (empty), never zero.
  EXPECT_NE(csv.find("\n2,0,0,0,0.16666666666666666,,"), std::string::npos) << csv;
}

TEST(report_export, LatexManyColumnsUsesTableStarAndResizebox) {
  const std::string tex = export_latex(select_columns(summary(), summary().default_columns));
  EXPECT_NE(tex.find("\\begin{table*}"), std::string::npos);
  EXPECT_NE(tex.find("\\resizebox{\\textwidth}{!}"), std::string::npos);
  EXPECT_NE(tex.find("*: estimated"), std::string::npos);
  EXPECT_NE(tex.find("--: unavailable"), std::string::npos);
}

// The meters a caption and the `meters` column name are the ones whose readings make the energy: a
// CPU placement leaves the GPU out, a machine without GPU or CPU meters falls back to the wall meter.
TEST(report_export, MetersUsedAreTheOnesSummed) {
  auto gpu = testing::cell("m", "fp16", "mmlu", 0.5, 1.0);
  EXPECT_EQ(compute_cell_metrics(gpu).meters_used,
            (std::vector<std::string>{"nvml:0 (gpu: nvml:0 device)", "rapl (cpu: rapl device)"}));
  auto cpu = gpu;
  cpu.key.placement = "cpu";
  EXPECT_EQ(compute_cell_metrics(cpu).meters_used, (std::vector<std::string>{"rapl (cpu: rapl device)"}));
  auto wall = gpu;
  for (auto& rep : wall.repetitions) {
    rep.meters = {testing::meter("external", "external", 500.0), testing::meter("nvml:1", "gpu", std::nullopt)};
    rep.meters[0].device.clear();
  }
  EXPECT_EQ(compute_cell_metrics(wall).meters_used, (std::vector<std::string>{"external (external)"}));
}

TEST(report_export, ItemsCsvAndJsonl) {
  const auto cells = export_cells();
  const Table items = items_table(cells, {testing::h100_machine()});
  expect_golden("items.csv", export_csv(select_columns(items, items.default_columns)));
  expect_golden("items.jsonl", export_jsonl(items));
}

TEST(report_export, SelectedColumnsAndErrors) {
  const Table t = select_columns(summary(), split_list("model, precision,eor_item"));
  EXPECT_EQ(export_csv(t).substr(0, 25), "model,precision,eor_item\n");
  try {
    select_columns(summary(), {"model", "bogus"});
    FAIL() << "expected an error";
  } catch (const util::Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown column 'bogus'"), std::string::npos);
    EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
  }
  EXPECT_THROW(parse_export_format("xlsx"), util::Error);
  EXPECT_EQ(parse_export_format("md"), ExportFormat::kMarkdown);
}

TEST(report_export, CsvQuotesAndNumberFormat) {
  Table t;
  t.columns = {{"a", "A"}, {"b", "B"}};
  t.rows = {{Value{std::string("x,\"y\"")}, Value{}}};
  EXPECT_EQ(export_csv(t), "a,b\n\"x,\"\"y\"\"\",\n");
  EXPECT_EQ(format_number(1234.56), "1235");
  EXPECT_EQ(format_number(0.012345), "0.0123");
  EXPECT_EQ(format_number(41.6667), "41.7");
}

}  // namespace
}  // namespace jouleval::report
