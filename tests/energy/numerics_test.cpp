#include <gtest/gtest.h>

#include <cmath>

#include "energy/clock.h"
#include "energy/cpu_estimate.h"
#include "energy/integrate.h"
#include "energy/sampler.h"
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

TEST(energy_window, CounterThatWentBackwardsIsNeverNegativeEnergy) {
  MeterWindowInput in;
  in.status = {"external", "external", "file: x", true, ""};
  in.has_counter = true;
  in.begin.energy = Reading::ok(100);
  in.end.energy = Reading::ok(50);
  auto e = compute_meter_energy(in, 0, 2, 0.05);
  EXPECT_FALSE(e.available);
  EXPECT_FALSE(e.counter_joules);
  EXPECT_FALSE(e.total_joules);
  EXPECT_FALSE(e.avg_watts);
  EXPECT_EQ(e.unavailable_reason,
            "counter went backwards: 100.000 J at the window's start, 50.000 J at its end (reset?)");
  // A counter restart the meter saw (RAPL without a known range) fails the window the same way,
  // even though its running total did not decrease.
  in.end.energy = Reading::ok(120, 1);
  e = compute_meter_energy(in, 0, 2, 0.05);
  EXPECT_FALSE(e.available);
  EXPECT_NE(e.unavailable_reason.find("counter went backwards during the window (reset?)"), std::string::npos);
}

TEST(energy_window, CounterThatWentBackwardsFallsBackToIntegratedPower) {
  MeterWindowInput in;
  in.status = {"nvml:0", "gpu", "GPU", true, ""};
  in.has_counter = true;
  in.power_source = PowerSource::kInstant;
  in.begin.energy = Reading::ok(5000);
  in.end.energy = Reading::ok(10);
  in.samples = {{0, 30}, {2, 30}};
  auto e = compute_meter_energy(in, 0, 2, 0.05);
  EXPECT_TRUE(e.available);
  EXPECT_FALSE(e.counter_joules);
  EXPECT_DOUBLE_EQ(*e.total_joules, 60);
  EXPECT_FALSE(e.disagreement);
  EXPECT_NE(e.unavailable_reason.find("counter went backwards"), std::string::npos);
  EXPECT_NE(e.unavailable_reason.find("total from integrated power"), std::string::npos);
}

// A meter scripted with power readings and counter values, for the sampler.
class ScriptedMeter final : public Meter {
 public:
  ScriptedMeter(PowerSource source, std::vector<Reading> readings) : source_(source), readings_(std::move(readings)) {
    status_ = {"scripted", "gpu", "scripted", true, ""};
  }
  const MeterStatus& status() const override { return status_; }
  bool has_counter() const override { return source_ == PowerSource::kFromCounter; }
  Reading energy_joules() override { return next(); }
  PowerSource power_source() const override { return source_; }
  Reading power_watts() override { return next(); }

 private:
  Reading next() { return i_ < readings_.size() ? readings_[i_++] : Reading::fail("script ended"); }
  PowerSource source_;
  std::vector<Reading> readings_;
  size_t i_ = 0;
  MeterStatus status_;
};

TEST(energy_sampler, ImpossiblePowerReadingsAreGapsNeverSamples) {
  ManualClock clock;
  ScriptedMeter meter(PowerSource::kInstant, {Reading::ok(-5), Reading::ok(std::nan("")), Reading::ok(INFINITY),
                                              Reading::ok(10), Reading::fail("NVML error")});
  Sampler sampler({&meter}, clock);
  for (int i = 0; i < 5; ++i) {
    sampler.sample_once();
    clock.advance(1);
  }
  const auto s = sampler.samples_around(0, 0, 10);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_DOUBLE_EQ(s[0].t, 3);
  EXPECT_DOUBLE_EQ(s[0].watts, 10);
}

TEST(energy_sampler, PowerFromACounterSkipsItsRestartsAndBackwardSteps) {
  ManualClock clock;
  // 10 J/s, a restart (the total carries on but the interval's energy is unknown), a backwards step,
  // then 20 J/s.
  ScriptedMeter meter(PowerSource::kFromCounter,
                      {Reading::ok(0), Reading::ok(10), Reading::ok(12, 1), Reading::ok(5, 1), Reading::ok(25, 1)});
  Sampler sampler({&meter}, clock);
  for (int i = 0; i < 5; ++i) {
    sampler.sample_once();
    clock.advance(1);
  }
  const auto s = sampler.samples_around(0, 0, 10);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_DOUBLE_EQ(s[0].watts, 10);
  EXPECT_DOUBLE_EQ(s[1].t, 3.5);
  EXPECT_DOUBLE_EQ(s[1].watts, 20);
}

// docs/energy.md "Estimates": joules = TDP x (user + sys) / cores.
TEST(energy_estimate, CpuTdpIsTdpTimesCpuSecondsOverCores) {
  const CpuTdpEstimate e = estimate_cpu_tdp(100, 4, 1.5, 0.5, 2.0);
  EXPECT_DOUBLE_EQ(e.cpu_seconds, 2.0);
  EXPECT_DOUBLE_EQ(e.utilization, 0.25);  // 2 CPU seconds over 2 s on 4 CPUs
  EXPECT_DOUBLE_EQ(e.joules, 50.0);       // 100 W x 0.25 x 2 s
  EXPECT_DOUBLE_EQ(e.tdp_watts, 100);
  EXPECT_EQ(e.cores, 4u);

  const CpuTdpEstimate none = estimate_cpu_tdp(65, 8, -1, 0, 0);  // no time, no window
  EXPECT_DOUBLE_EQ(none.joules, 0.0);
  EXPECT_DOUBLE_EQ(none.utilization, 0.0);
}

}  // namespace
}  // namespace jouleval::energy
