// The simulated 1 Hz power poller (poll_and_integrate): the polling rule (first poll at the window
// start, most recent sample at or before each poll), the integration (reading x period, the last
// one covering the rest of the window) and its bias, on hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "energy/integrate.h"

namespace jouleval::energy {
namespace {

// Samples every 50 ms over [0, end] from a power function of time.
template <class F>
std::vector<TimedWatts> sampled(double end, F watts) {
  std::vector<TimedWatts> s;
  for (int i = 0; i * 0.05 <= end + 1e-9; ++i) s.push_back({i * 0.05, watts(i * 0.05)});
  return s;
}

TEST(energy_poll, ConstantPowerGivesExactEnergy) {
  const auto s = sampled(11.0, [](double) { return 200.0; });
  auto r = poll_and_integrate(s, 0.0, 10.0);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->polls, 10u);  // 0, 1, ..., 9
  EXPECT_DOUBLE_EQ(r->joules, 2000.0);
  // 10.4 s: polls 0..10, the last one covers 0.4 s.
  r = poll_and_integrate(s, 0.0, 10.4);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->polls, 11u);
  EXPECT_NEAR(r->joules, 2080.0, 1e-9);
  EXPECT_EQ(r->polls_before_first_sample, 0u);
}

TEST(energy_poll, StepBetweenPollsIsMissedUntilTheNextPoll) {
  // 100 W until 1.05 s, then 300 W; window [0, 3]. True energy 100 x 1.05 + 300 x 1.95 = 690 J.
  const auto s = sampled(3.0, [](double t) { return t < 1.05 - 1e-9 ? 100.0 : 300.0; });
  auto r = poll_and_integrate(s, 0.0, 3.0);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->polls, 3u);
  EXPECT_DOUBLE_EQ(r->joules, 100.0 + 100.0 + 300.0);  // the poll at 1 s still reads 100 W: -27.5%
  auto trapezoid = integrate_power(s, 0.0, 3.0);
  ASSERT_TRUE(trapezoid);
  // 50 ms samples: the ramp between the samples either side of the step adds 0.05 s x 200 W / 2 = 5 J.
  EXPECT_NEAR(trapezoid->joules, 695.0, 1e-6);
}

TEST(energy_poll, BurstBetweenPollsIsNotSeen) {
  // 100 W with a 700 W burst over [0.2, 0.7): true 100 x 3 + 600 x 0.5 = 600 J; polls see 100 W only.
  const auto s = sampled(3.0, [](double t) { return t > 0.2 - 1e-9 && t < 0.7 - 1e-9 ? 700.0 : 100.0; });
  auto r = poll_and_integrate(s, 0.0, 3.0);
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->joules, 300.0);  // -50%
}

TEST(energy_poll, SampleExactlyAtPollTimeIsRead) {
  const std::vector<TimedWatts> s = {{0.0, 100.0}, {1.0, 300.0}, {2.0, 300.0}};
  auto r = poll_and_integrate(s, 0.0, 2.5);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->polls, 3u);
  EXPECT_DOUBLE_EQ(r->joules, 100.0 + 300.0 + 300.0 * 0.5);
}

TEST(energy_poll, PollBeforeFirstSampleReadsFirstSample) {
  const std::vector<TimedWatts> s = {{0.05, 200.0}, {0.5, 400.0}};
  auto r = poll_and_integrate(s, 0.0, 1.2);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->polls, 2u);
  EXPECT_EQ(r->polls_before_first_sample, 1u);
  EXPECT_NEAR(r->joules, 200.0 * 1.0 + 400.0 * 0.2, 1e-9);
}

TEST(energy_poll, WindowShorterThanOnePeriodIsReadingTimesDuration) {
  const std::vector<TimedWatts> s = {{0.0, 150.0}, {0.2, 250.0}};
  auto r = poll_and_integrate(s, 0.0, 0.4);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->polls, 1u);
  EXPECT_DOUBLE_EQ(r->joules, 150.0 * 0.4);
}

TEST(energy_poll, OneSampleIsHeldOverTheWholeWindow) {
  const std::vector<TimedWatts> s = {{0.3, 120.0}};
  auto r = poll_and_integrate(s, 0.0, 2.5);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->polls, 3u);
  EXPECT_EQ(r->polls_before_first_sample, 1u);
  EXPECT_DOUBLE_EQ(r->joules, 120.0 * 2.5);
}

TEST(energy_poll, OtherPeriodAndWindowStart) {
  const std::vector<TimedWatts> s = {{5.0, 100.0}, {5.4, 200.0}, {5.9, 300.0}};
  auto r = poll_and_integrate(s, 5.0, 6.2, 0.5);  // polls at 5.0 (100), 5.5 (200), 6.0 (300 for 0.2 s)
  ASSERT_TRUE(r);
  EXPECT_EQ(r->polls, 3u);
  EXPECT_NEAR(r->joules, 50.0 + 100.0 + 60.0, 1e-9);
}

TEST(energy_poll, RefusesWhatCannotBePolled) {
  const std::vector<TimedWatts> s = {{0.0, 100.0}};
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(poll_and_integrate({}, 0.0, 1.0));
  EXPECT_FALSE(poll_and_integrate(s, 1.0, 1.0));
  EXPECT_FALSE(poll_and_integrate(s, 2.0, 1.0));
  EXPECT_FALSE(poll_and_integrate(s, 0.0, inf));
  EXPECT_FALSE(poll_and_integrate(s, 0.0, nan));
  EXPECT_FALSE(poll_and_integrate(s, 0.0, 1.0, 0.0));
  EXPECT_FALSE(poll_and_integrate(s, 0.0, 1.0, -1.0));
  EXPECT_FALSE(poll_and_integrate(s, 0.0, 1.0, nan));
  EXPECT_FALSE(poll_and_integrate(s, 0.0, 1.0, inf));
  EXPECT_FALSE(poll_and_integrate(s, 0.0, 1.0, 1e-12));  // 1e12 polls
}

}  // namespace
}  // namespace jouleval::energy
