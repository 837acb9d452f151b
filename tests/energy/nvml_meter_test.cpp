#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>

#include "energy/json.h"
#include "energy/monitor.h"
#include "energy/nvml_meter.h"
#include "test_support.h"

namespace jouleval::energy {
namespace {

using testing::TempDir;

const results::MeterEnergy& meter_named(const WindowResult& r, const std::string& name) {
  for (const auto& m : r.meters) {
    if (m.meter == name) return m;
  }
  throw std::runtime_error("no meter " + name);
}

// Energy calls: construction probe, begin, end. Power calls: probe, then one per sample.
TEST(energy_nvml, CounterDeltaAndIntegratedPowerAgree) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, "name Fake H100\nenergy_mj 5000 10000 60000\npower_mw 25000\ntemp_c 30 41\n");
  auto clock = std::make_shared<ManualClock>();
  auto m = testing::fake_gpu_monitor(clock);
  auto window = m->open_window();
  testing::run_for(*m, *clock, 2.0, 8);
  WindowResult r = window.close();
  ASSERT_EQ(r.meters.size(), 1u);
  const auto& e = r.meters[0];
  EXPECT_TRUE(e.available) << e.unavailable_reason;
  EXPECT_EQ(e.meter, "nvml:0");
  EXPECT_EQ(e.device, "Fake H100");
  EXPECT_EQ(e.kind, "gpu");
  EXPECT_DOUBLE_EQ(r.seconds, 2.0);
  EXPECT_FALSE(r.short_window);
  EXPECT_DOUBLE_EQ(*e.counter_joules, 50.0);
  EXPECT_NEAR(*e.integrated_joules, 50.0, 1e-9);
  EXPECT_NEAR(*e.disagreement, 0.0, 1e-9);
  EXPECT_FALSE(e.disagreement_flag);
  EXPECT_DOUBLE_EQ(*e.total_joules, 50.0);
  EXPECT_DOUBLE_EQ(*e.avg_watts, 25.0);
  EXPECT_DOUBLE_EQ(*e.peak_watts, 25.0);
  EXPECT_FALSE(e.active_joules.has_value());  // no idle baseline measured
  EXPECT_DOUBLE_EQ(*e.temp_start_c, 30.0);
  EXPECT_DOUBLE_EQ(*e.temp_end_c, 41.0);
}

TEST(energy_nvml, DisagreementAboveThresholdIsFlagged) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, "energy_mj 0 0 50000\npower_mw 30000\n");
  auto clock = std::make_shared<ManualClock>();
  auto m = testing::fake_gpu_monitor(clock);
  auto window = m->open_window();
  testing::run_for(*m, *clock, 2.0, 4);
  const auto e = window.close().meters.at(0);
  EXPECT_DOUBLE_EQ(*e.counter_joules, 50.0);
  EXPECT_NEAR(*e.integrated_joules, 60.0, 1e-9);
  EXPECT_NEAR(*e.disagreement, 10.0 / 60.0, 1e-9);
  EXPECT_TRUE(e.disagreement_flag);
  EXPECT_DOUBLE_EQ(*e.total_joules, 50.0);  // the counter stays the primary source
}

// A counter that does not move while 30 W are drawn: a complete disagreement, flagged (it used to be
// left out: no disagreement at all), and a counter that moves by 1 mJ reads about 1, not 10^5.
TEST(energy_nvml, ACounterThatDoesNotMoveWhilePowerIsDrawnIsFlagged) {
  TempDir dir;
  for (const auto& [script, expected] : {std::pair{"energy_mj 0 7000 7000\npower_mw 30000\n", 1.0},
                                         std::pair{"energy_mj 0 7000 7001\npower_mw 30000\n", (60.0 - 0.001) / 60.0}}) {
    testing::set_fake_nvml_script(dir, script);
    auto clock = std::make_shared<ManualClock>();
    auto m = testing::fake_gpu_monitor(clock);
    auto window = m->open_window();
    testing::run_for(*m, *clock, 2.0, 4);
    const auto e = window.close().meters.at(0);
    ASSERT_TRUE(e.disagreement.has_value()) << script;
    EXPECT_NEAR(*e.disagreement, expected, 1e-9) << script;
    EXPECT_TRUE(e.disagreement_flag) << script;
  }
}

