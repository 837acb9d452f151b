// The sweep runner with an endpoint (docs/endpoint.md) against the fake OpenAI-compatible server of
// tests/endpoint: what an endpoint cell is (its identity and its token counts from `usage`), that a
// broken response stores nothing but the failure, and that a server unable to score loglikelihood
// tasks is refused before anything is created.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "../endpoint/fake_server.h"
#include "endpoint_sweep_fixture.h"
#include "energy/monitor.h"
#include "results/identity.h"
#include "store/store.h"
#include "sweep/runner.h"
#include "util/error.h"

namespace jouleval::sweep {
namespace {

namespace fs = std::filesystem;
using endpoint::testing::completion;
using endpoint::testing::FakeReply;
using endpoint::testing::FakeServer;
using nlohmann::json;

class EndpointRunner : public endpoint_test::EndpointSweepTest {
 protected:
  // GSM8K samples through `server`, one repetition, no idle baseline or warm-up, no meters.
  SweepConfig config(const FakeServer& server, tasks::TaskId task = tasks::TaskId::kGsm8k) const {
    return endpoint_config(server, task, 3, 4);
  }
};

TEST_F(EndpointRunner, AGenerationCellIsStoredWithTheServersIdentityAndUsage) {
  std::atomic<int64_t> prompt_tokens{0}, requests{0};
  FakeServer server([&](const json& r) {
    if (r.value("stream", false)) return FakeReply{400, R"({"error": "streaming is not supported"})"};
    const auto n = static_cast<int64_t>(r.at("prompt").get<std::string>().size() / 4);  // the server's count
    prompt_tokens += n;
    ++requests;
    return FakeReply{200, completion(" 6 * 7 = 42. The answer is 42.", n, 12)};
  });
  const SweepConfig c = config(server);
  const SweepResult result = run(c);
  EXPECT_EQ(result.cells_done, 1);
  const auto cells = cells_of(c.database);
  ASSERT_EQ(cells.size(), 1U);
  const results::Cell& cell = cells[0];
  EXPECT_EQ(cell.status, results::CellStatus::kDone);
  EXPECT_EQ(cell.key.model, "fake-model");
  EXPECT_EQ(cell.key.precision, "served");
  EXPECT_EQ(cell.key.kv_type, "server");
  EXPECT_EQ(cell.key.placement, "endpoint:127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(cell.key.engine.max_sequences, 3) << "the concurrency";
  EXPECT_EQ(cell.model_path, server.url());
  const json used = json::parse(cell.engine_used_json);
  EXPECT_EQ(used.at("server"), "llama.cpp");  // owned_by "llamacpp"
  EXPECT_EQ(used.at("chat_template"), "none (raw prompts)");
  EXPECT_EQ(cell.items.size(), 4U);
  ASSERT_EQ(cell.repetitions.size(), 1U);
  EXPECT_EQ(requests.load(), 4);
  EXPECT_EQ(cell.repetitions[0].prompt_tokens, prompt_tokens.load());
  EXPECT_EQ(cell.repetitions[0].generated_tokens, 4 * 12);
  // Not streamed (the server refused the probe): end-to-end latency only, said in the cell.
  EXPECT_EQ(used.at("streaming").get<std::string>().rfind("no (", 0), 0U) << used.dump();
  const json latency = json::parse(cell.repetitions[0].latency_json);
  EXPECT_EQ(latency.at("requests"), 4);
  EXPECT_EQ(latency.at("streamed"), false);
  EXPECT_TRUE(latency.at("ttft_p50_ms").is_null());
  EXPECT_GT(latency.at("e2e_p50_ms").get<double>(), 0);
  EXPECT_TRUE(latency.at("goodput_requests_per_s").is_null());
}

// A streaming server: each request's first text after 60 ms, two more chunks 30 ms apart. The
// repetition stores TTFT, ITL and end-to-end percentiles within bounds of these sleeps, the
// throughput of its window and the goodput under --slo-ttft.
TEST_F(EndpointRunner, AStreamedGenerationCellStoresItsLatencyUnderLoad) {
  std::atomic<int> streamed{0};
  FakeServer server([&](const json& r) {
    EXPECT_TRUE(r.value("stream", false));
    EXPECT_TRUE(r.at("stream_options").at("include_usage").get<bool>());
    ++streamed;
    FakeReply reply;
    if (r.at("max_tokens") == 1) {  // the probe
      reply.stream = {{0, endpoint::testing::chunk(" Paris", "length")}, {0, endpoint::testing::usage_and_done(5, 1)}};
      return reply;
    }
    reply.stream = {{60, endpoint::testing::chunk(" The answer")},
                    {30, endpoint::testing::chunk(" is")},
                    {30, endpoint::testing::chunk(" 42.", "stop")},
                    {0, endpoint::testing::usage_and_done(10, 4)}};
    return reply;
  });
  SweepConfig c = config(server);
  c.slo = endpoint::Slo{1000, std::nullopt};  // every request meets it
  ASSERT_EQ(run(c).cells_done, 1);
  EXPECT_EQ(streamed.load(), 1 + 4);  // the probe and the 4 requests
  const auto cells = cells_of(c.database);
  ASSERT_EQ(cells.size(), 1U);
  EXPECT_EQ(json::parse(cells[0].engine_used_json).at("streaming"), "yes");
  ASSERT_EQ(cells[0].repetitions.size(), 1U);
  const results::Repetition& rep = cells[0].repetitions[0];
  EXPECT_EQ(rep.generated_tokens, 4 * 4);
  const json l = json::parse(rep.latency_json);
  EXPECT_EQ(l.at("requests"), 4);
  EXPECT_EQ(l.at("streamed"), true);
  for (const char* k : {"ttft_p50_ms", "ttft_p99_ms"}) {
    EXPECT_GE(l.at(k).get<double>(), 60) << k;
    EXPECT_LT(l.at(k).get<double>(), 60 + 80) << k;
  }
  for (const char* k : {"itl_p50_ms", "itl_p99_ms"}) {
    EXPECT_GE(l.at(k).get<double>(), 30 - 5) << k;
    EXPECT_LT(l.at(k).get<double>(), 30 + 80) << k;
  }
  EXPECT_GE(l.at("e2e_p50_ms").get<double>(), 120);
  // 4 requests and 16 tokens in the window, whose length is stored with the repetition.
  EXPECT_NEAR(l.at("requests_per_s").get<double>(), 4 / rep.seconds, 1e-9);
  EXPECT_NEAR(l.at("output_tokens_per_s").get<double>(), 16 / rep.seconds, 1e-9);
  EXPECT_NEAR(l.at("goodput_requests_per_s").get<double>(), 4 / rep.seconds, 1e-9);
  EXPECT_EQ(l.at("slo_ttft_ms"), 1000);
  EXPECT_TRUE(l.at("slo_itl_ms").is_null());
}

// --concurrency 3,1: one cell per level, each with its level in its identity, sent with it.
TEST_F(EndpointRunner, EachConcurrencyLevelIsACell) {
  endpoint::testing::InFlight in_flight(3);
  FakeServer server([&](const json& r) {
    if (r.value("stream", false)) return FakeReply{400, R"({"error": "streaming is not supported"})"};
    in_flight.arrive();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    in_flight.leave();
    return FakeReply{200, completion(" The answer is 42.", 10, 5)};
  });
  SweepConfig c = config(server);
  c.concurrency_levels = {3, 1};
  c.limit = 6;
  EXPECT_EQ(run(c).cells_done, 2);
  const auto cells = cells_of(c.database);
  ASSERT_EQ(cells.size(), 2U);
  EXPECT_EQ(cells[0].key.engine.max_sequences, 3);
  EXPECT_EQ(cells[1].key.engine.max_sequences, 1);
  EXPECT_EQ(json::parse(cells[0].engine_used_json).at("concurrency"), 3);
  EXPECT_EQ(json::parse(cells[1].engine_used_json).at("concurrency"), 1);
  EXPECT_EQ(in_flight.most(), 3);
}

// --arrival-rate 200,400 --concurrency 2: one cell per rate, the rate in its identity and sent with
// it (at most 2 in flight on the server), its latency record with the offered and achieved rates and
// a steady window (no meter here: seconds and tokens, no energy).
TEST_F(EndpointRunner, EachArrivalRateIsACell) {
  endpoint::testing::InFlight in_flight(2);
  FakeServer server([&](const json& r) {
    if (r.value("stream", false)) return FakeReply{400, R"({"error": "streaming is not supported"})"};
    in_flight.arrive();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    in_flight.leave();
    return FakeReply{200, completion(" The answer is 42.", 10, 5)};
  });
  SweepConfig c = config(server);
  c.endpoint->concurrency = 2;
  c.arrival_rates = {200, 400};
  c.limit = 10;
  EXPECT_EQ(run(c).cells_done, 2);
  const auto cells = cells_of(c.database);
  ASSERT_EQ(cells.size(), 2U);
  EXPECT_EQ(cells[0].key.engine.arrival_rate, 200);
  EXPECT_EQ(cells[1].key.engine.arrival_rate, 400);
  EXPECT_EQ(cells[0].key.engine.max_sequences, 2);
  EXPECT_EQ(cells[1].key.engine.max_sequences, 2);
  EXPECT_NE(results::describe(cells[1].key).find("/arrival_rate=400"), std::string::npos)
      << results::describe(cells[1].key);
  EXPECT_EQ(json::parse(cells[1].engine_used_json).at("arrival_rate"), 400);
  EXPECT_LE(in_flight.most(), 2);
  for (const auto& cell : cells) {
    ASSERT_EQ(cell.repetitions.size(), 1U);
    const json l = json::parse(cell.repetitions[0].latency_json);
    EXPECT_EQ(l.at("offered_requests_per_s"), cell.key.engine.arrival_rate);
    EXPECT_GT(l.at("achieved_requests_per_s").get<double>(), 0);
    const json& steady = l.at("steady");
    EXPECT_NE(steady.at("basis").get<std::string>().find("Poisson"), std::string::npos);
    EXPECT_GT(steady.at("seconds").get<double>(), 0);
    EXPECT_LE(steady.at("seconds").get<double>(), cell.repetitions[0].seconds);
    EXPECT_GT(steady.at("output_tokens").get<double>(), 0);
    EXPECT_LE(steady.at("output_tokens").get<double>(), 10 * 5);
    EXPECT_TRUE(steady.at("joules").is_null()) << "no meter: no energy invented";
  }
}

// A closed loop's latency record: no offered rate, a steady window while all 3 are in flight.
TEST_F(EndpointRunner, AClosedLoopRecordsItsSteadyWindow) {
  FakeServer server([&](const json& r) {
    if (r.value("stream", false)) return FakeReply{400, R"({"error": "streaming is not supported"})"};
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return FakeReply{200, completion(" The answer is 42.", 10, 5)};
  });
  SweepConfig c = config(server);
  c.limit = 8;
  EXPECT_EQ(run(c).cells_done, 1);
  const auto cells = cells_of(c.database);
  ASSERT_EQ(cells.size(), 1U);
  EXPECT_EQ(cells[0].key.engine.arrival_rate, 0);
  const json l = json::parse(cells[0].repetitions.at(0).latency_json);
  EXPECT_TRUE(l.at("offered_requests_per_s").is_null());
  EXPECT_EQ(l.at("steady").at("basis"), "closed loop: while all 3 requests are in flight");
  EXPECT_GT(l.at("steady").at("seconds").get<double>(), 0);
  EXPECT_EQ(l.at("steady").at("note"), "");
}

TEST_F(EndpointRunner, ABrokenResponseStoresNothingButTheFailure) {
  std::atomic<int> calls{0};
  FakeServer server([&](const json&) {
    const std::string whole = completion(" The answer is 42.", 10, 5);
    if (++calls == 3) return FakeReply{200, whole.substr(0, 25)};  // truncated
    return FakeReply{200, whole};
  });
  const SweepConfig c = config(server);
  try {
    run(c);
    FAIL() << "no error";
  } catch (const util::Error& e) {
    EXPECT_EQ(e.kind(), util::ErrorKind::kBadInput) << e.what();
    EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos) << e.what();
  }
  const auto cells = cells_of(c.database);
  ASSERT_EQ(cells.size(), 1U);
  EXPECT_EQ(cells[0].status, results::CellStatus::kFailed);
  EXPECT_NE(cells[0].skip_reason.find("generation request"), std::string::npos) << cells[0].skip_reason;
  EXPECT_TRUE(cells[0].repetitions.empty());
  EXPECT_TRUE(cells[0].items.empty());
}

TEST_F(EndpointRunner, AServerThatCannotScoreLoglikelihoodIsRefusedBeforeAnythingIsCreated) {
  FakeServer server([](const json&) { return FakeReply{200, completion(" x", 5, 1)}; });  // ignores echo
  const SweepConfig c = config(server, tasks::TaskId::kHellaswag);
  try {
    run(c);
    FAIL() << "no error";
  } catch (const util::Error& e) {
    EXPECT_EQ(e.kind(), util::ErrorKind::kUnavailable) << e.what();
    EXPECT_NE(std::string(e.what()).find("endpoint " + server.url() +
                                         " cannot score loglikelihood tasks (hellaswag): its /v1/completions does "
                                         "not return prompt logprobs with echo"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(c.database));
}

}  // namespace
}  // namespace jouleval::sweep
