// export --table latency and the run line of endpoint repetitions (report/latency.h), from stored
// latency summaries written by hand.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "report/latency.h"

namespace jouleval::report {
namespace {

results::Cell served_cell() {
  results::Cell c;
  c.id = 7;
  c.machine_id = "m1";
  c.status = results::CellStatus::kDone;
  c.key.model = "qwen";
  c.key.task = "gsm8k";
  c.engine_used_json = R"({"concurrency": 8, "streaming": "yes"})";
  results::Repetition r;
  r.index = 0;
  r.latency_json = R"({"requests":4,"streamed":true,"ttft_p50_ms":120.4,"ttft_p90_ms":180,"ttft_p99_ms":210,
    "itl_p50_ms":20,"itl_p90_ms":30,"itl_p99_ms":45,"e2e_p50_ms":900,"e2e_p90_ms":1000,"e2e_p99_ms":1100,
    "requests_per_s":3.2,"output_tokens_per_s":410,"goodput_requests_per_s":2.9,"slo_ttft_ms":200,"slo_itl_ms":null})";
  c.repetitions.push_back(r);
  results::Repetition none;  // a repetition without a summary gives no row
  none.index = 1;
  c.repetitions.push_back(none);
  return c;
}

TEST(LatencyTable, OneRowPerRepetitionWithASummary) {
  const Table t = latency_table({served_cell()}, {});
  ASSERT_EQ(t.rows.size(), 1u);
  const auto& row = t.rows[0];
  EXPECT_EQ(std::get<int64_t>(row[*t.column_index("cell_id")]), 7);
  EXPECT_EQ(std::get<int64_t>(row[*t.column_index("concurrency")]), 8);
  EXPECT_EQ(std::get<int64_t>(row[*t.column_index("requests")]), 4);
  EXPECT_EQ(std::get<bool>(row[*t.column_index("streamed")]), true);
  EXPECT_DOUBLE_EQ(std::get<double>(row[*t.column_index("ttft_p50_ms")]), 120.4);
  EXPECT_DOUBLE_EQ(std::get<double>(row[*t.column_index("itl_p99_ms")]), 45);
  EXPECT_DOUBLE_EQ(std::get<double>(row[*t.column_index("goodput_requests_per_s")]), 2.9);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(row[*t.column_index("slo_itl_ms")]));
}

TEST(LatencyLine, SaysPercentilesThroughputAndGoodput) {
  const results::Cell c = served_cell();
  EXPECT_EQ(latency_line(c.repetitions[0]).value_or(""),
            "latency: TTFT p50 120 / p90 180 / p99 210 ms; ITL p50 20 / p90 30 / p99 45 ms; E2E p50 900 / p90 1000 / "
            "p99 1100 ms; 3.20 req/s, 410 tok/s; goodput 2.90 req/s (TTFT <= 200 ms)");
  EXPECT_FALSE(latency_line(c.repetitions[1]).has_value());
  results::Repetition whole;
  whole.latency_json = R"({"requests":2,"streamed":false,"ttft_p50_ms":null,"e2e_p50_ms":500,"e2e_p90_ms":600,
    "e2e_p99_ms":700,"requests_per_s":1,"output_tokens_per_s":20,"goodput_requests_per_s":null})";
  EXPECT_EQ(latency_line(whole).value_or(""),
            "latency: E2E p50 500 / p90 600 / p99 700 ms; 1.00 req/s, 20 tok/s (not streamed: end-to-end latency "
            "only)");
}

// A Poisson cell's record: offered and achieved rates, and its steady window's seconds, tokens and
// energy per meter (one meter too short: no total).
constexpr const char* kPoissonSummary = R"({"requests":40,"streamed":false,"e2e_p50_ms":500,"e2e_p90_ms":600,
  "e2e_p99_ms":700,"requests_per_s":3.5,"output_tokens_per_s":200,"goodput_requests_per_s":null,
  "offered_requests_per_s":4,"achieved_requests_per_s":3.8,
  "steady":{"basis":"Poisson arrivals","seconds":8.25,"output_tokens":400,"joules":1000,"j_per_output_token":2.5,
    "note":"","meters":[{"meter":"nvml:0","kind":"gpu","method":"counter-scaled","joules":1000,
    "j_per_output_token":2.5,"note":""}]}})";

TEST(LatencyTable, ThePoissonRatesAndTheSteadyWindowAreColumns) {
  results::Cell c = served_cell();
  c.key.engine.arrival_rate = 4;
  c.repetitions[0].latency_json = kPoissonSummary;
  const Table t = latency_table({c}, {});
  ASSERT_EQ(t.rows.size(), 1u);
  const auto& row = t.rows[0];
  EXPECT_DOUBLE_EQ(std::get<double>(row[*t.column_index("arrival_rate")]), 4);
  EXPECT_DOUBLE_EQ(std::get<double>(row[*t.column_index("offered_requests_per_s")]), 4);
  EXPECT_DOUBLE_EQ(std::get<double>(row[*t.column_index("achieved_requests_per_s")]), 3.8);
  EXPECT_DOUBLE_EQ(std::get<double>(row[*t.column_index("steady_seconds")]), 8.25);
  EXPECT_DOUBLE_EQ(std::get<double>(row[*t.column_index("steady_output_tokens")]), 400);
  EXPECT_DOUBLE_EQ(std::get<double>(row[*t.column_index("steady_joules")]), 1000);
  EXPECT_DOUBLE_EQ(std::get<double>(row[*t.column_index("steady_j_per_output_token")]), 2.5);
  EXPECT_EQ(std::get<std::string>(row[*t.column_index("steady_energy")]), "nvml:0 1000.0 J (counter-scaled)");
  EXPECT_EQ(std::get<std::string>(row[*t.column_index("steady_note")]), "Poisson arrivals");
  // A record written before the steady window: empty columns.
  const Table old = latency_table({served_cell()}, {});
  EXPECT_TRUE(std::holds_alternative<std::monostate>(old.rows.at(0)[*old.column_index("steady_joules")]));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(old.rows.at(0)[*old.column_index("steady_energy")]));
}

TEST(LatencyLine, SaysTheRatesAndTheSteadyWindow) {
  results::Repetition r;
  r.latency_json = kPoissonSummary;
  EXPECT_EQ(latency_line(r).value_or(""),
            "latency: E2E p50 500 / p90 600 / p99 700 ms; 3.50 req/s, 200 tok/s; Poisson 4 req/s offered, 3.80 req/s "
            "sent (not streamed: end-to-end latency only); steady 8.2 s, 400 output tokens, 1000.0 J (2.5 J/output "
            "token)");
  nlohmann::json j = nlohmann::json::parse(kPoissonSummary);
  j["steady"]["joules"] = nullptr;
  j["steady"]["meters"][0] = {{"meter", "nvml:0"},
                              {"method", "too short"},
                              {"joules", nullptr},
                              {"note", "3 power samples inside, fewer than 10"}};
  r.latency_json = j.dump();
  EXPECT_NE(latency_line(r).value_or("").find(
                "steady 8.2 s, 400 output tokens (nvml:0 too short (3 power samples inside, fewer than 10))"),
            std::string::npos)
      << latency_line(r).value_or("");
  j["steady"]["note"] = "fewer requests (2) than the concurrency level (8): the level was never reached";
  r.latency_json = j.dump();
  EXPECT_NE(latency_line(r).value_or("").find("; steady window: none (fewer requests (2) than the concurrency level "
                                              "(8): the level was never reached)"),
            std::string::npos)
      << latency_line(r).value_or("");
}

}  // namespace
}  // namespace jouleval::report