// `jouleval meter -I`: each interval's energy from the power samples, one taken at each reading.
TEST(energy_nvml, ReadIntervalIntegratesPowerSinceTheLastReading) {
  TempDir dir;
  // Power readings: probe 100 W, window start (t = 0) 100 W, t = 1: 100 W, t = 2: 300 W.
  testing::set_fake_nvml_script(dir, "energy_mj 0\npower_mw 100000 100000 100000 300000\n");
  auto clock = std::make_shared<ManualClock>(10.0);
  auto m = testing::fake_gpu_monitor(clock);
  auto window = m->open_window();
  EXPECT_DOUBLE_EQ(m->window_start(), 10.0);
  clock->advance(1);
  Monitor::Interval first = m->read_interval(10.0);
  EXPECT_DOUBLE_EQ(first.t_end, 11.0);
  ASSERT_EQ(first.meters.size(), 1u);
  EXPECT_EQ(first.meters[0].meter, "nvml:0");
  ASSERT_TRUE(first.meters[0].joules);
  EXPECT_DOUBLE_EQ(*first.meters[0].joules, 100.0);  // 100 W for 1 s
  clock->advance(1);
  Monitor::Interval second = m->read_interval(first.t_end);
  ASSERT_TRUE(second.meters.at(0).joules);
  EXPECT_DOUBLE_EQ(*second.meters[0].joules, 200.0);  // 100 W rising to 300 W over 1 s
  window.close();
}

TEST(energy_nvml, ShortWindowIsFlagged) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, "energy_mj 0 0 1000\npower_mw 2000\n");
  auto clock = std::make_shared<ManualClock>();
  auto m = testing::fake_gpu_monitor(clock);
  auto window = m->open_window();
  clock->advance(0.5);
  WindowResult r = window.close();
  EXPECT_TRUE(r.short_window);
  EXPECT_DOUBLE_EQ(r.seconds, 0.5);
}

TEST(energy_nvml, IdleBaselineIsSubtracted) {
  TempDir dir;
  // probe 0, idle begin 0, idle end 100 J (5 s -> 20 W), window begin 100 J, end 300 J (2 s).
  testing::set_fake_nvml_script(dir, "energy_mj 0 0 100000 100000 300000\npower_mw 20000 20000 20000 100000\n");
  auto clock = std::make_shared<ManualClock>();
  auto m = testing::fake_gpu_monitor(clock);
  WindowResult idle = m->measure_idle(5.0);
  EXPECT_DOUBLE_EQ(idle.seconds, 5.0);
  EXPECT_DOUBLE_EQ(m->idle_watts().at("nvml:0"), 20.0);
  EXPECT_DOUBLE_EQ(*idle.meters.at(0).idle_watts, 20.0);
  auto window = m->open_window();
  clock->advance(2.0);
  const auto e = window.close().meters.at(0);
  EXPECT_DOUBLE_EQ(*e.total_joules, 200.0);
  EXPECT_DOUBLE_EQ(*e.idle_watts, 20.0);
  EXPECT_DOUBLE_EQ(*e.active_joules, 160.0);
}

TEST(energy_nvml, TimelineHoldsSamplesRelativeToWindowStart) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, "energy_mj 0 0 3000\npower_mw 1000 1000 2000 3000 4000\n");
  auto clock = std::make_shared<ManualClock>(100.0);
  auto m = testing::fake_gpu_monitor(clock, /*timeline=*/true);
  auto window = m->open_window();  // sample 1000 mW at t=0
  clock->advance(0.5);
  m->sample_once();  // 2000 mW at 0.5
  clock->advance(0.5);
  m->sample_once();  // 3000 mW at 1.0
  clock->advance(0.5);
  WindowResult r = window.close();  // 4000 mW sampled at the end edge (1.5)
  ASSERT_EQ(r.timeline.size(), 4u);
  EXPECT_DOUBLE_EQ(r.timeline[0].t_seconds, 0.0);
  EXPECT_DOUBLE_EQ(r.timeline[1].t_seconds, 0.5);
  EXPECT_DOUBLE_EQ(r.timeline[1].watts, 2.0);
  EXPECT_EQ(r.timeline[3].meter, "nvml:0");
  EXPECT_NEAR(*r.meters[0].integrated_joules, 0.5 * (1.5 + 2.5 + 3.5), 1e-9);
  EXPECT_DOUBLE_EQ(*r.meters[0].peak_watts, 4.0);
}

