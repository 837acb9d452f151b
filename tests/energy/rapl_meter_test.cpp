#include "energy/rapl_meter.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <functional>

#include "energy/monitor.h"
#include "test_support.h"

namespace jouleval::energy {
namespace {

using testing::TempDir;
using testing::write_file;

void domain(const TempDir& d, const std::string& dir, const std::string& name, unsigned long long uj,
            unsigned long long max = 262143328850ULL) {
  write_file(d.path() / dir / "name", name + "\n");
  write_file(d.path() / dir / "energy_uj", std::to_string(uj) + "\n");
  write_file(d.path() / dir / "max_energy_range_uj", std::to_string(max) + "\n");
}

void set_energy(const TempDir& d, const std::string& dir, unsigned long long uj) {
  write_file(d.path() / dir / "energy_uj", std::to_string(uj) + "\n");
}

// A server-like flat powercap tree: two packages with core/uncore sub-domains, DRAM as a sub-domain,
// psys on top, and package-0 seen again through intel-rapl-mmio.
void server_tree(const TempDir& d) {
  domain(d, "intel-rapl:0", "package-0", 1000000);
  domain(d, "intel-rapl:0:0", "core", 500000);
  domain(d, "intel-rapl:0:1", "uncore", 100000);
  domain(d, "intel-rapl:0:2", "dram", 300000);
  domain(d, "intel-rapl:1", "package-1", 2000000);
  domain(d, "intel-rapl:1:0", "dram", 400000);
  domain(d, "intel-rapl:2", "psys", 9000000);
  domain(d, "intel-rapl-mmio:0", "package-0", 7000000);
}

Reading read(std::vector<std::unique_ptr<Meter>>& meters, const std::string& name) {
  for (auto& m : meters) {
    if (m->status().name == name) return m->energy_joules();
  }
  return Reading::fail("no meter " + name);
}

TEST(energy_rapl, SumsPackagesAndDramNeverSubDomainsOrPsys) {
  TempDir d;
  server_tree(d);
  auto meters = open_rapl_meters(d.path());
  ASSERT_EQ(meters.size(), 2u);
  EXPECT_EQ(meters[0]->status().name, "rapl:package");
  EXPECT_EQ(meters[0]->status().kind, "cpu");
  EXPECT_EQ(meters[0]->status().device, "package-0 + package-1");
  EXPECT_EQ(meters[1]->status().name, "rapl:dram");
  EXPECT_EQ(meters[1]->status().device, "dram + dram");
  // Every domain gains energy; only packages (+10 J, +20 J) and DRAM (+3 J, +4 J) count.
  set_energy(d, "intel-rapl:0", 11000000);
  set_energy(d, "intel-rapl:0:0", 9000000);
  set_energy(d, "intel-rapl:0:1", 5000000);
  set_energy(d, "intel-rapl:0:2", 3300000);
  set_energy(d, "intel-rapl:1", 22000000);
  set_energy(d, "intel-rapl:1:0", 4400000);
  set_energy(d, "intel-rapl:2", 99000000);
  set_energy(d, "intel-rapl-mmio:0", 17000000);
  EXPECT_DOUBLE_EQ(*read(meters, "rapl:package").value, 30.0);
  EXPECT_DOUBLE_EQ(*read(meters, "rapl:dram").value, 7.0);
}

TEST(energy_rapl, CounterWrapAroundIsUnwrapped) {
  TempDir d;
  domain(d, "intel-rapl:0", "package-0", 999000, 1000000);
  auto meters = open_rapl_meters(d.path());
  set_energy(d, "intel-rapl:0", 1000);  // wrapped: 1000 uJ to the top, then 1000 uJ
  EXPECT_NEAR(*read(meters, "rapl:package").value, 0.002, 1e-12);
  set_energy(d, "intel-rapl:0", 501000);
  EXPECT_NEAR(*read(meters, "rapl:package").value, 0.502, 1e-12);
  // No DRAM domain on this machine: unavailable with the reason, not zero.
  EXPECT_FALSE(meters[1]->status().available);
  EXPECT_NE(meters[1]->status().reason.find("no RAPL DRAM domain"), std::string::npos);
}

TEST(energy_rapl, RestartWithoutKnownRangeFailsThatWindowOnlyNeverNegative) {
  TempDir d;
  domain(d, "intel-rapl:0", "package-0", 10000000);
  std::filesystem::remove(d.path() / "intel-rapl:0" / "max_energy_range_uj");  // range unknown
  auto clock = std::make_shared<ManualClock>();
  MonitorOptions o;
  o.use_nvml = false;
  o.rapl_root = d.path().string();
  o.sampler_thread = false;
  o.sample_interval_ms = 100;
  o.clock = clock;
  Monitor m(o);
  auto window = m.open_window();
  clock->advance(1.0);
  set_energy(d, "intel-rapl:0", 1000000);  // went backwards: 10 J -> 1 J, no wrap can explain it
  const auto e = window.close().meters.at(0);
  EXPECT_FALSE(e.available);
  EXPECT_FALSE(e.total_joules.has_value());
  EXPECT_NE(e.unavailable_reason.find("counter went backwards"), std::string::npos) << e.unavailable_reason;
  // The counter carries on from its new value: the next window measures.
  auto next = m.open_window();
  clock->advance(1.0);
  set_energy(d, "intel-rapl:0", 5000000);
  const auto f = next.close().meters.at(0);
  EXPECT_TRUE(f.available) << f.unavailable_reason;
  EXPECT_DOUBLE_EQ(*f.total_joules, 4.0);
}

// A --rapl-root tree whose package-0 energy_uj is replaced by `make` (which creates it).
std::string reason_with_counter(const std::function<void(const std::filesystem::path&)>& make) {
  TempDir d;
  domain(d, "intel-rapl:0", "package-0", 1);
  const auto counter = d.path() / "intel-rapl:0" / "energy_uj";
  std::filesystem::remove(counter);
  make(counter);
  auto meters = open_rapl_meters(d.path());
  EXPECT_FALSE(meters[0]->status().available);
  return meters[0]->status().reason;
}

TEST(energy_rapl, CounterFilesThatAreNotPlainCountersAreRefused) {
  // A FIFO would block a plain read forever, a device would never end.
  const std::string fifo =
      reason_with_counter([](const std::filesystem::path& p) { ASSERT_EQ(mkfifo(p.c_str(), 0600), 0); });
  EXPECT_NE(fifo.find("energy_uj: not a regular file"), std::string::npos) << fifo;
  const std::string zero =
      reason_with_counter([](const std::filesystem::path& p) { std::filesystem::create_symlink("/dev/zero", p); });
  EXPECT_NE(zero.find("energy_uj: not a regular file"), std::string::npos) << zero;
  const std::string negative = reason_with_counter([](const std::filesystem::path& p) { write_file(p, "-5\n"); });
  EXPECT_NE(negative.find("not a counter value: '-5'"), std::string::npos) << negative;
}

TEST(energy_rapl, UnreadableCounterIsUnavailableWithReason) {
  TempDir d;
  domain(d, "intel-rapl:0", "package-0", 1);
  std::filesystem::remove(d.path() / "intel-rapl:0" / "energy_uj");
  auto meters = open_rapl_meters(d.path());
  EXPECT_FALSE(meters[0]->status().available);
  EXPECT_NE(meters[0]->status().reason.find("cannot read"), std::string::npos) << meters[0]->status().reason;
  EXPECT_NE(meters[0]->status().reason.find("energy_uj"), std::string::npos);
}

TEST(energy_rapl, NoDomainsIsUnavailable) {
  TempDir d;
  auto meters = open_rapl_meters(d.path() / "missing");
  ASSERT_EQ(meters.size(), 1u);
  EXPECT_EQ(meters[0]->status().name, "rapl");
  EXPECT_FALSE(meters[0]->status().available);
  EXPECT_NE(meters[0]->status().reason.find("no RAPL domains"), std::string::npos);
}

TEST(energy_rapl, WindowThroughMonitorUsesCounterDeltaAndDerivedPeak) {
  TempDir d;
  domain(d, "intel-rapl:0", "package-0", 0);
  domain(d, "intel-rapl:0:2", "dram", 0);
  auto clock = std::make_shared<ManualClock>();
  MonitorOptions o;
  o.use_nvml = false;
  o.rapl_root = d.path().string();
  o.sampler_thread = false;
  o.sample_interval_ms = 100;
  o.clock = clock;
  Monitor m(o);
  auto window = m.open_window();
  clock->advance(1.0);
  set_energy(d, "intel-rapl:0", 50000000);  // 50 J in the first second
  m.sample_once();
  clock->advance(1.0);
  set_energy(d, "intel-rapl:0", 60000000);  // 10 J in the second
  set_energy(d, "intel-rapl:0:2", 4000000);
  WindowResult r = window.close();
  ASSERT_EQ(r.meters.size(), 2u);
  const auto& pkg = r.meters[0];
  EXPECT_TRUE(pkg.available);
  EXPECT_DOUBLE_EQ(*pkg.total_joules, 60.0);
  EXPECT_FALSE(pkg.integrated_joules.has_value());  // derived from the counter: no cross-check
  EXPECT_DOUBLE_EQ(*pkg.avg_watts, 30.0);
  EXPECT_DOUBLE_EQ(*pkg.peak_watts, 50.0);
  EXPECT_DOUBLE_EQ(*r.meters[1].total_joules, 4.0);
}

}  // namespace
}  // namespace jouleval::energy
