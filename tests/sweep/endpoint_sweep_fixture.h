// The fixture of the sweep runner's endpoint tests (endpoint_runner_test, endpoint_chat_test): a
// temporary directory with the results database, a sweep of the built-in samples through a fake
// server (tests/endpoint/fake_server.h) with no meters, idle baseline or warm-up, and its cells.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "../endpoint/fake_server.h"
#include "energy/monitor.h"
#include "store/store.h"
#include "sweep/runner.h"

namespace jouleval::sweep::endpoint_test {

class EndpointSweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("JOULEVAL_SHARE_DIR", JOULEVAL_SHARE_DIR_FOR_TESTS, 1);
    std::string pattern = (std::filesystem::temp_directory_path() / "jouleval-endpoint-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // `limit` samples of `task` through `server`, `concurrency` requests in flight, one repetition.
  SweepConfig endpoint_config(const endpoint::testing::FakeServer& server, tasks::TaskId task, int concurrency,
                              int limit) const {
    SweepConfig c;
    c.database = dir_ / "results.db";
    c.use_samples = true;
    c.endpoint = endpoint::EndpointOptions{server.url(), "fake-model", concurrency, 10};
    ModelSpec spec;
    spec.label = "fake-model";
    c.models = {spec};
    c.precisions.clear();
    c.kv_types.clear();
    c.placements.clear();
    c.tasks = {task};
    c.limit = limit;
    c.repetitions = 1;
    c.idle_seconds = 0;
    c.warmup_requests = 0;
    return c;
  }

  static SweepResult run(const SweepConfig& c) {
    energy::MonitorOptions mo;
    mo.use_nvml = false;
    mo.use_rapl = false;
    mo.sampler_thread = false;
    energy::Monitor monitor(mo);
    const PreparedSweep prepared = prepare_sweep(c);
    store::Store store(c.database);
    Observer quiet;
    return run_sweep(prepared, monitor, store, quiet);
  }

  static std::vector<results::Cell> cells_of(const std::filesystem::path& db) {
    store::Store s(db, {.create = false, .read_only = true});
    return s.cells({.with_items = true});
  }

  std::filesystem::path dir_;
};

}  // namespace jouleval::sweep::endpoint_test
