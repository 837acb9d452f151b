// Percentiles, the per-request mean token gap and a window's latency summary against values
// computed by hand.
#include <gtest/gtest.h>

#include "endpoint/latency.h"

namespace jouleval::endpoint {
namespace {

TEST(Latency, PercentilesInterpolateBetweenClosestRanks) {
  // Sorted 1 2 3 4 10: rank p/100 * 4. p50 -> rank 2 -> 3; p90 -> rank 3.6 -> 4 + 0.6 * 6 = 7.6;
  // p99 -> rank 3.96 -> 4 + 0.96 * 6 = 9.76.
  const std::vector<double> v = {10, 3, 1, 4, 2};
  EXPECT_DOUBLE_EQ(*percentile(v, 50), 3.0);
  EXPECT_DOUBLE_EQ(*percentile(v, 90), 7.6);
  EXPECT_DOUBLE_EQ(*percentile(v, 99), 9.76);
  EXPECT_DOUBLE_EQ(*percentile(v, 0), 1.0);
  EXPECT_DOUBLE_EQ(*percentile(v, 100), 10.0);
  EXPECT_DOUBLE_EQ(*percentile({5}, 99), 5.0);
  EXPECT_FALSE(percentile({}, 50).has_value());
}

RequestTiming streamed(double ttft, std::vector<double> itl, double e2e, int64_t tokens) {
  RequestTiming t;
  t.streamed = true;
  t.ttft = ttft;
  t.itl = std::move(itl);
  t.e2e = e2e;
  t.output_tokens = tokens;
  return t;
}

TEST(Latency, SummaryOfAWindow) {
  // Three requests in a 2 s window. Mean token gaps: (1.0-0.1)/9 = 0.1, (1.5-0.5)/5 = 0.2, 0 (one
  // token).
  const std::vector<RequestTiming> t = {streamed(0.1, {0.1, 0.2}, 1.0, 10), streamed(0.5, {0.3}, 1.5, 6),
                                        streamed(0.2, {}, 0.2, 1)};
  EXPECT_DOUBLE_EQ(mean_token_gap(t[0]), 0.1);
  EXPECT_DOUBLE_EQ(mean_token_gap(t[1]), 0.2);
  EXPECT_DOUBLE_EQ(mean_token_gap(t[2]), 0.0);

  const LatencySummary none = summarize_latency(t, 2.0, {});
  EXPECT_EQ(none.requests, 3);
  EXPECT_TRUE(none.streamed);
  EXPECT_DOUBLE_EQ(none.requests_per_second, 1.5);
  EXPECT_DOUBLE_EQ(none.output_tokens_per_second, 8.5);
  EXPECT_FALSE(none.goodput.has_value());             // no objective given
  EXPECT_DOUBLE_EQ(*none.ttft.p50, 0.2);              // 0.1 0.2 0.5
  EXPECT_DOUBLE_EQ(*none.ttft.p90, 0.2 + 0.8 * 0.3);  // rank 1.8
  EXPECT_DOUBLE_EQ(*none.itl.p50, 0.2);               // gaps 0.1 0.2 0.3
  EXPECT_DOUBLE_EQ(*none.e2e.p99, 1.0 + 0.98 * 0.5);  // 0.2 1.0 1.5, rank 1.98

  // TTFT <= 300 ms: requests 1 and 3; and mean gap <= 150 ms: still 1 and 3 -> 2 / 2 s.
  EXPECT_DOUBLE_EQ(*summarize_latency(t, 2.0, Slo{300, std::nullopt}).goodput, 1.0);
  EXPECT_DOUBLE_EQ(*summarize_latency(t, 2.0, Slo{300, 150}).goodput, 1.0);
  // Mean gap <= 150 ms alone: requests 1 and 3; <= 250 ms: all three.
  EXPECT_DOUBLE_EQ(*summarize_latency(t, 2.0, Slo{std::nullopt, 150}).goodput, 1.0);
  EXPECT_DOUBLE_EQ(*summarize_latency(t, 2.0, Slo{std::nullopt, 250}).goodput, 1.5);

  // Not streamed: no TTFT or ITL, no goodput, end-to-end percentiles still.
  RequestTiming whole;
  whole.e2e = 0.4;
  whole.output_tokens = 3;
  const LatencySummary w = summarize_latency({whole}, 1.0, Slo{300, std::nullopt});
  EXPECT_FALSE(w.streamed);
  EXPECT_FALSE(w.ttft.p50.has_value());
  EXPECT_FALSE(w.goodput.has_value());
  EXPECT_DOUBLE_EQ(*w.e2e.p50, 0.4);
  const nlohmann::json j = to_json(w);
  EXPECT_TRUE(j["ttft_p50_ms"].is_null());
  EXPECT_DOUBLE_EQ(j["e2e_p50_ms"].get<double>(), 400.0);
}

}  // namespace
}  // namespace jouleval::endpoint
