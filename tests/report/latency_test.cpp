// export --table latency and the run line of endpoint repetitions (report/latency.h), from stored
// latency summaries written by hand.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace jouleval::report
