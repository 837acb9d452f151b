// Export formats (CSV, JSONL, Markdown, LaTeX) of the summary and per-item tables against golden
// files in tests/data/report/.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "golden.h"
#include "report/export.h"
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

// The LaTeX defaults: model, precision, task and the identity fields that differ among the rows
// (here the machine and the placement), then the headline numbers.
TEST(report_export, SummaryLatexDefaultColumns) {
  const std::string tex = export_latex(select_columns(summary(), latex_default_columns(summary_of_cells())),
                                       {"Energy and accuracy", "tab:results"});
  expect_golden("summary.tex", tex);
  EXPECT_NE(tex.find("\\toprule"), std::string::npos);
  EXPECT_NE(tex.find("Machine & Model & Precision & Placement & Task & Score"), std::string::npos) << tex;
  EXPECT_NE(tex.find("R\\&D 100\\% \\#1"), std::string::npos);
  EXPECT_NE(tex.find("qwen2\\_7b"), std::string::npos);
}

TEST(report_export, LatexOfOneMachineFitsOneColumn) {
  const auto cells = export_cells();
  const Summary s = build_summary({cells[0], cells[1]}, {testing::h100_machine()});
  const std::string tex = export_latex(select_columns(summary_table(s), latex_default_columns(s)));
  EXPECT_NE(tex.find("Model & Precision & Task & Score & Energy (Wh) & J/question & EOR/item \\\\"), std::string::npos)
      << tex;
  EXPECT_EQ(tex.find("table*"), std::string::npos);
}

TEST(report_export, LatexManyColumnsUsesTableStarAndResizebox) {
  const std::string tex = export_latex(select_columns(summary(), summary().default_columns));
  EXPECT_NE(tex.find("\\begin{table*}"), std::string::npos);
  EXPECT_NE(tex.find("\\resizebox{\\textwidth}{!}"), std::string::npos);
  EXPECT_NE(tex.find("*: estimated"), std::string::npos);
  EXPECT_NE(tex.find("--: unavailable"), std::string::npos);
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
