// The HTML report's "Served deployments" section (report/served.h, docs/report.md): a results
// database built here with endpoint cells at several concurrency levels and in-process cells, read
// back as `jouleval report` reads it; the numbers asserted are computed by hand from the records
// written below.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "fixtures.h"
#include "report/html.h"
#include "report/load.h"
#include "report/served.h"
#include "report/summary.h"
#include "store/store.h"

namespace jouleval::report {
namespace {

namespace fs = std::filesystem;
using testing::meter;
using testing::repetition;

class served_report : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "jouleval-served-report-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

results::CellKey endpoint_key(int concurrency, const std::string& api) {
  results::CellKey k;
  k.model = "qwen2.5-7b-instruct";
  k.precision = "served";
  k.kv_type = "server";
  k.placement = "endpoint:127.0.0.1:8080";
  k.task = "gsm8k";
  k.limit = 10;
  k.engine.max_sequences = concurrency;
  k.engine.endpoint_api = api;
  return k;
}

std::string latency(int requests, double rps, double tps, const char* ttft_p50, const char* ttft_p99, double e2e_p50,
                    double e2e_p99, const char* goodput = "null") {
  return fmt::format(
      R"({{"requests":{},"streamed":{},"ttft_p50_ms":{},"ttft_p90_ms":null,"ttft_p99_ms":{},"itl_p50_ms":{},)"
      R"("itl_p90_ms":null,"itl_p99_ms":{},"e2e_p50_ms":{},"e2e_p90_ms":null,"e2e_p99_ms":{},"requests_per_s":{},)"
      R"("output_tokens_per_s":{},"goodput_requests_per_s":{},"slo_ttft_ms":null,"slo_itl_ms":null}})",
      requests, std::string(ttft_p50) != "null", ttft_p50, ttft_p99, std::string(ttft_p50) == "null" ? "null" : "10",
      std::string(ttft_p50) == "null" ? "null" : "20", e2e_p50, e2e_p99, rps, tps, goodput);
}

// Writes one finished cell with `reps` and a gsm8k score; returns its id.
int64_t add_cell(store::Store& db, const results::CellKey& key, const std::string& model_path,
                 const std::vector<results::Repetition>& reps, double score) {
  results::Cell c;
  c.machine_id = "m-h100";
  c.key = key;
  c.model_path = model_path;
  const int64_t id = db.upsert_cell_pending(c);
  for (const auto& r : reps) EXPECT_TRUE(db.add_repetition(id, r));
  db.finish_cell(id, {{"exact_match,strict-match", score, 0.1}}, {}, results::Fidelity{});
  return id;
}

// The database of the tests:
//  A  completions, concurrency 1: two windows of 10 s, 10 requests and 1000 output tokens each; GPU
//     2000 J (1500 J idle-subtracted) + CPU 500 J (300 J) in the first, GPU 2200 J (1700 J) + CPU
//     500 J (300 J) in the second -> idle-subtracted 1800 and 2000 J: J/request 180 and 200 (mean
//     190), J/output token 1.8 and 2.0 (mean 1.9); total 2500 and 2700 J over 10 questions: J per
//     question 250 and 270 (mean 260); (2000 + 1000) tokens / 10 s = 300 tokens/s.
//  B  completions, concurrency 8: one window of 20 s holding two passes of the task (20 requests,
//     2000 output tokens), GPU 3000 J without an idle baseline -> J/request 3000 / 20 = 150,
//     J/output token 3000 / 2000 = 1.5, basis "total"; not streamed (no TTFT).
//  C  chat, concurrency 1: no meter -> energy unavailable.
//  D  in-process, model "Qwen2.5 7B Instruct" from qwen2.5-7b-instruct.gguf (the served name is its
//     file's stem), same task and limit: 1000 J over 10 questions = 100 J/question; 3000 tokens / 5 s
//     = 600 tokens/s; score 0.6.
//  E  in-process, another model; F  in-process, the same model at another limit: neither matches.
fs::path build_database(const fs::path& dir, std::map<char, int64_t>& ids) {
  const fs::path file = dir / "results.db";
  store::Store db(file);
  db.upsert_machine(testing::h100_machine());
  results::Repetition a0 =
      repetition(0, 10.0, 2000, 1000, 10, {meter("nvml:0", "gpu", 2000.0, 1500.0), meter("rapl", "cpu", 500.0, 300.0)});
  a0.latency_json = latency(10, 1.0, 100.0, "50", "90", 1000.0, 1500.0);
  results::Repetition a1 =
      repetition(1, 10.0, 2000, 1000, 10, {meter("nvml:0", "gpu", 2200.0, 1700.0), meter("rapl", "cpu", 500.0, 300.0)});
  a1.latency_json = latency(10, 1.2, 120.0, "70", "110", 1200.0, 1700.0);
  ids['A'] = add_cell(db, endpoint_key(1, "completions"), "http://127.0.0.1:8080", {a0, a1}, 0.5);
  results::Repetition b0 = repetition(0, 20.0, 4000, 2000, 10, {meter("nvml:0", "gpu", 3000.0)});
  b0.passes = 2;
  b0.latency_json = latency(20, 4.0, 400.0, "null", "null", 2000.0, 2500.0);
  ids['B'] = add_cell(db, endpoint_key(8, "completions"), "http://127.0.0.1:8080", {b0}, 0.5);
  results::Repetition c0 = repetition(0, 10.0, 2100, 900, 10, {});
  c0.latency_json = latency(10, 1.0, 90.0, "40", "80", 900.0, 1300.0, "0.9");
  ids['C'] = add_cell(db, endpoint_key(1, "chat"), "http://127.0.0.1:8080", {c0}, 0.4);

  results::CellKey local = testing::cell("Qwen2.5 7B Instruct", "Q4_K_M", "gsm8k", 0, 1).key;
  local.limit = 10;
  ids['D'] = add_cell(db, local, "/models/qwen2.5-7b-instruct.gguf",
                      {repetition(0, 5.0, 2000, 1000, 10, {meter("nvml:0", "gpu", 1000.0)})}, 0.6);
  results::CellKey other = local;
  other.model = "llama-3-8b";
  ids['E'] = add_cell(db, other, "/models/llama-3-8b.gguf",
                      {repetition(0, 5.0, 2000, 1000, 10, {meter("nvml:0", "gpu", 900.0)})}, 0.3);
  results::CellKey more = local;
  more.limit = 20;
  ids['F'] = add_cell(db, more, "/models/qwen2.5-7b-instruct.gguf",
                      {repetition(0, 5.0, 2000, 1000, 20, {meter("nvml:0", "gpu", 900.0)})}, 0.6);
  return file;
}

double num(const Table& t, size_t row, const char* key) {
  return std::get<double>(t.rows.at(row)[*t.column_index(key)]);
}
bool absent(const Table& t, size_t row, const char* key) {
  return std::holds_alternative<std::monostate>(t.rows.at(row)[*t.column_index(key)]);
}

TEST_F(served_report, LatencyUnderLoadPerConcurrencyLevelWithEnergyPerRequestAndToken) {
  std::map<char, int64_t> ids;
  const Results r = load_results(build_database(dir_, ids), true, false);
  const Summary s = build_summary(r.cells, r.machines);
  const auto rows = served_load_rows(s, r.cells);
  ASSERT_EQ(rows.size(), 3U);  // the endpoint cells only
  const Table t = served_load_table(rows, "gsm8k");
  ASSERT_EQ(t.rows.size(), 3U);
  // Deployments tell the APIs apart (they are the only other field that varies); chat sorts first.
  EXPECT_EQ(std::get<std::string>(t.rows[0][*t.column_index("series")]), "api=chat");
  EXPECT_EQ(std::get<int64_t>(t.rows[0][*t.column_index("cell_id")]), ids['C']);
  EXPECT_EQ(std::get<int64_t>(t.rows[1][*t.column_index("cell_id")]), ids['A']);
  EXPECT_EQ(std::get<int64_t>(t.rows[2][*t.column_index("cell_id")]), ids['B']);
  EXPECT_EQ(std::get<std::string>(t.rows[1][*t.column_index("series")]), "api=completions");

  // A: means over its two windows.
  EXPECT_EQ(std::get<int64_t>(t.rows[1][*t.column_index("concurrency")]), 1);
  EXPECT_DOUBLE_EQ(num(t, 1, "requests_per_s"), 1.1);
  EXPECT_DOUBLE_EQ(num(t, 1, "output_tokens_per_s"), 110.0);
  EXPECT_DOUBLE_EQ(num(t, 1, "ttft_p50_ms"), 60.0);
  EXPECT_DOUBLE_EQ(num(t, 1, "ttft_p99_ms"), 100.0);
  EXPECT_DOUBLE_EQ(num(t, 1, "itl_p99_ms"), 20.0);
  EXPECT_DOUBLE_EQ(num(t, 1, "e2e_p50_ms"), 1100.0);
  EXPECT_DOUBLE_EQ(num(t, 1, "e2e_p99_ms"), 1600.0);
  EXPECT_TRUE(absent(t, 1, "goodput_requests_per_s"));
  EXPECT_DOUBLE_EQ(num(t, 1, "j_per_request"), 190.0);
  EXPECT_DOUBLE_EQ(num(t, 1, "j_per_output_token"), 1.9);
  EXPECT_EQ(std::get<std::string>(t.rows[1][*t.column_index("energy_basis")]), "idle-subtracted");

  // B: a window of two passes, no idle baseline, not streamed.
  EXPECT_EQ(std::get<int64_t>(t.rows[2][*t.column_index("concurrency")]), 8);
  EXPECT_DOUBLE_EQ(num(t, 2, "requests_per_s"), 4.0);
  EXPECT_DOUBLE_EQ(num(t, 2, "j_per_request"), 150.0);
  EXPECT_DOUBLE_EQ(num(t, 2, "j_per_output_token"), 1.5);
  EXPECT_EQ(std::get<std::string>(t.rows[2][*t.column_index("energy_basis")]), "total (no idle baseline)");
  EXPECT_TRUE(absent(t, 2, "ttft_p50_ms"));
  EXPECT_EQ(t.columns[*t.column_index("ttft_p50_ms")].absent_text, "not streamed");

  // C: no meter.
  EXPECT_TRUE(absent(t, 0, "j_per_request"));
  EXPECT_TRUE(absent(t, 0, "j_per_output_token"));
  EXPECT_EQ(std::get<std::string>(t.rows[0][*t.column_index("energy_basis")]), "unavailable (no meter reading)");
  EXPECT_DOUBLE_EQ(num(t, 0, "goodput_requests_per_s"), 0.9);
}

TEST_F(served_report, TheChartDrawsJPerOutputTokenAndP99LatencyAgainstConcurrency) {
  std::map<char, int64_t> ids;
  const Results r = load_results(build_database(dir_, ids), true, false);
  const auto rows = served_load_rows(build_summary(r.cells, r.machines), r.cells);
  const Chart chart = served_load_chart(rows);
  EXPECT_TRUE(chart.unavailable.empty());
  ASSERT_EQ(chart.spec.at("hconcat").size(), 2U);
  EXPECT_EQ(chart.spec["hconcat"][0]["layer"][0]["encoding"]["y"]["field"], "j_per_output_token");
  EXPECT_EQ(chart.spec["hconcat"][1]["layer"][0]["encoding"]["y"]["field"], "e2e_p99_ms");
  const auto& values = chart.spec.at("data").at("values");
  ASSERT_EQ(values.size(), 3U);
  // In the rows' order: C (chat), A, B.
  EXPECT_EQ(values[1]["line"], "gsm8k · api=completions");
  EXPECT_EQ(values[1]["concurrency"], 1);
  EXPECT_DOUBLE_EQ(values[1]["j_per_output_token"].get<double>(), 1.9);
  EXPECT_DOUBLE_EQ(values[1]["e2e_p99_ms"].get<double>(), 1600.0);
  EXPECT_EQ(values[2]["concurrency"], 8);
  EXPECT_DOUBLE_EQ(values[2]["j_per_output_token"].get<double>(), 1.5);
  EXPECT_TRUE(values[0]["j_per_output_token"].is_null());
  // Without any energy reading (C alone) only the latency panel is drawn, and the caption says why.
  const Chart latency_only = served_load_chart({rows[0]});
  ASSERT_EQ(latency_only.spec.at("hconcat").size(), 1U);
  EXPECT_EQ(latency_only.spec["hconcat"][0]["layer"][0]["encoding"]["y"]["field"], "e2e_p99_ms");
  EXPECT_NE(latency_only.caption.find("Energy per output token is not drawn: no endpoint cell has a meter reading"),
            std::string::npos)
      << latency_only.caption;
}

TEST_F(served_report, ServedBesideInProcessWhenTheModelNamesMatch) {
  std::map<char, int64_t> ids;
  const Results r = load_results(build_database(dir_, ids), true, false);
  const Summary s = build_summary(r.cells, r.machines);
  const auto pairs = served_vs_in_process(s, r.cells);
  ASSERT_EQ(pairs.size(), 3U);  // A, B and C each beside D; E (another model) and F (another limit) never
  for (const auto& p : pairs) EXPECT_EQ(p.in_process_cell, ids['D']);
  const auto& a = pairs[0];
  EXPECT_EQ(a.served_cell, ids['A']);
  EXPECT_EQ(a.served, "qwen2.5-7b-instruct · completions · concurrency 1 · gpu-box / NVIDIA H100 80GB HBM3");
  EXPECT_EQ(a.in_process, "Qwen2.5 7B Instruct · Q4_K_M · gpu · gpu-box / NVIDIA H100 80GB HBM3");
  EXPECT_DOUBLE_EQ(a.served_score.value_or(-1), 0.5);
  EXPECT_DOUBLE_EQ(a.in_process_score.value_or(-1), 0.6);
  EXPECT_DOUBLE_EQ(a.served_j_per_question.value_or(-1), 260.0);
  EXPECT_DOUBLE_EQ(a.in_process_j_per_question.value_or(-1), 100.0);
  EXPECT_DOUBLE_EQ(a.served_tokens_per_s.value_or(-1), 300.0);
  EXPECT_DOUBLE_EQ(a.in_process_tokens_per_s.value_or(-1), 600.0);
  EXPECT_FALSE(pairs[2].served_j_per_question.has_value());  // C has no meter
}

TEST_F(served_report, ThePageShowsTheSectionItsChartAndTheComparison) {
  std::map<char, int64_t> ids;
  const Results r = load_results(build_database(dir_, ids), true, false);
  ReportInput input;
  input.cells = r.cells;
  input.machines = r.machines;
  const std::string html = render_html(input, {});
  const auto section = html.find("<section id=\"served\">");
  ASSERT_NE(section, std::string::npos);
  const std::string part = html.substr(section, html.find("</section>", section) - section);
  EXPECT_NE(part.find("<h3>gsm8k</h3>"), std::string::npos);
  EXPECT_NE(part.find("id=\"served-load-gsm8k\""), std::string::npos);
  // A's J per request and J per output token, B's concurrency level and C's missing energy.
  EXPECT_NE(part.find("<td class=\"num\" data-v=\"190\">190</td><td class=\"num\" data-v=\"1.9\">1.9</td>"),
            std::string::npos);
  EXPECT_NE(part.find("<td class=\"num\" data-v=\"8\">8</td><td class=\"num\" data-v=\"4\">4</td>"), std::string::npos);
  EXPECT_NE(part.find("<td class=\"na\" data-v=\"\">unavailable</td><td class=\"na\" data-v=\"\">unavailable</td>"
                      "<td>unavailable (no meter reading)</td>"),
            std::string::npos);
  EXPECT_NE(part.find("<td class=\"na\" data-v=\"\">not streamed</td>"), std::string::npos);
  EXPECT_NE(part.find("id=\"chart-served-load\""), std::string::npos);
  EXPECT_NE(html.find("\"chart-served-load\":{"), std::string::npos) << "its spec is embedded";
  EXPECT_NE(part.find("Served vs in-process"), std::string::npos);
  // A beside D: accuracy 0.5 and 0.6, 260 and 100 J per question, 300 and 600 tokens/s.
  EXPECT_NE(part.find("<td class=\"num\" data-v=\"0.5\">0.5</td><td class=\"num\" data-v=\"0.6\">0.6</td>"
                      "<td class=\"num\" data-v=\"260\">260</td><td class=\"num\" data-v=\"100\">100</td>"
                      "<td class=\"num\" data-v=\"300\">300</td><td class=\"num\" data-v=\"600\">600</td>"),
            std::string::npos);
  EXPECT_EQ(part.find("llama-3-8b"), std::string::npos);
}

TEST_F(served_report, TheSummaryNamesTheApiOfEndpointCells) {
  std::map<char, int64_t> ids;
  const Results r = load_results(build_database(dir_, ids), true, false);
  const Table t = summary_table(build_summary(r.cells, r.machines));
  const size_t api = *t.column_index("api");
  EXPECT_EQ(t.columns[api].absent_text, "in-process");
  std::map<int64_t, Value> by_cell;
  for (const auto& row : t.rows) by_cell[std::get<int64_t>(row[*t.column_index("cell_id")])] = row[api];
  EXPECT_EQ(std::get<std::string>(by_cell.at(ids['A'])), "completions");
  EXPECT_EQ(std::get<std::string>(by_cell.at(ids['C'])), "chat");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(by_cell.at(ids['D'])));
  EXPECT_NE(std::find(t.default_columns.begin(), t.default_columns.end(), "api"), t.default_columns.end())
      << "it varies among the cells";
}

TEST_F(served_report, TheSectionIsAbsentWithoutEndpointCells) {
  ReportInput input;
  input.cells = {testing::cell("qwen", "fp16", "gsm8k", 0.5, 1.0), testing::cell("qwen", "int8", "gsm8k", 0.45, 0.6)};
  input.machines = {testing::h100_machine()};
  const std::string html = render_html(input, {});
  EXPECT_EQ(html.find("id=\"served\""), std::string::npos);
  EXPECT_EQ(html.find("Served deployments"), std::string::npos);
  EXPECT_EQ(html.find("chart-served-load"), std::string::npos);
}

}  // namespace
}  // namespace jouleval::report
