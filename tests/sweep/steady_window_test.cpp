// The steady window of an endpoint's load level (docs/endpoint.md "Steady state") on synthetic
// request timelines whose answers are worked out by hand in the comments.
#include <gtest/gtest.h>

#include "sweep/steady_window.h"

namespace jouleval::sweep {
namespace {

using endpoint::RequestSpan;

RequestSpan span(double start, double end, int64_t tokens, int64_t batch = 0) {
  RequestSpan s;
  s.batch = batch;
  s.arrival_s = start;
  s.start_s = start;
  s.first_token_s = start;
  s.end_s = end;
  s.output_tokens = tokens;
  return s;
}

// A closed loop of 2: r0 [0,4], r1 [1,3], r2 sent at 3 when r1 ends, r3 sent at 4 when r0 ends (the
// last send); in flight: 2 from t=1 (r1 sent) until r3 ends at 5, then 1.
std::vector<RequestSpan> closed_loop_of_two() { return {span(0, 4, 8), span(1, 3, 4), span(3, 6, 6), span(4, 5, 2)}; }

// Constant power sampled every `step` seconds over [-1, 7].
std::vector<energy::TimedWatts> constant(double watts, double step) {
  std::vector<energy::TimedWatts> out;
  for (int i = 0; - 1 + i * step <= 7 + 1e-9; ++i) out.push_back({-1 + i * step, watts});
  return out;
}

energy::PhaseMeterInput meter(const std::string& name, const std::string& kind, std::vector<energy::TimedWatts> samples,
                              std::optional<double> counter = std::nullopt) {
  energy::PhaseMeterInput m;
  m.window.meter = name;
  m.window.kind = kind;
  m.window.available = true;
  m.window.counter_joules = counter;
  m.samples = std::move(samples);
  return m;
}

TEST(SteadyWindow, AClosedLoopRunsFromTheLevelReachedUntilTheQueueRunsDry) {
  std::string why;
  const auto intervals = steady_intervals(closed_loop_of_two(), 2, 0, &why);
  ASSERT_EQ(intervals.size(), 1U) << why;
  EXPECT_DOUBLE_EQ(intervals[0].first, 1);
  EXPECT_DOUBLE_EQ(intervals[0].second, 5);
  // Tokens spread over each request's time: r0 8 x 3/4 = 6, r1 4, r2 6 x 2/3 = 4, r3 2.
  EXPECT_NEAR(output_tokens_inside(closed_loop_of_two(), intervals), 16, 1e-9);
}

TEST(SteadyWindow, StreamedTokensAreSpreadFromTheFirstToken) {
  RequestSpan s = span(0, 4, 6);
  s.first_token_s = 1;  // tokens over [1, 4]: 2 per second
  EXPECT_NEAR(output_tokens_inside({s}, {{0, 2}}), 2, 1e-9);
  EXPECT_NEAR(output_tokens_inside({span(3, 3, 5)}, {{0, 3}}), 5, 1e-9) << "a request of no time counts at its end";
}

TEST(SteadyWindow, EnergyIsCounterScaledPerMeterAndAddedUpAsTheWindowIs) {
  // 100 W over [1, 5] is 400 J; the gpu's counter says 1200 J over the window [0, 6] whose sampled
  // integral is 600 J: scaled by 2, 800 J. The cpu has no counter: 50 W x 4 s = 200 J integrated.
  // The system meter is not added when component meters exist. Total 1000 J over 16 tokens.
  const SteadyWindow w =
      steady_window(closed_loop_of_two(), 2, 0, 0, 6,
                    {meter("nvml:0", "gpu", constant(100, 0.1), 1200),
                     meter("rapl:package-0", "cpu", constant(50, 0.1)), meter("psys", "system", constant(500, 0.1))});
  EXPECT_EQ(w.absent, "");
  EXPECT_NEAR(w.seconds, 4, 1e-9);
  EXPECT_NEAR(w.output_tokens, 16, 1e-9);
  ASSERT_EQ(w.meters.size(), 3U);
  EXPECT_EQ(w.meters[0].method, "counter-scaled");
  EXPECT_NEAR(w.meters[0].joules.value_or(-1), 800, 1e-6);
  EXPECT_NEAR(w.meters[0].j_per_output_token.value_or(-1), 50, 1e-6);
  EXPECT_EQ(w.meters[1].method, "integrated");
  EXPECT_NEAR(w.meters[1].joules.value_or(-1), 200, 1e-6);
  EXPECT_NEAR(w.joules.value_or(-1), 1000, 1e-6);
  EXPECT_NEAR(w.j_per_output_token.value_or(-1), 62.5, 1e-6);
  const nlohmann::json j = to_json(w);
  EXPECT_NEAR(j.at("joules").get<double>(), 1000, 1e-6);
  EXPECT_EQ(j.at("meters").at(0).at("method"), "counter-scaled");
}

TEST(SteadyWindow, TooFewSamplesIsTooShortAndNoTotalIsInvented) {
  // Samples every second: 2, 3 and 4 lie inside (1, 5), fewer than 10.
  const SteadyWindow w =
      steady_window(closed_loop_of_two(), 2, 0, 0, 6,
                    {meter("nvml:0", "gpu", constant(100, 1.0)), meter("rapl:package-0", "cpu", constant(50, 0.1))});
  ASSERT_EQ(w.meters.size(), 2U);
  EXPECT_EQ(w.meters[0].method, "too short");
  EXPECT_FALSE(w.meters[0].joules);
  EXPECT_NE(w.meters[0].note.find("3 power samples inside, fewer than 10"), std::string::npos) << w.meters[0].note;
  EXPECT_TRUE(w.meters[1].joules);
  EXPECT_FALSE(w.joules) << "one counted meter has no energy";
  EXPECT_FALSE(w.j_per_output_token);
}

TEST(SteadyWindow, UnavailableMetersAndAnotherClockSayWhy) {
  energy::PhaseMeterInput off = meter("nvml:0", "gpu", constant(100, 0.1));
  off.window.available = false;
  off.window.unavailable_reason = "no driver";
  SteadyWindow w = steady_window(closed_loop_of_two(), 2, 0, 0, 6, {off});
  EXPECT_EQ(w.meters.at(0).method, "unavailable");
  EXPECT_EQ(w.meters.at(0).note, "meter unavailable: no driver");
  w = steady_window(closed_loop_of_two(), 2, 0, 100, 106, {meter("nvml:0", "gpu", constant(100, 0.1))});
  EXPECT_EQ(w.meters.at(0).method, "unavailable");
  EXPECT_NE(w.meters.at(0).note.find("another clock"), std::string::npos) << w.meters.at(0).note;
}

TEST(SteadyWindow, PoissonLeavesOutTheFirstAndLastTenPercentOfArrivals) {
  // 20 arrivals at t = 0, 1, ..., 19 (sent later than due: the window follows the arrivals): the
  // first 10 % are t = 0, 1 and the last 10 % t = 18, 19, so the window is [2, 17].
  std::vector<RequestSpan> spans;
  for (int i = 19; i >= 0; --i) {  // in no particular order
    RequestSpan s = span(i + 0.5, i + 3.0, 10);
    s.arrival_s = i;
    spans.push_back(s);
  }
  const auto intervals = steady_intervals(spans, 1024, 4.0);
  ASSERT_EQ(intervals.size(), 1U);
  EXPECT_DOUBLE_EQ(intervals[0].first, 2);
  EXPECT_DOUBLE_EQ(intervals[0].second, 17);
  const SteadyWindow w = steady_window(spans, 1024, 4.0, 0, 23, {});
  EXPECT_NEAR(w.seconds, 15, 1e-9);
  EXPECT_NE(w.basis.find("10 %"), std::string::npos) << w.basis;
}

TEST(SteadyWindow, ALevelNeverReachedHasNoWindowAndSaysWhy) {
  std::string why;
  EXPECT_TRUE(steady_intervals({span(0, 1, 3), span(0, 2, 3)}, 3, 0, &why).empty());
  EXPECT_EQ(why, "fewer requests (2) than the concurrency level (3): the level was never reached");
  const SteadyWindow w =
      steady_window({span(0, 1, 3), span(0, 2, 3)}, 3, 0, 0, 2, {meter("g", "gpu", constant(1, 0.1))});
  EXPECT_EQ(w.absent, why);
  EXPECT_EQ(w.seconds, 0);
  EXPECT_TRUE(w.meters.empty());
  EXPECT_FALSE(w.joules);
}

TEST(SteadyWindow, EachPassOfTheWorkHasItsOwnWindow) {
  // Level 1, pass 0: [0,1] then [1,2] (sent when the first ends): [0, 2]; pass 1: [5, 6].
  const std::vector<RequestSpan> spans = {span(0, 1, 1, 0), span(1, 2, 1, 0), span(5, 6, 1, 1)};
  const auto intervals = steady_intervals(spans, 1, 0);
  ASSERT_EQ(intervals.size(), 2U);
  EXPECT_EQ(intervals[0], (Interval{0, 2}));
  EXPECT_EQ(intervals[1], (Interval{5, 6}));
  EXPECT_NEAR(output_tokens_inside(spans, intervals), 3, 1e-9);
}

TEST(SteadyWindow, TheAchievedRateIsOverTheSendingTime) {
  // 5 requests sent over 2 s and 3 over 1 s: (4 + 2) / (2 + 1) = 2 per second.
  const std::vector<RequestSpan> spans = {span(0, 9, 1, 0),     span(0.5, 9, 1, 0), span(1, 9, 1, 0),
                                          span(1.5, 9, 1, 0),   span(2, 9, 1, 0),   span(10, 19, 1, 1),
                                          span(10.5, 19, 1, 1), span(11, 19, 1, 1)};
  EXPECT_NEAR(achieved_request_rate(spans).value_or(-1), 2, 1e-9);
  EXPECT_FALSE(achieved_request_rate({span(0, 1, 1)}));
}

}  // namespace
}  // namespace jouleval::sweep
