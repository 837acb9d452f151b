#include <gtest/gtest.h>

#include <chrono>

#include "energy/child_process.h"
#include "energy/external_meter.h"
#include "energy/fingerprint.h"
#include "energy/monitor.h"
#include "test_support.h"
#include "util/error.h"

namespace jouleval::energy {
namespace {

using testing::TempDir;
using testing::write_file;

TEST(energy_external, FileHoldsCumulativeJoules) {
  TempDir d;
  const auto file = d.path() / "wall.txt";
  write_file(file, "1000.5 J\n");
  auto clock = std::make_shared<ManualClock>();
  MonitorOptions o;
  o.use_nvml = false;
  o.use_rapl = false;
  o.external_file = file.string();
  o.sampler_thread = false;
  o.sample_interval_ms = 100;
  o.clock = clock;
  Monitor m(o);
  auto window = m.open_window();
  clock->advance(2);
  write_file(file, "1250.5\n");
  WindowResult r = window.close();
  ASSERT_EQ(r.meters.size(), 1u);
  EXPECT_EQ(r.meters[0].kind, "external");
  EXPECT_DOUBLE_EQ(*r.meters[0].total_joules, 250.0);
  EXPECT_DOUBLE_EQ(*r.meters[0].avg_watts, 125.0);
}

// A Monitor with only the external meter, on a manual clock.
std::unique_ptr<Monitor> external_monitor(const std::string& file, const std::string& command,
                                          std::shared_ptr<ManualClock> clock, double timeout_seconds = 10) {
  MonitorOptions o;
  o.use_nvml = false;
  o.use_rapl = false;
  o.external_file = file;
  o.external_command = command;
  o.external_timeout_seconds = timeout_seconds;
  o.sampler_thread = false;
  o.sample_interval_ms = 100;
  o.clock = clock;
  return std::make_unique<Monitor>(o);
}

TEST(energy_external, DecreasingCounterIsUnavailableNeverNegative) {
  TempDir d;
  const auto file = d.path() / "wall.txt";
  write_file(file, "100\n");
  auto clock = std::make_shared<ManualClock>();
  auto m = external_monitor(file.string(), "", clock);
  auto window = m->open_window();
  clock->advance(2);
  write_file(file, "50\n");  // the meter was reset
  const auto e = window.close().meters.at(0);
  EXPECT_FALSE(e.available);
  EXPECT_FALSE(e.total_joules);
  EXPECT_FALSE(e.counter_joules);
  EXPECT_FALSE(e.avg_watts);
  EXPECT_NE(e.unavailable_reason.find("counter went backwards"), std::string::npos) << e.unavailable_reason;
  EXPECT_NE(e.unavailable_reason.find("(reset?)"), std::string::npos) << e.unavailable_reason;
  // The next window measures again from the new value.
  auto next = m->open_window();
  clock->advance(1);
  write_file(file, "80\n");
  const auto f = next.close().meters.at(0);
  EXPECT_TRUE(f.available) << f.unavailable_reason;
  EXPECT_DOUBLE_EQ(*f.total_joules, 30.0);
}

TEST(energy_external, SlowCommandMakesTheMeterUnavailableInsteadOfHanging) {
  auto clock = std::make_shared<ManualClock>();
  const auto start = std::chrono::steady_clock::now();
  auto m = external_monitor("", "sleep 30; echo 5", clock, 0.5);
  EXPECT_LT(testing::seconds_since(start), 5.0);
  const auto status = m->meters_status().at(0);
  EXPECT_FALSE(status.available);
  EXPECT_NE(status.reason.find("did not finish within 0.5 s"), std::string::npos) << status.reason;
}

TEST(energy_external, FailedReadingAtAnEdgeMakesOnlyThatWindowUnavailable) {
  TempDir d;
  const auto file = d.path() / "wall.txt";
  write_file(file, "10\n");
  auto clock = std::make_shared<ManualClock>();
  auto m = external_monitor(file.string(), "", clock);
  auto window = m->open_window();
  clock->advance(1);
  write_file(file, "no reading\n");
  const auto e = window.close().meters.at(0);
  EXPECT_FALSE(e.available);
  EXPECT_NE(e.unavailable_reason.find("no number in output 'no reading?'"), std::string::npos) << e.unavailable_reason;
  write_file(file, "25\n");
  auto next = m->open_window();
  clock->advance(1);
  write_file(file, "40\n");
  const auto f = next.close().meters.at(0);
  EXPECT_TRUE(f.available) << f.unavailable_reason;
  EXPECT_DOUBLE_EQ(*f.total_joules, 15.0);
}

TEST(energy_external, OversizedOrEndlessFileIsRefused) {
  const auto start = std::chrono::steady_clock::now();
  try {
    ExternalMeter zero(ExternalMeter::Source::kFile, "/dev/zero");
    FAIL() << "expected util::Error";
  } catch (const util::Error& e) {
    EXPECT_EQ(e.kind(), util::ErrorKind::kUnavailable);
    EXPECT_NE(std::string(e.what()).find("/dev/zero: holds more than 65536 bytes"), std::string::npos) << e.what();
  }
  EXPECT_LT(testing::seconds_since(start), 2.0);
}

TEST(energy_external, CommandOutputAndFailures) {
  ExternalMeter ok(ExternalMeter::Source::kCommand, "echo 42.5");
  EXPECT_DOUBLE_EQ(*ok.energy_joules().value, 42.5);
  EXPECT_THROW(ExternalMeter(ExternalMeter::Source::kCommand, "exit 3"), std::exception);
  EXPECT_THROW(ExternalMeter(ExternalMeter::Source::kFile, "/nonexistent/joules"), std::exception);
  double j = 0;
  EXPECT_NE(parse_joules("no number here", j), "");
  EXPECT_EQ(parse_joules("energy: 12.5e3 J", j), "");
  EXPECT_DOUBLE_EQ(j, 12500);
}

TEST(energy_fingerprint, HostFactsFromFilesAndStableMachineId) {
  TempDir d;
  write_file(d.path() / "proc/cpuinfo",
             "processor\t: 0\nmodel name\t: AMD EPYC 9654 96-Core Processor\n\nprocessor\t: 1\nmodel name\t: AMD EPYC "
             "9654 96-Core Processor\n");
  write_file(d.path() / "proc/meminfo", "MemTotal:       16384 kB\nMemFree: 1 kB\n");
  write_file(d.path() / "etc/os-release", "NAME=Debian\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
  HostInfo h = read_host_info(d.path());
  EXPECT_EQ(h.cpu_model, "AMD EPYC 9654 96-Core Processor");
  EXPECT_EQ(h.cpu_cores, 2);
  EXPECT_EQ(h.memory_bytes, 16384ULL * 1024);
  EXPECT_EQ(h.os, "Debian GNU/Linux 12 (bookworm)");
  EXPECT_FALSE(h.kernel.empty());
  EXPECT_FALSE(h.hostname.empty());
  const auto a = machine_id("host", "cpu", {"GPU-b", "GPU-a"});
  EXPECT_EQ(a, machine_id("host", "cpu", {"GPU-a", "GPU-b"}));
  EXPECT_NE(a, machine_id("host", "cpu", {"GPU-a"}));
  EXPECT_EQ(a.size(), 16u);
}

TEST(energy_fingerprint, MonitorFingerprintHasVersionsAndMeters) {
  MonitorOptions o;
  o.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  o.rapl_root = "/nonexistent";
  o.sampler_thread = false;
  o.clock = std::make_shared<ManualClock>();
  Monitor m(o);
  Fingerprint f = m.fingerprint();
  EXPECT_FALSE(f.json["jouleval_version"].get<std::string>().empty());
  EXPECT_TRUE(f.json.contains("llama_cpp_revision"));
  EXPECT_TRUE(f.json["gpus"].empty());
  EXPECT_EQ(f.json["meters"].size(), 2u);
  EXPECT_EQ(f.json["machine_id"], f.machine_id);
  EXPECT_EQ(f.machine().id, f.machine_id);
  EXPECT_FALSE(f.machine().cpu_model.empty());
}

TEST(energy_childprocess, ExitCodesSignalsAndMissingCommands) {
  EXPECT_EQ(ChildProcess({"true"}).wait(), 0);
  EXPECT_EQ(ChildProcess({"false"}).wait(), 1);
  EXPECT_EQ(ChildProcess({"sh", "-c", "exit 7"}).wait(), 7);
  EXPECT_EQ(ChildProcess({"sh", "-c", "kill -9 $$"}).wait(), 128 + 9);
  try {
    ChildProcess missing({"jouleval-no-such-command"});
    FAIL() << "expected ExecError";
  } catch (const ExecError& e) {
    EXPECT_EQ(e.exit_code(), 127);
    EXPECT_NE(std::string(e.what()).find("jouleval-no-such-command"), std::string::npos);
  }
}

}  // namespace
}  // namespace jouleval::energy
