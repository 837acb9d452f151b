// The phases of generation cells in the report layer (report/phases.h): the export table (one row per
// stored phase, absent energy never zero), a cell's phases over its repetitions, the line `run`
// prints, and the report's section. Expected numbers worked out by hand.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "report/export.h"
#include "report/html.h"
#include "report/phases.h"

namespace jouleval::report {
namespace {

results::PhaseEnergy phase(const std::string& name, const std::string& meter, double seconds, int64_t tokens,
                           std::optional<double> joules, const std::string& method, const std::string& note = "") {
  results::PhaseEnergy p;
  p.phase = name;
  p.meter = meter;
  p.seconds = seconds;
  p.tokens = tokens;
  p.steps = 3;
  p.batch = 4;
  p.method = method;
  p.joules = joules;
  p.note = note;
  return p;
}

// A GSM8K cell: repetition 0 with a steady state of 720 J over 12 tokens and a prefill too short to
// measure; repetition 1 ran the task twice in its window (passes 2).
results::Cell gsm8k_cell() {
  results::Cell c = testing::cell("qwen2_7b", "fp16", "gsm8k", 0.3, 1.0);
  c.id = 7;
  c.repetitions[0].phases = {
      phase("prefill", "nvml:0", 2.5, 312, std::nullopt, "too short", "4 power samples inside, fewer than 10"),
      phase("steady", "nvml:0", 6.0, 12, 720.0, "counter-scaled")};
  c.repetitions[0].phases[1].joules_idle_subtracted = 600.0;
  c.repetitions[1].passes = 2;
  c.repetitions[1].phases = {phase("prefill", "nvml:0", 5.0, 624, 500.0, "counter-scaled"),
                             phase("steady", "nvml:0", 4.0, 10, 400.0, "counter-scaled")};
  return c;
}

TEST(report_phases, ExportHasOneRowPerStoredPhaseAndAbsentEnergyStaysAbsent) {
  const Table t =
      phases_table({gsm8k_cell(), testing::cell("qwen2_7b", "fp16", "mmlu", 0.6, 1.0)}, {testing::h100_machine()});
  ASSERT_EQ(t.rows.size(), 4u);  // the MMLU cell has no phases
  const std::string jsonl = export_jsonl(t);
  std::vector<nlohmann::json> rows;
  size_t start = 0;
  for (size_t end; (end = jsonl.find('\n', start)) != std::string::npos; start = end + 1)
    rows.push_back(nlohmann::json::parse(jsonl.substr(start, end - start)));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].at("cell_id"), 7);
  EXPECT_EQ(rows[0].at("task"), "gsm8k");
  EXPECT_EQ(rows[0].at("phase"), "prefill");
  EXPECT_EQ(rows[0].at("meter"), "nvml:0");
  EXPECT_EQ(rows[0].at("tokens"), 312);
  EXPECT_TRUE(rows[0].at("joules").is_null());
  EXPECT_TRUE(rows[0].at("j_per_token").is_null());
  EXPECT_EQ(rows[0].at("method"), "too short");
  EXPECT_EQ(rows[0].at("note"), "4 power samples inside, fewer than 10");
  EXPECT_EQ(rows[1].at("phase"), "steady");
  EXPECT_DOUBLE_EQ(rows[1].at("joules").get<double>(), 720.0);
  EXPECT_DOUBLE_EQ(rows[1].at("joules_idle_subtracted").get<double>(), 600.0);
  EXPECT_DOUBLE_EQ(rows[1].at("j_per_token").get<double>(), 60.0);  // 720 J / 12 tokens
  EXPECT_EQ(rows[1].at("sequences"), 4);
  EXPECT_EQ(rows[3].at("repetition"), 1);
  EXPECT_EQ(rows[3].at("passes"), 2);
  EXPECT_DOUBLE_EQ(rows[3].at("seconds").get<double>(), 4.0);  // as stored, not per pass

