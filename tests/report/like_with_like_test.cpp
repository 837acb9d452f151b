// Like with like: in a merged study (two machines with the same hostname and GPU, two item limits,
// other shots) every table row, chart bar and point identifies its cell, nothing is stacked or
// averaged across cells without saying so, and precision comparisons pair only cells identical
// except for the precision.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "merged_study.h"
#include "report/charts.h"
#include "report/export.h"
#include "report/limits.h"
#include "report/precision.h"
#include "report/recommend.h"
#include "report/summary.h"
#include "results/identity.h"

namespace jouleval::report {
namespace {

using nlohmann::json;
using testing::merged_study;

Summary study_summary() {
  const auto s = merged_study();
  return build_summary(s.cells, s.machines);
}

const Chart& chart(const std::vector<Chart>& charts, const std::string& id) {
  for (const auto& c : charts)
    if (c.id == id) return c;
  throw std::runtime_error("no chart " + id);
}

// The data rows of a chart with the given fields joined: one key per bar / point.
std::vector<std::string> keys_of(const Chart& c, const std::vector<std::string>& fields) {
  std::vector<std::string> out;
  for (const auto& v : c.spec["data"]["values"]) {
    std::string k;
    for (const auto& f : fields) k += (v.contains(f) ? v[f].dump() : "null") + "|";
    out.push_back(k);
  }
  return out;
}

void expect_unique(const std::vector<std::string>& keys, const std::string& what) {
  std::map<std::string, int> seen;
  for (const auto& k : keys) ++seen[k];
  for (const auto& [k, n] : seen) EXPECT_EQ(n, 1) << what << ": " << n << " entries labelled " << k;
}

TEST(report_like_with_like, PrecisionComparisonsPairOnlyCellsIdenticalExceptPrecision) {
  const Summary s = study_summary();
  const auto comps = compare_precisions(s);
  // Per machine: MMLU limit 100, MMLU limit 500 and GSM8K each compare fp32 and int8 with fp16; the
  // 5-shot int8 cell has no cell identical to it except precision.
  EXPECT_EQ(comps.size(), 12u);
  for (const auto& c : comps) {
    const SummaryRow& r = s.rows[c.row];
    const SummaryRow& ref = s.rows[c.reference_row];
    EXPECT_EQ(results::identity_except(r.machine_id, r.key, results::Axis::kPrecision),
              results::identity_except(ref.machine_id, ref.key, results::Axis::kPrecision))
        << results::describe(r.key) << " vs " << results::describe(ref.key);
    EXPECT_EQ(ref.key.precision, "fp16");
    EXPECT_NE(r.key.precision, "fp16");
  }
}

TEST(report_like_with_like, NoTwoBarsOrPointsShareALabel) {
  const Summary s = study_summary();
  const auto charts = build_charts(s, {});
  expect_unique(keys_of(chart(charts, "chart-precision"), {"label"}), "precision comparison");
  expect_unique(keys_of(chart(charts, "chart-limits"), {"label", "measure"}), "physical limits");
  expect_unique(keys_of(chart(charts, "chart-pareto"), {"task", "config"}), "Pareto");
  expect_unique(keys_of(chart(charts, "chart-complexity"), {"config"}), "task complexity");
  EXPECT_EQ(chart(charts, "chart-precision").spec["data"]["values"].size(), 12u);
  // Bars never stack: one bar per label, and the x encodings say so.
  for (const char* id : {"chart-limits"}) {
    const std::string spec = chart(charts, id).spec.dump();
    EXPECT_NE(spec.find(R"("stack":null)"), std::string::npos) << id;
  }
}

TEST(report_like_with_like, HeatmapTellsMachinesApartAndSaysWhatASquareAverages) {
  const Summary s = study_summary();
  const auto charts = build_charts(s, {});
  const Chart& c = chart(charts, "chart-eor-machine");
  std::set<std::string> machines;
  for (const auto& v : c.spec["data"]["values"]) {
    machines.insert(v["x"].get<std::string>());
    // Every square averages several cells here: the tooltip says over which fields.
    ASSERT_GT(v["cells"].get<int>(), 1);
    ASSERT_TRUE(v.contains("averaged_over")) << v.dump();
    EXPECT_NE(v["averaged_over"].get<std::string>().find("precision"), std::string::npos) << v.dump();
    // One panel per task: the MMLU squares average over the limits too.
    if (v["facet"] == "mmlu") {
      EXPECT_NE(v["averaged_over"].get<std::string>().find("limit"), std::string::npos) << v.dump();
    }
  }
  EXPECT_EQ(machines.size(), 2u) << c.spec["data"].dump();
  for (const auto& m : machines) EXPECT_NE(m.find("node01"), std::string::npos) << m;
  EXPECT_NE(c.caption.find("averaged over"), std::string::npos) << c.caption;
}

TEST(report_like_with_like, CompactExportsShowEveryCellApart) {
  const Table t = summary_table(study_summary());
  for (const std::string& text :
       {export_markdown(select_columns(t, t.default_columns)), export_latex(select_columns(t, t.default_columns))}) {
    const auto rows = testing::identity_cells_of_rows(text);
    EXPECT_EQ(rows.size(), 19u) << text;
    EXPECT_EQ(std::set<std::string>(rows.begin(), rows.end()).size(), rows.size()) << text;
    EXPECT_NE(text.find("500"), std::string::npos);  // the limit is shown: it varies
  }
}

TEST(report_like_with_like, SummaryTableHasAColumnForEveryIdentityField) {
  const Table t = summary_table(study_summary());
  for (const auto& f : results::identity_fields("m", results::CellKey{}))
    EXPECT_TRUE(t.column_index(f.key).has_value()) << f.key;
  EXPECT_TRUE(t.column_index("machine_id").has_value());
  // Compact defaults: the fields that vary (machine, precision, task, limit, shots), not the others.
  const auto& d = t.default_columns;
  for (const char* key : {"machine", "model", "precision", "task", "limit", "shots"})
    EXPECT_NE(std::find(d.begin(), d.end(), key), d.end()) << key;
  for (const char* key : {"kv", "placement", "seed", "ctx", "threads"})
    EXPECT_EQ(std::find(d.begin(), d.end(), key), d.end()) << key;
  // Machine labels are unique among the machines shown.
  const auto machine = *t.column_index("machine");
  std::set<std::string> labels;
  for (const auto& row : t.rows) labels.insert(std::get<std::string>(row[machine]));
  EXPECT_EQ(labels.size(), 2u);
}

TEST(report_like_with_like, RecommendationRetentionUsesTheSameCellExceptPrecision) {
  const auto study = merged_study();
  Constraints k;
  k.tasks = {"mmlu"};
  const Recommendation rec = recommend(study.cells, study.machines, k);
  // One candidate per configuration (machine x precision); limit and shots are per task. Retention
  // sums each cell's score over the score of the cell identical to it except precision -- never a
  // mean over machines or limits. Machine B scores 0.1 lower than machine A.
  int checked = 0;
  for (const auto& c : rec.candidates) {
    if (c.precision != "int8") continue;
    ASSERT_TRUE(c.retention.has_value());
    if (c.machine_id == testing::kMachineB) {
      EXPECT_NEAR(*c.retention, (0.48 + 0.43) / (0.50 + 0.45), 1e-12);
    } else {
      // The 5-shot int8 cell has no other precision with the same settings: its own reference.
      EXPECT_NEAR(*c.retention, (0.58 + 0.53 + 0.40) / (0.60 + 0.55 + 0.40), 1e-12);
    }
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

TEST(report_like_with_like, BatchedGenerationBoundHolds) {
  const Summary s = study_summary();
  const auto limits = compare_limits(s);
  int decode = 0;
  for (const auto& c : limits) {
    ASSERT_TRUE(c.throughput_fraction.has_value());
    if (c.phase != "decode") continue;
    ++decode;
    // B = 15000 generated tokens / 300 decode calls = 50 sequences per weight read; the KV size per
    // token is not recorded, so the bound is B x bandwidth / weight bytes.
    const SummaryRow& r = s.rows[c.row];
    EXPECT_NEAR(c.bound_tokens_per_s, 50.0 * 3.35e12 / static_cast<double>(r.model_size_bytes), 1e-6);
    EXPECT_LE(*c.throughput_fraction, 1.0);
  }
  EXPECT_EQ(decode, 6);
}

TEST(report_like_with_like, FractionAboveOneIsClampedAndExplained) {
  auto study = merged_study();
  // A prompt cell far above the compute bound (a wrong parameter count: 10^15).
  study.cells[0].model_params = 1'000'000'000'000'000ULL;
  const Summary s = build_summary(study.cells, study.machines);
  const auto charts = build_charts(s, {});
  const Chart& c = chart(charts, "chart-limits");
  bool marked = false;
  for (const auto& v : c.spec["data"]["values"]) {
    EXPECT_LE(v["fraction"].get<double>(), 1.0) << v.dump();
    if (v.value("above_bound", false)) {
      marked = true;
      EXPECT_GT(v["achieved_fraction"].get<double>(), 1.0);
    }
  }
  EXPECT_TRUE(marked);
  EXPECT_NE(c.caption.find("clamped"), std::string::npos) << c.caption;
}

TEST(report_like_with_like, MixedVersionsAreFlagged) {
  auto study = merged_study();
  study.cells[0].repetitions[1].jouleval_version = "0.6.0";
  study.cells[1].repetitions[0].llama_revision = "";  // not recorded
  const Table t = summary_table(build_summary(study.cells, study.machines));
  const auto flags = *t.column_index("flags");
  EXPECT_EQ(std::get<std::string>(t.rows[0][flags]), "mixed versions: jouleval 0.5.0 (rep 0), 0.6.0 (rep 1)");
  EXPECT_EQ(std::get<std::string>(t.rows[1][flags]), "mixed versions: llama.cpp not recorded (rep 0), b6000 (rep 1)");
  EXPECT_EQ(std::get<std::string>(t.rows[2][flags]), "");
  const std::string md = export_markdown(select_columns(t, t.default_columns));
  EXPECT_NE(md.find("mixed versions: jouleval 0.5.0 (rep 0), 0.6.0 (rep 1)"), std::string::npos) << md;
}

}  // namespace
}  // namespace jouleval::report
