// Which GPUs are metered (docs/energy.md "Which GPUs are metered"): CUDA_VISIBLE_DEVICES by index
// and by UUID, PCI bus ids, unused GPUs listed but never summed, a per-GPU idle baseline, and the
// fingerprint's list of every GPU; against the fake NVML with several devices.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <optional>
#include <string>

#include "energy/gpu_selection.h"
#include "energy/monitor.h"
#include "test_support.h"
#include "util/error.h"

namespace jouleval::energy {
namespace {

using testing::TempDir;

// Sets (or unsets, with nullptr) an environment variable for the scope, then restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value == nullptr)
      unsetenv(name);
    else
      setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_.c_str(), old_->c_str(), 1);
    else
      unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// Tests that point the fake NVML at a script of their own: the variable is restored afterwards, so
// that tests running `jouleval` later do not inherit a script that no longer exists.
class energy_gpu_selection_monitor : public ::testing::Test {
 private:
  ScopedEnv script_{"JOULEVAL_FAKE_NVML_SCRIPT", nullptr};
};

const results::MeterEnergy& meter_named(const WindowResult& r, const std::string& name) {
  for (const auto& m : r.meters) {
    if (m.meter == name) return m;
  }
  throw std::runtime_error("no meter " + name);
}

// The sum a report makes of the GPU meters of a window (available meters with a reading).
double gpu_sum(const WindowResult& r) {
  double sum = 0;
  for (const auto& m : r.meters) {
    if (m.available && m.kind == "gpu" && m.total_joules) sum += *m.total_joules;
  }
  return sum;
}

// Four GPUs, NVML index i on PCI bus 0x10 + i unless moved; each spends (i + 1) * 10 J in a window.
constexpr const char* kFourGpus =
    "devices 4\n"
    "gpu0.energy_mj 0 0 10000\n"
    "gpu1.energy_mj 0 0 20000\n"
    "gpu2.energy_mj 0 0 30000\n"
    "gpu3.energy_mj 0 0 40000\n"
    "power_mw 1000\n";

TEST(energy_gpu_selection, CanonicalPciBusIdFromNvmlAndCudaForms) {
  EXPECT_EQ(canonical_pci_bus_id("00000000:19:00.0"), "0000:19:00.0");
  EXPECT_EQ(canonical_pci_bus_id("0000:C1:00.0"), "0000:c1:00.0");
  EXPECT_EQ(canonical_pci_bus_id("0000:c1:1f.7"), "0000:c1:1f.7");
  for (const char* bad : {"", "19:00.0", "0000:19:00", "zz:19:00.0", "0000:19:00.0x", "0000:123:00.0",
                          "000100000:19:00.0", "0000:19:00.0-v1"}) {
    EXPECT_FALSE(canonical_pci_bus_id(bad).has_value()) << bad;
  }
}

std::vector<NvmlGpu> three_gpus() {
  // NVML order differs from PCI order: CUDA numbers by PCI bus id (nvml:2 first).
  return {{0, "GPU-aaaa-0000", "0000:20:00.0", "H200"},
          {1, "GPU-aabb-1111", "0000:30:00.0", "H200"},
          {2, "GPU-cccc-2222", "0000:10:00.0", "H200"}};
}

TEST(energy_gpu_selection, UnsetMeansEveryGpuInPciOrder) {
  const VisibleGpus v = visible_gpus(three_gpus(), nullptr, nullptr);
  EXPECT_EQ(v.gpus, (std::vector<size_t>{2, 0, 1}));
  EXPECT_EQ(v.source, "CUDA_VISIBLE_DEVICES unset");
  EXPECT_TRUE(v.notes.empty());
}

TEST(energy_gpu_selection, IndicesAndUuidsInTheirOrder) {
  EXPECT_EQ(visible_gpus(three_gpus(), "1", nullptr).gpus, (std::vector<size_t>{0}));
  EXPECT_EQ(visible_gpus(three_gpus(), "2, 0", nullptr).gpus, (std::vector<size_t>{1, 2}));
  EXPECT_EQ(visible_gpus(three_gpus(), "GPU-cccc-2222,GPU-aabb", nullptr).gpus, (std::vector<size_t>{2, 1}));
  EXPECT_EQ(visible_gpus(three_gpus(), "gpu-CCCC", nullptr).gpus, (std::vector<size_t>{2}));
}

TEST(energy_gpu_selection, TheFirstEntryNamingNoGpuEndsTheList) {
  struct Case {
    const char* value;
    std::vector<size_t> gpus;
    const char* why;
  };
  for (const Case& c : {Case{"0,7,1", {2}, "no GPU 7 among the 3"}, Case{"", {}, nullptr},
                        Case{"-1", {}, "neither a GPU index nor a GPU UUID"}, Case{"1,1", {0}, "already listed"},
                        Case{"GPU-aa", {}, "matches several GPUs"}, Case{"GPU-ffff", {}, "no GPU has this UUID"},
                        Case{"MIG-1234,0", {}, "MIG instance"}, Case{"0,x,1", {2}, "neither"}}) {
    const VisibleGpus v = visible_gpus(three_gpus(), c.value, nullptr);
    EXPECT_EQ(v.gpus, c.gpus) << c.value;
    EXPECT_EQ(v.source, std::string("CUDA_VISIBLE_DEVICES='") + c.value + "'");
    if (c.why == nullptr) {
      EXPECT_TRUE(v.notes.empty()) << c.value;
    } else {
      ASSERT_EQ(v.notes.size(), 1u) << c.value;
      EXPECT_NE(v.notes[0].find(c.why), std::string::npos) << v.notes[0];
    }
  }
}

TEST(energy_gpu_selection, DifferentGpusWithoutPciOrderAreNoted) {
  auto gpus = three_gpus();
  gpus[1].name = "A100";
  EXPECT_NE(visible_gpus(gpus, nullptr, nullptr).notes.at(0).find("CUDA_DEVICE_ORDER=PCI_BUS_ID"), std::string::npos);
  EXPECT_TRUE(visible_gpus(gpus, nullptr, "PCI_BUS_ID").notes.empty());
}

// The CodeCarbon bug: a job given one GPU of the node must not be charged for the others.
TEST_F(energy_gpu_selection_monitor, OnlyTheVisibleGpusAreMeteredByDefault) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, kFourGpus);
  ScopedEnv cvd("CUDA_VISIBLE_DEVICES", "2");
  auto clock = std::make_shared<ManualClock>();
  auto m = testing::fake_gpu_monitor(clock);
  auto window = m->open_window();
  testing::run_for(*m, *clock, 2.0, 4);
  const WindowResult r = window.close();
  ASSERT_EQ(r.meters.size(), 4u);  // every GPU is listed
  EXPECT_TRUE(meter_named(r, "nvml:2").available);
  EXPECT_DOUBLE_EQ(*meter_named(r, "nvml:2").total_joules, 30.0);
  for (const char* name : {"nvml:0", "nvml:1", "nvml:3"}) {
    const auto& u = meter_named(r, name);
    EXPECT_TRUE(results::meter_unused(u)) << name << ": " << u.unavailable_reason;
    EXPECT_EQ(u.kind, "gpu");
    EXPECT_FALSE(u.total_joules.has_value());
  }
  EXPECT_DOUBLE_EQ(gpu_sum(r), 30.0);
}

