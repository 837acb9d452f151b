// The study's 1 Hz GPU method simulated on stored timelines (report/one_hz.h) and where it shows:
// the opt-in export columns, the HTML table and its JSON. Hand-computed numbers:
// rep A: 3 s window, 100 W until 1.05 s then 300 W (50 ms samples), counter 690 J; polls at 0, 1, 2
//   read 100, 100, 300 W -> 500 J, error (500 - 690) / 690 = -27.536%.
// rep B: 2.5 s window at a constant 200 W, counter 520 J; polls 200 + 200 + 200 x 0.5 -> 500 J,
//   error (500 - 520) / 520 = -3.846%.
// Cell (A, B): 1 Hz 500 J, reference 605 J, window 2.75 s, error mean -15.691%, 3 polls.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <regex>

#include "fixtures.h"
#include "report/export.h"
#include "report/html.h"
#include "report/one_hz.h"
#include "report/summary.h"

namespace jouleval::report {
namespace {

using testing::meter;
using testing::repetition;

constexpr double kErrorA = 100.0 * (500.0 - 690.0) / 690.0;
constexpr double kErrorB = 100.0 * (500.0 - 520.0) / 520.0;

// 50 ms samples of `name` over [0, seconds].
std::vector<results::PowerSample> timeline(const std::string& name, double seconds,
                                           const std::function<double(double)>& watts) {
  std::vector<results::PowerSample> out;
  for (int i = 0; i * 0.05 <= seconds + 1e-9; ++i) out.push_back({i * 0.05, name, watts(i * 0.05)});
  return out;
}

results::Repetition rep_a(int index = 0) {
  auto r = repetition(index, 3.0, 1000, 0, 10, {meter("nvml:0", "gpu", 690.0), meter("rapl", "cpu", 90.0)});
  r.timeline = timeline("nvml:0", 3.0, [](double t) { return t < 1.05 - 1e-9 ? 100.0 : 300.0; });
  const auto cpu = timeline("rapl", 3.0, [](double) { return 30.0; });  // other meters are ignored
  r.timeline.insert(r.timeline.end(), cpu.begin(), cpu.end());
  return r;
}

results::Repetition rep_b(int index = 1) {
  auto r = repetition(index, 2.5, 1000, 0, 10, {meter("nvml:0", "gpu", 520.0)});
  r.timeline = timeline("nvml:0", 2.5, [](double) { return 200.0; });
  return r;
}

results::Cell cell_of(int64_t id, std::vector<results::Repetition> reps) {
  results::Cell c = testing::cell("qwen2_7b", "fp16", "mmlu", 0.6, 1.0);
  c.id = id;
  c.repetitions = std::move(reps);
  return c;
}

// Cell 1 with timelines (A, B); cell 2 without any timeline; cell 3 with a timeline in one repetition.
std::vector<results::Cell> cells() {
  auto partial = rep_b(1);
  partial.timeline.clear();
  return {cell_of(1, {rep_a(0), rep_b(1)}), testing::cell("qwen2_7b", "int8", "mmlu", 0.6, 1.0),
          cell_of(3, {rep_a(0), partial})};
}

Summary summary() {
  auto c = cells();
  c[1].id = 2;
  return build_summary(c, {testing::h100_machine()});
}

TEST(report_one_hz, RepetitionAgainstCounter) {
  const auto a = one_hz_estimate(rep_a());
  ASSERT_TRUE(a);
  EXPECT_EQ(a->reference, "counter");
  EXPECT_DOUBLE_EQ(a->window_seconds, 3.0);
  EXPECT_DOUBLE_EQ(a->gpu_j_1hz, 500.0);
  EXPECT_DOUBLE_EQ(a->reference_j, 690.0);
  ASSERT_TRUE(a->error_pct);
  EXPECT_NEAR(*a->error_pct, kErrorA, 1e-9);
  EXPECT_EQ(a->polls, 3u);
  EXPECT_EQ(a->polls_before_first_sample, 0u);
  EXPECT_EQ(a->gpu_meters, 1u);

  const auto b = one_hz_estimate(rep_b());
  ASSERT_TRUE(b);
  EXPECT_DOUBLE_EQ(b->gpu_j_1hz, 500.0);
  EXPECT_NEAR(*b->error_pct, kErrorB, 1e-9);
}

TEST(report_one_hz, FallsBackToIntegratedOnlyWithoutCounter) {
  auto r = rep_b();
  r.meters[0].counter_joules.reset();
  r.meters[0].integrated_joules = 500.0;
  const auto e = one_hz_estimate(r);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->reference, "integrated");
  EXPECT_DOUBLE_EQ(e->reference_j, 500.0);
  EXPECT_DOUBLE_EQ(*e->error_pct, 0.0);
  r.meters[0].counter_joules = 520.0;  // both present: the counter wins
  EXPECT_EQ(one_hz_estimate(r)->reference, "counter");
  r.meters[0].counter_joules.reset();
  r.meters[0].integrated_joules.reset();
  EXPECT_FALSE(one_hz_estimate(r));  // no reference at all
}

TEST(report_one_hz, SumsGpuMetersAndNeedsATimelineForEach) {
  auto r = rep_b();
  r.meters.push_back(meter("nvml:1", "gpu", 260.0));
  EXPECT_FALSE(one_hz_estimate(r));  // nvml:1 has no samples
  const auto second = timeline("nvml:1", 2.5, [](double) { return 100.0; });
  r.timeline.insert(r.timeline.end(), second.begin(), second.end());
  const auto e = one_hz_estimate(r);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->gpu_meters, 2u);
  EXPECT_DOUBLE_EQ(e->gpu_j_1hz, 500.0 + 250.0);
  EXPECT_DOUBLE_EQ(e->reference_j, 520.0 + 260.0);
  EXPECT_EQ(e->polls, 3u);
}