TEST(energy_nvml, CounterResetFallsBackToIntegratedPower) {
  TempDir dir;
  // probe 0, begin 50 J, end 10 J: the driver was reloaded during the window. Power 25 W throughout.
  testing::set_fake_nvml_script(dir, "energy_mj 0 50000 10000\npower_mw 25000\n");
  auto clock = std::make_shared<ManualClock>();
  auto m = testing::fake_gpu_monitor(clock);
  auto window = m->open_window();
  testing::run_for(*m, *clock, 2.0, 4);
  const auto e = window.close().meters.at(0);
  EXPECT_TRUE(e.available);
  EXPECT_FALSE(e.counter_joules.has_value());
  EXPECT_NEAR(*e.total_joules, 50.0, 1e-9);
  EXPECT_NEAR(*e.avg_watts, 25.0, 1e-9);
  EXPECT_FALSE(e.disagreement.has_value());
  EXPECT_NE(e.unavailable_reason.find("counter went backwards: 50.000 J at the window's start, 10.000 J at its end"),
            std::string::npos)
      << e.unavailable_reason;
}

TEST(energy_nvml, LibraryPathThatIsAFifoIsRefusedNotWaitedFor) {
  TempDir dir;
  const auto fifo = dir.path() / "libnvidia-ml.so.1";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto meters = open_nvml_meters(fifo.string());
  ASSERT_EQ(meters.size(), 1u);
  EXPECT_FALSE(meters[0]->status().available);
  EXPECT_NE(meters[0]->status().reason.find("not a regular file"), std::string::npos) << meters[0]->status().reason;
}

TEST(energy_nvml, CounterFailureAtWindowEndFallsBackToIntegratedPowerWithNote) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, "energy_mj 0 0 E15\npower_mw 10000\n");
  auto clock = std::make_shared<ManualClock>();
  auto m = testing::fake_gpu_monitor(clock);
  auto window = m->open_window();
  testing::run_for(*m, *clock, 2.0, 2);
  const auto e = window.close().meters.at(0);
  EXPECT_TRUE(e.available);
  EXPECT_FALSE(e.counter_joules.has_value());
  EXPECT_NEAR(*e.total_joules, 20.0, 1e-9);
  EXPECT_NE(e.unavailable_reason.find("nvmlDeviceGetTotalEnergyConsumption: NVML_ERROR_GPU_IS_LOST (GPU is lost)"),
            std::string::npos)
      << e.unavailable_reason;
}

TEST(energy_nvml, MeterWithoutCounterOrPowerIsUnavailableNamingTheErrors) {
  TempDir dir;
  testing::set_fake_nvml_script(dir,
                                "fail nvmlDeviceGetTotalEnergyConsumption 4\nfail nvmlDeviceGetFieldValues 3\n"
                                "fail nvmlDeviceGetPowerUsage 3\n");
  auto m = testing::fake_gpu_monitor(std::make_shared<ManualClock>());
  const auto status = m->meters_status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_FALSE(status[0].available);
  EXPECT_EQ(status[0].name, "nvml:0");
  EXPECT_NE(status[0].reason.find("nvmlDeviceGetTotalEnergyConsumption: NVML_ERROR_NO_PERMISSION"), std::string::npos)
      << status[0].reason;
  EXPECT_NE(status[0].reason.find("nvmlDeviceGetPowerUsage: NVML_ERROR_NOT_SUPPORTED"), std::string::npos);
  // The window reports it as unavailable with the same reason, never as zero.
  auto window = m->open_window();
  const auto e = window.close().meters.at(0);
  EXPECT_FALSE(e.available);
  EXPECT_FALSE(e.total_joules.has_value());
  EXPECT_EQ(e.unavailable_reason, status[0].reason);
}

