// Measurement locks: which a placement takes, and that processes on disjoint GPUs measure side by side
// while the host and a shared GPU are still taken in turn (docs/sweep.md "Several processes, one
// database").
#include "sweep/measure_locks.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <optional>
#include <string>
#include <vector>

namespace jouleval::sweep {
namespace {

namespace fs = std::filesystem;
using engine::Placement;
using util::LockMode;

// "what:mode" of each request, in order.
std::vector<std::string> described(const std::vector<LockRequest>& locks) {
  std::vector<std::string> out;
  for (const auto& l : locks) out.push_back(l.what + (l.mode == LockMode::kShared ? ":shared" : ":exclusive"));
  return out;
}

const std::vector<std::string> kTwoGpus = {"0000:19:00.0", "0000:07:00.0"};  // CUDA order, not bus order

TEST(MeasurementLocks, OneGpuTakesItsGpuAndSharesTheHost) {
  EXPECT_EQ(described(measurement_locks(Placement::parse("gpus:0"), kTwoGpus, false)),
            (std::vector<std::string>{"the host:shared", "GPU 0000:19:00.0:exclusive"}));
  EXPECT_EQ(described(measurement_locks(Placement::parse("gpus:1"), kTwoGpus, false)),
            (std::vector<std::string>{"the host:shared", "GPU 0000:07:00.0:exclusive"}));
}

TEST(MeasurementLocks, EveryVisibleGpuInBusOrder) {
  const std::vector<std::string> both = {"the host:shared", "GPU 0000:07:00.0:exclusive", "GPU 0000:19:00.0:exclusive"};
  EXPECT_EQ(described(measurement_locks(Placement::parse("gpu"), kTwoGpus, false)), both);
  EXPECT_EQ(described(measurement_locks(Placement::parse("gpus:0,1"), kTwoGpus, false)), both);
  EXPECT_EQ(described(measurement_locks(Placement::parse("gpus:1,0:tensor"), kTwoGpus, false)), both);
}

TEST(MeasurementLocks, TheHostIsExclusiveForCpuWorkAHostMeterOrUnnamedGpus) {
  EXPECT_EQ(described(measurement_locks(Placement::parse("cpu"), kTwoGpus, false)),
            (std::vector<std::string>{"the host:exclusive"}));
  EXPECT_EQ(
      described(measurement_locks(Placement::parse("partial:10"), kTwoGpus, false)),
      (std::vector<std::string>{"the host:exclusive", "GPU 0000:07:00.0:exclusive", "GPU 0000:19:00.0:exclusive"}));
  EXPECT_EQ(described(measurement_locks(Placement::parse("gpus:0"), kTwoGpus, true)),
            (std::vector<std::string>{"the host:exclusive", "GPU 0000:19:00.0:exclusive"}));
  // No NVML (no bus ids): the GPUs cannot be named, so the work keeps the whole machine.
  EXPECT_EQ(described(measurement_locks(Placement::parse("gpu"), {}, false)),
            (std::vector<std::string>{"the host:exclusive"}));
  EXPECT_EQ(described(measurement_locks(Placement::parse("gpus:0,2"), kTwoGpus, false)),
            (std::vector<std::string>{"the host:exclusive", "GPU 0000:19:00.0:exclusive"}));
}

// The locks live in a directory of the test ($JOULEVAL_MEASURE_LOCK).
class MeasurementLocksFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("jouleval-locks-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    const char* old = std::getenv("JOULEVAL_MEASURE_LOCK");
    if (old != nullptr) old_ = old;
    ::setenv("JOULEVAL_MEASURE_LOCK", (dir_ / "measure.lock").c_str(), 1);
  }
  void TearDown() override {
    if (old_)
      ::setenv("JOULEVAL_MEASURE_LOCK", old_->c_str(), 1);
    else
      ::unsetenv("JOULEVAL_MEASURE_LOCK");
    fs::remove_all(dir_);
  }
  static std::vector<LockRequest> of(const std::string& placement) {
    return measurement_locks(Placement::parse(placement), kTwoGpus, false);
  }
  fs::path dir_;
  std::optional<std::string> old_;
};

TEST_F(MeasurementLocksFiles, DisjointGpusMeasureSideBySideAndASharedGpuWaits) {
  std::atomic<int> waits{0};
  auto count = [&](const LockRequest&) { ++waits; };
  auto on_gpu0 = std::make_unique<MeasurementLocks>(of("gpus:0"), count);
  {
    MeasurementLocks on_gpu1(of("gpus:1"), count);  // another GPU: no wait
    EXPECT_EQ(waits.load(), 0);
  }
  std::string waited_for;
  std::promise<void> waiting;
  auto later = std::async(std::launch::async, [&] {
    MeasurementLocks again(of("gpus:0"), [&](const LockRequest& r) {
      waited_for = r.what;
      waiting.set_value();
    });
  });
  waiting.get_future().wait();  // it waits for GPU 0's lock...
  EXPECT_EQ(waited_for, "GPU 0000:19:00.0");
  EXPECT_EQ(later.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  on_gpu0.reset();  // ... until the first holder lets it go
  EXPECT_EQ(later.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  later.get();
}

TEST_F(MeasurementLocksFiles, CpuWorkWaitsForGpuWorkAndGpuWorkForCpuWork) {
  auto gpu_work = std::make_unique<MeasurementLocks>(of("gpus:1"), nullptr);
  std::promise<void> waiting;
  auto cpu_work = std::async(std::launch::async, [&] {
    MeasurementLocks cpu(of("cpu"), [&](const LockRequest& r) {
      EXPECT_EQ(r.what, "the host");
      waiting.set_value();
    });
  });
  waiting.get_future().wait();
  gpu_work.reset();
  EXPECT_EQ(cpu_work.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  cpu_work.get();

  // And the other way round: work on the CPU holds the host, GPU work waits for it.
  auto cpu_holder = std::make_unique<MeasurementLocks>(of("cpu"), nullptr);
  bool waited = false;
  auto gpu_later = std::async(std::launch::async,
                              [&] { MeasurementLocks g(of("gpus:0"), [&](const LockRequest&) { waited = true; }); });
  EXPECT_EQ(gpu_later.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  cpu_holder.reset();
  EXPECT_EQ(gpu_later.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  gpu_later.get();
  EXPECT_TRUE(waited);
}

}  // namespace
}  // namespace jouleval::sweep