TEST(report_one_hz, NothingWithoutTimelineOrGpu) {
  auto r = rep_b();
  r.timeline.clear();
  EXPECT_FALSE(one_hz_estimate(r));
  auto cpu_only = repetition(0, 2.0, 10, 0, 1, {meter("rapl", "cpu", 60.0)});
  cpu_only.timeline = timeline("rapl", 2.0, [](double) { return 30.0; });
  EXPECT_FALSE(one_hz_estimate(cpu_only));
  auto unavailable_gpu = rep_b();
  unavailable_gpu.meters = {meter("nvml:0", "gpu", std::nullopt)};
  EXPECT_FALSE(one_hz_estimate(unavailable_gpu));
  auto no_window = rep_b();
  no_window.seconds = 0.0;
  EXPECT_FALSE(one_hz_estimate(no_window));
}

TEST(report_one_hz, CellMeansAndCellsWithoutTimeline) {
  const Summary s = summary();
  ASSERT_EQ(s.rows.size(), 3u);
  const auto& o = s.rows[0].metrics.one_hz;
  ASSERT_TRUE(o);
  EXPECT_EQ(o->reference, "counter");
  EXPECT_DOUBLE_EQ(o->gpu_j_1hz.mean, 500.0);
  EXPECT_DOUBLE_EQ(o->reference_j.mean, 605.0);
  EXPECT_DOUBLE_EQ(o->window_seconds.mean, 2.75);
  ASSERT_TRUE(o->error_pct);
  EXPECT_NEAR(o->error_pct->mean, (kErrorA + kErrorB) / 2.0, 1e-9);
  EXPECT_EQ(o->error_pct->n, 2);
  EXPECT_DOUBLE_EQ(o->polls, 3.0);
  ASSERT_TRUE(s.rows[0].metrics.repetitions[0].one_hz);
  EXPECT_FALSE(s.rows[1].metrics.one_hz);  // no timeline
  EXPECT_FALSE(s.rows[2].metrics.one_hz);  // one repetition without timeline
  EXPECT_TRUE(s.rows[2].metrics.repetitions[0].one_hz);
  EXPECT_FALSE(s.rows[2].metrics.repetitions[1].one_hz);
}