TEST_F(energy_gpu_selection_monitor, UnsetMetersEveryGpu) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, kFourGpus);
  ScopedEnv cvd("CUDA_VISIBLE_DEVICES", nullptr);
  auto clock = std::make_shared<ManualClock>();
  auto m = testing::fake_gpu_monitor(clock);
  auto window = m->open_window();
  testing::run_for(*m, *clock, 2.0, 4);
  EXPECT_DOUBLE_EQ(gpu_sum(window.close()), 100.0);
}

TEST_F(energy_gpu_selection_monitor, PlacementGpusByVisibleIndexThroughUuids) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, kFourGpus);
  // Visible GPU 0 is nvml:3, visible GPU 1 is nvml:1 (the fake's UUIDs are GPU-fake-N).
  ScopedEnv cvd("CUDA_VISIBLE_DEVICES", "GPU-fake-3,GPU-fake-1");
  auto clock = std::make_shared<ManualClock>();
  auto m = testing::fake_gpu_monitor(clock);
  GpuUse use;
  use.label = "placement gpus:0,1";
  use.all_visible = false;
  use.gpus = {{0, "", "CUDA0"}, {1, "", "CUDA1"}};
  const std::string said = m->select_gpus(use);
  EXPECT_NE(said.find("GPU 0 CUDA0 = nvml:3 (Fake GPU, GPU-fake-3, 0000:13:00.0), GPU 1 CUDA1 = nvml:1 (Fake GPU, "
                      "GPU-fake-1, 0000:11:00.0)"),
            std::string::npos)
      << said;
  EXPECT_NE(said.find("unused, not counted: nvml:0, nvml:2"), std::string::npos) << said;
  auto window = m->open_window();
  testing::run_for(*m, *clock, 2.0, 4);
  const WindowResult r = window.close();
  EXPECT_DOUBLE_EQ(*meter_named(r, "nvml:3").total_joules, 40.0);
  EXPECT_DOUBLE_EQ(*meter_named(r, "nvml:1").total_joules, 20.0);
  EXPECT_TRUE(results::meter_unused(meter_named(r, "nvml:0")));
  EXPECT_NE(meter_named(r, "nvml:2").unavailable_reason.find("placement gpus:0,1"), std::string::npos);
  EXPECT_DOUBLE_EQ(gpu_sum(r), 60.0);
}