TEST(energy_nvml, InitErrorIsReportedByName) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, "init_error 9\n");
  auto m = testing::fake_gpu_monitor(std::make_shared<ManualClock>());
  const auto status = m->meters_status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].name, "nvml");
  EXPECT_FALSE(status[0].available);
  EXPECT_NE(status[0].reason.find("nvmlInit_v2: NVML_ERROR_DRIVER_NOT_LOADED (Driver Not Loaded)"), std::string::npos)
      << status[0].reason;
}

TEST(energy_nvml, MissingLibraryIsUnavailableNotZero) {
  MonitorOptions o;
  o.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  o.use_rapl = false;
  o.sampler_thread = false;
  o.clock = std::make_shared<ManualClock>();
  Monitor m(o);
  const auto status = m.meters_status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_FALSE(status[0].available);
  EXPECT_NE(status[0].reason.find("cannot load NVML library /nonexistent/libnvidia-ml.so.1"), std::string::npos);
  auto window = m.open_window();
  const auto e = window.close().meters.at(0);
  EXPECT_FALSE(e.available);
  EXPECT_FALSE(e.total_joules.has_value());
}

TEST(energy_nvml, LibraryPathFromEnvironment) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, "energy_mj 0\npower_mw 1000\n");
  setenv("JOULEVAL_NVML_LIBRARY", JOULEVAL_FAKE_NVML_PATH, 1);
  MonitorOptions o;
  o.use_rapl = false;
  o.sampler_thread = false;
  o.sample_interval_ms = 100;
  o.clock = std::make_shared<ManualClock>();
  Monitor m(o);
  unsetenv("JOULEVAL_NVML_LIBRARY");
  ASSERT_EQ(m.meters_status().size(), 1u);
  EXPECT_TRUE(m.meters_status()[0].available) << m.meters_status()[0].reason;
}

TEST(energy_nvml, InstantFieldUnsupportedFallsBackToPowerUsage) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, "energy_mj 0 0 20000\nfield_error 3\nusage_mw 10000\n");
  auto clock = std::make_shared<ManualClock>();
  auto m = testing::fake_gpu_monitor(clock);
  auto window = m->open_window();
  testing::run_for(*m, *clock, 2.0, 4);
  const auto e = window.close().meters.at(0);
  EXPECT_NEAR(*e.integrated_joules, 20.0, 1e-9);
  const auto gpu = m->fingerprint().json["gpus"][0];
  EXPECT_NE(gpu["power_source"].get<std::string>().find("nvmlDeviceGetPowerUsage"), std::string::npos);
  EXPECT_NE(gpu["probe_notes"][0].get<std::string>().find("NVML_ERROR_NOT_SUPPORTED"), std::string::npos);
}