TEST(report_one_hz, ExportColumnsAreOptIn) {
  const Table t = summary_table(summary());
  for (const char* key : {"gpu_j_1hz", "one_hz_reference_j", "one_hz_reference", "one_hz_error_pct",
                          "one_hz_error_pct_sd", "one_hz_polls"}) {
    ASSERT_TRUE(t.column_index(key)) << key;
    EXPECT_EQ(export_csv(t).substr(0, export_csv(t).find('\n')).find(key), std::string::npos) << key;
  }
  const Table sel = select_columns(t, split_list("cell_id,gpu_j_1hz,one_hz_reference_j,one_hz_reference,"
                                                 "one_hz_error_pct,one_hz_polls"));
  const std::string csv = export_csv(sel);
  const std::string want_first = fmt::format("1,500,605,counter,{},3\n", (kErrorA + kErrorB) / 2.0);
  EXPECT_EQ(csv, "cell_id,gpu_j_1hz,one_hz_reference_j,one_hz_reference,one_hz_error_pct,one_hz_polls\n" + want_first +
                     "2,,,,,\n3,,,,,\n");
  const std::string jsonl = export_jsonl(sel);
  const size_t first_end = jsonl.find('\n');
  const auto second = nlohmann::json::parse(jsonl.substr(first_end + 1, jsonl.find('\n', first_end + 1) - first_end));
  EXPECT_TRUE(second["gpu_j_1hz"].is_null());
  EXPECT_TRUE(second["one_hz_error_pct"].is_null());
  const std::string md = export_markdown(sel);
  EXPECT_NE(md.find("| 1 | 500 | 605 | counter | -15.7 | 3 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 2 | unavailable | unavailable |"), std::string::npos) << md;
  EXPECT_NE(export_latex(sel).find("-15.7"), std::string::npos);
  EXPECT_TRUE(summary_columns_need_timeline(split_list("model,one_hz_error_pct")));
  EXPECT_FALSE(summary_columns_need_timeline(split_list("model,gpu_j,energy_j")));
  EXPECT_FALSE(summary_columns_need_timeline({}));
}

TEST(report_one_hz, HtmlTableOnlyWithTimelines) {
  ReportInput in;
  in.machines = {testing::h100_machine()};
  in.cells = cells();
  in.cells[1].id = 2;
  const std::string html = render_html(in, {});
  ASSERT_NE(html.find("1 Hz sampling vs energy counter"), std::string::npos);
  EXPECT_NE(html.find("not a separate nvidia-smi process"), std::string::npos);
  EXPECT_NE(html.find("2 of 3 cells are not shown"), std::string::npos);
  std::smatch m;
  const std::regex table(R"(<table class="sortable" id="one-hz">[\s\S]*?</table>)");
  ASSERT_TRUE(std::regex_search(html, m, table));
  const std::string t = m.str();
  EXPECT_NE(t.find("<th title=\"reference_j\">Counter (J)</th>"), std::string::npos) << t;
  EXPECT_NE(t.find("data-v=\"500\">500</td>"), std::string::npos) << t;
  EXPECT_NE(t.find("data-v=\"605\">605</td>"), std::string::npos) << t;
  EXPECT_NE(t.find(">-15.7</td>"), std::string::npos) << t;
  EXPECT_EQ(std::count(t.begin(), t.end(), '\n') - 1, 1) << t;  // one row: cells 2 and 3 have no estimate

  const std::regex script(R"(<script type="application/json" id="jouleval-one-hz">([^<]*)</script>)");
  ASSERT_TRUE(std::regex_search(html, m, script));
  const auto j = nlohmann::json::parse(m[1].str());
  ASSERT_EQ(j["cells"].size(), 3u);
  EXPECT_DOUBLE_EQ(j["cells"][0]["gpu_j_1hz"].get<double>(), 500.0);
  EXPECT_NEAR(j["cells"][0]["error_pct"].get<double>(), (kErrorA + kErrorB) / 2.0, 1e-9);
  EXPECT_EQ(j["cells"][0]["reference"], "counter");
  EXPECT_FALSE(j["cells"][1]["available"].get<bool>());
  EXPECT_FALSE(j["cells"][1].contains("gpu_j_1hz"));
  EXPECT_FALSE(j["cells"][2].contains("error_pct"));

  for (auto& c : in.cells)
    for (auto& r : c.repetitions) r.timeline.clear();
  const std::string none = render_html(in, {});
  EXPECT_EQ(none.find("1 Hz sampling"), std::string::npos);
  EXPECT_EQ(none.find("jouleval-one-hz"), std::string::npos);
}

TEST(report_one_hz, HtmlSaysUnavailableWhenTimelinesGiveNoEstimate) {
  ReportInput in;
  in.machines = {testing::cpu_machine()};
  auto c = testing::cell("m", "fp16", "mmlu", 0.5, 1.0, "m-cpu");
  for (auto& r : c.repetitions) {
    r.meters = {meter("rapl", "cpu", 60.0)};
    r.timeline = timeline("rapl", 2.0, [](double) { return 30.0; });
  }
  in.cells = {c};
  const std::string html = render_html(in, {});
  EXPECT_NE(html.find("1 Hz estimate unavailable"), std::string::npos);
  EXPECT_EQ(html.find("id=\"one-hz\""), std::string::npos);
}

}  // namespace
}  // namespace jouleval::report