TEST_F(energy_gpu_selection_monitor, PciBusIdOfTheEngineWinsOverIndices) {
  TempDir dir;
  // nvml:0 sits on the highest bus: by PCI order it is the last GPU.
  testing::set_fake_nvml_script(dir, std::string(kFourGpus) + "gpu0.pci 0000:C1:00.0\n");
  ScopedEnv cvd("CUDA_VISIBLE_DEVICES", nullptr);
  auto clock = std::make_shared<ManualClock>();
  auto m = testing::fake_gpu_monitor(clock);
  GpuUse use;
  use.label = "placement gpus:3";
  use.all_visible = false;
  use.gpus = {{3, "0000:c1:00.0", "CUDA3"}};
  m->select_gpus(use);
  auto window = m->open_window();
  testing::run_for(*m, *clock, 2.0, 4);
  const WindowResult r = window.close();
  EXPECT_DOUBLE_EQ(*meter_named(r, "nvml:0").total_joules, 10.0);
  EXPECT_DOUBLE_EQ(gpu_sum(r), 10.0);
}

// The power samples of a window line up with its meters (WindowResult::samples), also when GPUs
// before the metered one are unused: the phases of generation read samples[i] for meters[i]. Seen on a
// 4-GPU host: a sweep on nvml:1 under CUDA_VISIBLE_DEVICES=1 got "no power samples" for every phase,
// because the unused nvml:0 had no entry and nvml:1's samples sat at index 0.
TEST_F(energy_gpu_selection_monitor, SamplesLineUpWithMetersWhenEarlierGpusAreUnused) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, kFourGpus);
  ScopedEnv cvd("CUDA_VISIBLE_DEVICES", "2");
  auto clock = std::make_shared<ManualClock>();
  auto m = testing::fake_gpu_monitor(clock);
  auto window = m->open_window();
  testing::run_for(*m, *clock, 2.0, 4);
  const WindowResult r = window.close();
  ASSERT_EQ(r.samples.size(), r.meters.size());
  for (size_t i = 0; i < r.meters.size(); ++i) {
    if (r.meters[i].meter == "nvml:2") {
      EXPECT_TRUE(r.meters[i].available);
      EXPECT_GE(r.samples[i].size(), 4u) << "the metered GPU's samples are not at its index";
    } else if (r.meters[i].kind == "gpu") {
      EXPECT_TRUE(results::meter_unused(r.meters[i])) << r.meters[i].meter;
      EXPECT_TRUE(r.samples[i].empty()) << r.meters[i].meter;
    }
  }
}

TEST_F(energy_gpu_selection_monitor, AGpuNvmlDoesNotReportIsAnUnavailableMeter) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, kFourGpus);
  ScopedEnv cvd("CUDA_VISIBLE_DEVICES", "0,1");
  auto clock = std::make_shared<ManualClock>();
  auto m = testing::fake_gpu_monitor(clock);
  GpuUse use;
  use.label = "placement gpus:1,2";
  use.all_visible = false;
  use.gpus = {{1, "", "CUDA1"}, {2, "", "CUDA2"}};
  const std::string said = m->select_gpus(use);
  auto window = m->open_window();
  testing::run_for(*m, *clock, 2.0, 4);
  const WindowResult r = window.close();
  const auto& missing = meter_named(r, "gpu:2");
  EXPECT_FALSE(missing.available);
  EXPECT_FALSE(results::meter_unused(missing));
  EXPECT_NE(missing.unavailable_reason.find("not among the 2 GPU(s) visible to CUDA (CUDA_VISIBLE_DEVICES='0,1')"),
            std::string::npos)
      << missing.unavailable_reason;
  EXPECT_NE(said.find(missing.unavailable_reason), std::string::npos);
  EXPECT_DOUBLE_EQ(gpu_sum(r), 20.0);
}

