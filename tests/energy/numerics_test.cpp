#include <gtest/gtest.h>

#include <cmath>

#include "energy/clock.h"
#include "energy/integrate.h"
#include "energy/window.h"

namespace jouleval::energy {
namespace {

TEST(energy_integrate, InterpolatesAtWindowEdges) {
  // Samples around [0, 1]: edge value at 0 is 50 W (between 0 W at -0.5 and 100 W at 0.5).
  std::vector<TimedWatts> s = {{-0.5, 0}, {0.5, 100}, {1.5, 100}};
  auto r = integrate_power(s, 0.0, 1.0);
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->joules, 0.5 * (50 + 100) * 0.5 + 100 * 0.5);
  EXPECT_DOUBLE_EQ(r->peak_watts, 100);
  EXPECT_FALSE(r->extrapolated);
  EXPECT_EQ(r->samples_inside, 1u);
}

TEST(energy_integrate, HoldsNearestValueOutsideSamplesAndSaysSo) {
  std::vector<TimedWatts> s = {{0.5, 10}};
  auto r = integrate_power(s, 0.0, 2.0);
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->joules, 20.0);
  EXPECT_TRUE(r->extrapolated);
  EXPECT_FALSE(integrate_power({}, 0, 1));
  EXPECT_FALSE(integrate_power(s, 1, 1));
}

TEST(energy_integrate, EstimatesCounterUpdatePeriodOnManualClock) {
  ManualClock clock;
  auto counter = [&] { return Reading::ok(std::floor(clock.now() / 0.1)); };
  auto period = estimate_update_period(counter, clock, 0.002, 1.0);
  ASSERT_TRUE(period);
  EXPECT_NEAR(*period, 0.1, 0.003);
  EXPECT_DOUBLE_EQ(sampling_interval_for(period), *period / 2);
  EXPECT_DOUBLE_EQ(sampling_interval_for(0.01), 0.05);  // never faster than 20 Hz
  EXPECT_DOUBLE_EQ(sampling_interval_for(std::nullopt), 0.1);
  auto frozen = [] { return Reading::ok(1.0); };
  EXPECT_FALSE(estimate_update_period(frozen, clock, 0.01, 0.5));
}

TEST(energy_window, MeterWithoutCounterUsesIntegralAndKeepsNote) {
  MeterWindowInput in;
  in.status = {"nvml:0", "gpu", "old GPU", true, ""};
  in.has_counter = false;
  in.power_source = PowerSource::kInstant;
  in.samples = {{0, 100}, {2, 100}};
  in.idle_watts = 40;
  auto e = compute_meter_energy(in, 0, 2, 0.05);
  EXPECT_TRUE(e.available);
  EXPECT_FALSE(e.counter_joules);
  EXPECT_DOUBLE_EQ(*e.total_joules, 200);
  EXPECT_DOUBLE_EQ(*e.active_joules, 120);
  EXPECT_FALSE(e.disagreement);
}

TEST(energy_window, NoReadingsMeansUnavailableNeverZero) {
  MeterWindowInput in;
  in.status = {"external", "external", "file: x", true, ""};
  in.has_counter = true;
  in.begin.energy = Reading::ok(5);
  in.end.energy = Reading::fail("cannot read external meter file x");
  auto e = compute_meter_energy(in, 0, 2, 0.05);
  EXPECT_FALSE(e.available);
  EXPECT_FALSE(e.total_joules);
  EXPECT_NE(e.unavailable_reason.find("cannot read external meter file x"), std::string::npos);
}

}  // namespace
}  // namespace jouleval::energy