  const std::string csv = export_csv(t);
  EXPECT_NE(csv.find(",repetition,passes,meter,phase,seconds,tokens,steps,sequences,joules,joules_idle_subtracted,"
                     "j_per_token,method,note\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find(",0,1,nvml:0,prefill,2.5,312,3,4,,,,too short,\"4 power samples inside, fewer than 10\"\n"),
            std::string::npos)
      << csv;
  EXPECT_EQ(parse_export_table("phases"), ExportTable::kPhases);
}

TEST(report_phases, ACellsPhasesAreMeansPerPassExceptTheSteadyState) {
  const auto phases = cell_phases(gsm8k_cell());
  ASSERT_EQ(phases.size(), 2u);
  const CellPhase& prefill = phases[0];
  EXPECT_EQ(prefill.phase, "prefill");
  EXPECT_EQ(prefill.repetitions, 2);
  EXPECT_EQ(prefill.with_energy, 1);
  EXPECT_DOUBLE_EQ(prefill.seconds, (2.5 + 5.0 / 2) / 2);  // repetition 1 per pass
  EXPECT_DOUBLE_EQ(prefill.tokens, 312);                   // (312 + 624 / 2) / 2
  ASSERT_TRUE(prefill.joules);
  EXPECT_DOUBLE_EQ(*prefill.joules, 250.0);  // only repetition 1 has energy: 500 J / 2 passes
  EXPECT_DOUBLE_EQ(*prefill.joules_per_token, 500.0 / 624);
  EXPECT_EQ(prefill.method, "too short (1 of 2 repetitions; 1 counter-scaled)");
  EXPECT_EQ(prefill.note, "4 power samples inside, fewer than 10");
  const CellPhase& steady = phases[1];
  EXPECT_DOUBLE_EQ(steady.seconds, (6.0 + 4.0) / 2);  // one stretch: not divided by passes
  EXPECT_DOUBLE_EQ(*steady.joules, (720.0 + 400.0) / 2);
  EXPECT_DOUBLE_EQ(*steady.joules_per_token, (60.0 + 40.0) / 2);
  EXPECT_DOUBLE_EQ(*steady.joules_idle_subtracted, 600.0);  // the one repetition that has it
  EXPECT_EQ(steady.method, "counter-scaled");
}

TEST(report_phases, TheRunLineSaysTheSteadyStateOrWhyNot) {
  results::Repetition rep = gsm8k_cell().repetitions[0];
  EXPECT_EQ(steady_state_line(rep), "steady-state decode: 60.0 J/token (nvml:0, counter-scaled) over 6.00 s (B = 4)");
  rep.phases = {phase("steady", "", 6.0, 12, std::nullopt, "unavailable", "no energy meter")};
  EXPECT_EQ(steady_state_line(rep), "steady-state decode: 6.00 s (B = 4), energy unavailable: no energy meter");
  results::PhaseEnergy none = phase("steady", "", 0, 0, std::nullopt, "unavailable",
                                    "no steady state: the batch was never full (at most 3 of 8 sequences at once)");
  none.steps = 0;
  rep.phases = {none};
  EXPECT_EQ(steady_state_line(rep), "no steady state: the batch was never full (at most 3 of 8 sequences at once)");
  rep.phases.clear();
  EXPECT_FALSE(steady_state_line(rep));
}

TEST(report_phases, TheReportShowsThePhasesOfGenerationCellsOnly) {
  ReportInput input;
  input.machines = {testing::h100_machine()};
  input.cells = {testing::cell("qwen2_7b", "fp16", "mmlu", 0.6, 1.0)};
  input.cells[0].id = 1;
  EXPECT_EQ(render_html(input, {}).find("Phases of generation"), std::string::npos);
  input.cells.push_back(gsm8k_cell());
  const std::string html = render_html(input, {});
  EXPECT_NE(html.find("<h2 id=\"phases\">Phases of generation</h2>"), std::string::npos);
  EXPECT_NE(html.find("too short (1 of 2 repetitions; 1 counter-scaled)"), std::string::npos);
  // The prefill row has energy (from one repetition): no reason for its absence is appended.
  EXPECT_EQ(html.find("4 power samples inside"), std::string::npos);
}

}  // namespace
}  // namespace jouleval::report