// A GPU the process may not open (a Slurm cgroup) is not visible to CUDA either: indices skip it.
TEST_F(energy_gpu_selection_monitor, GpusNvmlCannotOpenAreNotCounted) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, std::string(kFourGpus) + "gpu0.fail nvmlDeviceGetHandleByIndex_v2 4\n");
  ScopedEnv cvd("CUDA_VISIBLE_DEVICES", "0");
  auto clock = std::make_shared<ManualClock>();
  auto m = testing::fake_gpu_monitor(clock);
  auto window = m->open_window();
  testing::run_for(*m, *clock, 2.0, 4);
  const WindowResult r = window.close();
  EXPECT_DOUBLE_EQ(*meter_named(r, "nvml:1").total_joules, 20.0);
  EXPECT_DOUBLE_EQ(gpu_sum(r), 20.0);
}

TEST_F(energy_gpu_selection_monitor, EachGpuHasItsOwnIdleBaseline) {
  TempDir dir;
  // Probe, idle begin, idle end (1 s), window begin, window end (2 s).
  testing::set_fake_nvml_script(dir,
                                "devices 3\n"
                                "gpu0.energy_mj 0 0 2000 2000 12000\n"
                                "gpu1.energy_mj 0 0 5000 5000 25000\n"
                                "gpu2.energy_mj 0 0 9000 9000 99000\n"
                                "power_mw 1000\n");
  ScopedEnv cvd("CUDA_VISIBLE_DEVICES", "0,1");
  auto clock = std::make_shared<ManualClock>();
  auto m = testing::fake_gpu_monitor(clock);
  m->measure_idle(1.0);
  EXPECT_DOUBLE_EQ(m->idle_watts().at("nvml:0"), 2.0);
  EXPECT_DOUBLE_EQ(m->idle_watts().at("nvml:1"), 5.0);
  EXPECT_EQ(m->idle_watts().count("nvml:2"), 0u);  // unused: no baseline
  auto window = m->open_window();
  testing::run_for(*m, *clock, 2.0, 4);
  const WindowResult r = window.close();
  EXPECT_DOUBLE_EQ(*meter_named(r, "nvml:0").active_joules, 10.0 - 2.0 * 2.0);
  EXPECT_DOUBLE_EQ(*meter_named(r, "nvml:1").active_joules, 20.0 - 5.0 * 2.0);
  EXPECT_TRUE(results::meter_unused(meter_named(r, "nvml:2")));
}

TEST_F(energy_gpu_selection_monitor, FingerprintListsEveryGpuAndWhichAreUsed) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, std::string(kFourGpus) + "gpu1.memory_bytes 1000\n");
  ScopedEnv cvd("CUDA_VISIBLE_DEVICES", "3,1");
  ScopedEnv slurm("SLURM_JOB_GPUS", "3,1");
  auto clock = std::make_shared<ManualClock>();
  auto m = testing::fake_gpu_monitor(clock);
  const auto f = m->fingerprint().json;
  ASSERT_EQ(f["gpus"].size(), 4u);
  EXPECT_EQ(f["gpus"][1]["uuid"], "GPU-fake-1");
  EXPECT_EQ(f["gpus"][1]["pci_bus_id"], "0000:11:00.0");
  EXPECT_EQ(f["gpus"][1]["memory_total_bytes"], 1000);
  EXPECT_EQ(f["gpus"][1]["visible_index"], 1);
  EXPECT_EQ(f["gpus"][3]["visible_index"], 0);
  EXPECT_TRUE(f["gpus"][0]["visible_index"].is_null());
  EXPECT_EQ(f["gpus"][0]["used"], false);
  EXPECT_EQ(f["gpus"][1]["used"], true);
  EXPECT_EQ(f["gpus"][3]["used"], true);
  EXPECT_EQ(f["gpu_visibility"]["cuda_visible_devices"], "3,1");
  EXPECT_EQ(f["gpu_visibility"]["slurm_job_gpus"], "3,1");
}

TEST_F(energy_gpu_selection_monitor, SelectingWhileAWindowIsOpenThrows) {
  TempDir dir;
  testing::set_fake_nvml_script(dir, kFourGpus);
  auto clock = std::make_shared<ManualClock>();
  auto m = testing::fake_gpu_monitor(clock);
  auto window = m->open_window();
  EXPECT_THROW(m->select_gpus(GpuUse{}), util::Error);
}

}  // namespace
}  // namespace jouleval::energy