TEST(energy_nvml, PowerLimitsAndDeviceFactsAreRead) {
  TempDir dir;
  testing::set_fake_nvml_script(dir,
                                "driver 580.65.06\ncuda 12080\nname NVIDIA H100 80GB HBM3\nuuid GPU-1234\narch 9\n"
                                "energy_mj 0\npower_mw 70000\ntemp_c 35\nlimit_mw 650000\nmin_limit_mw 200000\n"
                                "max_limit_mw 700000\nenforced_limit_mw 640000\npersistence 1\nsm_clock 1755\n"
                                "mem_clock 2619\nfail nvmlDeviceGetPowerManagementDefaultLimit 3\n");
  auto m = testing::fake_gpu_monitor(std::make_shared<ManualClock>());
  const Fingerprint f = m->fingerprint();
  const auto& gpu = f.json["gpus"][0];
  EXPECT_EQ(gpu["name"], "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(gpu["uuid"], "GPU-1234");
  EXPECT_EQ(gpu["architecture"], "Hopper");
  EXPECT_DOUBLE_EQ(gpu["power_limit_w"].get<double>(), 650.0);
  EXPECT_DOUBLE_EQ(gpu["power_limit_min_w"].get<double>(), 200.0);
  EXPECT_DOUBLE_EQ(gpu["power_limit_max_w"].get<double>(), 700.0);
  EXPECT_DOUBLE_EQ(gpu["power_limit_enforced_w"].get<double>(), 640.0);
  EXPECT_TRUE(gpu["power_limit_default_w"].is_null());
  EXPECT_NE(gpu["errors"]["power_limit_default_w"].get<std::string>().find(
                "nvmlDeviceGetPowerManagementDefaultLimit: NVML_ERROR_NOT_SUPPORTED"),
            std::string::npos);
  EXPECT_EQ(gpu["persistence_mode"], true);
  EXPECT_EQ(gpu["sm_clock_mhz"], 1755);
  EXPECT_EQ(gpu["mem_clock_mhz"], 2619);
  EXPECT_EQ(gpu["temperature_c"], 35);
  EXPECT_EQ(f.json["nvml"]["driver_version"], "580.65.06");
  EXPECT_EQ(f.json["nvml"]["cuda_driver_version"], "12.8");
  EXPECT_EQ(f.machine_id.size(), 16u);
  EXPECT_EQ(f.machine().gpu_name, "NVIDIA H100 80GB HBM3");
}

TEST(energy_nvml, EachGpuIsItsOwnMeter) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, "devices 2\ngpu0.energy_mj 0 0 10000\ngpu1.energy_mj 0 0 30000\npower_mw 1000\n");
  auto clock = std::make_shared<ManualClock>();
  auto m = testing::fake_gpu_monitor(clock);
  auto window = m->open_window();
  clock->advance(2.0);
  WindowResult r = window.close();
  ASSERT_EQ(r.meters.size(), 2u);
  EXPECT_DOUBLE_EQ(*meter_named(r, "nvml:0").counter_joules, 10.0);
  EXPECT_DOUBLE_EQ(*meter_named(r, "nvml:1").counter_joules, 30.0);
}

TEST(energy_nvml, SamplerThreadSamplesInRealTime) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, "energy_mj 0\npower_mw 42000\n");
  MonitorOptions o;
  o.nvml_library = JOULEVAL_FAKE_NVML_PATH;
  o.use_rapl = false;
  o.sample_interval_ms = 10;
  Monitor m(o);
  for (int i = 0; i < 200 && !m.live_watts(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(m.live_watts().has_value());
  EXPECT_DOUBLE_EQ(*m.live_watts(), 42.0);
}

TEST(energy_nvml, WindowMisuseThrows) {
  auto m = testing::fake_gpu_monitor(std::make_shared<ManualClock>());
  auto window = m->open_window();
  EXPECT_THROW((void)m->open_window(), std::exception);  // one window at a time
  window.close();
  EXPECT_THROW(window.close(), std::exception);  // closed once
}

// A window left by an exception (the measured work failed) is cancelled, and the next one opens:
// one failed cell must not fail every later cell of a sweep with "window is open".
TEST(energy_nvml, AWindowLeftByAnExceptionIsCancelled) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, "energy_mj 0\npower_mw 1000\n");
  auto m = testing::fake_gpu_monitor(std::make_shared<ManualClock>());
  EXPECT_THROW(
      {
        auto window = m->open_window();
        throw std::runtime_error("evaluation failed");
      },
      std::runtime_error);
  EXPECT_FALSE(m->window_open());
  auto next = m->open_window();
  EXPECT_FALSE(next.close().meters.empty());
}

TEST(energy_nvml, SyncCallbackRunsAtBothEdges) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, "energy_mj 0\npower_mw 1000\n");
  auto m = testing::fake_gpu_monitor(std::make_shared<ManualClock>());
  int calls = 0;
  auto window = m->open_window([&] { ++calls; });
  window.close([&] { ++calls; });
  EXPECT_EQ(calls, 2);
}

TEST(energy_nvml, JsonOfUnavailableMeterHasNullsNotZeros) {
  results::MeterEnergy e;
  e.meter = "rapl";
  e.unavailable_reason = "no RAPL";
  const auto j = to_json(e);
  EXPECT_TRUE(j["total_joules"].is_null());
  EXPECT_EQ(j["unavailable_reason"], "no RAPL");
}

}  // namespace
}  // namespace jouleval::energy
