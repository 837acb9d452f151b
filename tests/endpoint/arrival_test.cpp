// Poisson arrivals (docs/endpoint.md "Load levels"): the schedule is reproducible for a seed and has
// the statistics of a Poisson process, requests are sent no earlier than they are due, and the cap on
// requests in flight holds, counted on the fake server's side.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include "endpoint/client.h"
#include "endpoint/evaluator.h"
#include "fake_server.h"
#include "util/error.h"

namespace jouleval::endpoint {
namespace {

using nlohmann::json;
using testing::completion;
using testing::FakeReply;
using testing::FakeServer;

std::vector<engine::GenerationRequest> requests(int n) {
  std::vector<engine::GenerationRequest> out;
  for (int i = 0; i < n; ++i) out.push_back({fmt::format("p{}", i), {}, 8});
  return out;
}

TEST(PoissonArrivals, TheScheduleIsReproducibleForASeed) {
  const auto a = poisson_arrivals(500, 4.0, 1234);
  EXPECT_EQ(a, poisson_arrivals(500, 4.0, 1234));
  EXPECT_NE(a, poisson_arrivals(500, 4.0, 1235));
  ASSERT_EQ(a.size(), 500U);
  EXPECT_EQ(a.front(), 0.0) << "the first request is due at once";
  for (size_t i = 1; i < a.size(); ++i) EXPECT_GE(a[i], a[i - 1]);
  EXPECT_TRUE(poisson_arrivals(0, 4.0, 1).empty());
}

// The gaps of a Poisson process of rate r are exponential: mean 1/r and standard deviation 1/r. Over
// n = 20000 gaps the sample mean has a standard error of (1/r) / sqrt(n) and the sample standard
// deviation one of about (1/r) * sqrt(2 / n) (the exponential's fourth central moment is 9 / r^4);
// each is checked within 5 standard errors, for several seeds and rates.
TEST(PoissonArrivals, GapsHaveTheMeanAndSpreadOfAPoissonProcess) {
  const int64_t n = 20000;
  for (const double rate : {0.5, 4.0, 250.0}) {
    for (const uint64_t seed : {1ULL, 1234ULL, 987654321ULL}) {
      const auto a = poisson_arrivals(n + 1, rate, seed);
      double sum = 0;
      for (size_t i = 1; i < a.size(); ++i) sum += a[i] - a[i - 1];
      const double mean = sum / static_cast<double>(n);
      double squares = 0;
      for (size_t i = 1; i < a.size(); ++i) squares += std::pow(a[i] - a[i - 1] - mean, 2);
      const double sd = std::sqrt(squares / static_cast<double>(n - 1));
      const double expected = 1.0 / rate;
      EXPECT_NEAR(mean, expected, 5 * expected / std::sqrt(static_cast<double>(n))) << rate << " " << seed;
      EXPECT_NEAR(sd, expected, 5 * expected * std::sqrt(2.0 / static_cast<double>(n))) << rate << " " << seed;
    }
  }
}

// At 20 requests per second, each request is sent no earlier than its arrival in the schedule of the
// seed, and the spans record those arrivals.
TEST(Evaluator, PoissonRequestsAreSentAtTheirArrivals) {
  FakeServer server([](const json&) { return FakeReply{200, completion(" x", 3, 1)}; });
  Client client(EndpointOptions{server.url(), "fake-model", kMaxConcurrency, 10});
  EndpointEvaluator evaluator(client, {});
  evaluator.set_arrival_rate(20.0, 77);
  const double before = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  const auto out = evaluator.generate(requests(15), {});
  ASSERT_EQ(out.size(), 15U);
  const auto schedule = poisson_arrivals(15, 20.0, 77);
  auto spans = evaluator.take_request_spans();
  ASSERT_EQ(spans.size(), 15U);
  std::sort(spans.begin(), spans.end(), [](const auto& x, const auto& y) { return x.arrival_s < y.arrival_s; });
  for (size_t i = 0; i < spans.size(); ++i) {
    EXPECT_NEAR(spans[i].arrival_s - spans[0].arrival_s, schedule[i], 1e-6) << i;
    EXPECT_GE(spans[i].start_s, spans[i].arrival_s - 1e-6) << "sent before it was due: " << i;
    EXPECT_GE(spans[i].end_s, spans[i].start_s);
    EXPECT_EQ(spans[i].output_tokens, 1);
  }
  // On the test's own clock reading: the last request went no earlier than its offset after the call.
  EXPECT_GE(spans.back().start_s - before, schedule.back() - 1e-6);
  EXPECT_GE(spans.front().arrival_s, before);
  EXPECT_TRUE(evaluator.take_request_spans().empty()) << "taken";
}

// --arrival-rate with --concurrency 3: requests arrive far faster than the server answers, and yet
// the server never has more than 3 in flight (it could serve 8 at once: cpp-httplib's thread pool).
TEST(Evaluator, PoissonArrivalsNeverExceedTheCap) {
  testing::InFlight in_flight(3);
  FakeServer server([&](const json& r) {
    in_flight.arrive();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    in_flight.leave();
    const std::string prompt = r.at("prompt");
    return FakeReply{200, completion("answer to " + prompt, 3, 2)};
  });
  Client client(EndpointOptions{server.url(), "fake-model", 3, 10});
  EndpointEvaluator evaluator(client, {});
  evaluator.set_arrival_rate(1000.0, 5);
  int64_t last_done = 0;
  const auto out = evaluator.generate(requests(16), [&](int64_t done, int64_t total) {
    EXPECT_EQ(total, 16);
    EXPECT_EQ(done, last_done + 1);
    last_done = done;
  });
  ASSERT_EQ(out.size(), 16U);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(out[static_cast<size_t>(i)].text, fmt::format("answer to p{}", i));
  EXPECT_EQ(last_done, 16);
  EXPECT_EQ(in_flight.most(), 3) << "requests in flight at once on the server";
  EXPECT_EQ(evaluator.counters().tokens_generated, 32);
}

// A failed request stops the arrivals: no request is sent after the error, and the error is thrown.
TEST(Evaluator, APoissonFailureStopsTheArrivals) {
  std::atomic<int> calls{0};
  FakeServer server([&](const json&) {
    if (++calls == 2) return FakeReply{500, R"({"error": "boom"})"};
    return FakeReply{200, completion(" x", 3, 1)};
  });
  Client client(EndpointOptions{server.url(), "fake-model", 1, 10});
  EndpointEvaluator evaluator(client, {});
  evaluator.set_arrival_rate(50.0, 9);
  EXPECT_THROW(evaluator.generate(requests(20), {}), util::Error);
  EXPECT_EQ(calls.load(), 2) << "requests sent after the failure";
}

// In a closed loop each generate() call is its own batch, and a span's arrival is when it was sent.
TEST(Evaluator, ClosedLoopSpansAreBatchedPerCall) {
  FakeServer server([](const json&) { return FakeReply{200, completion(" x", 3, 2)}; });
  Client client(EndpointOptions{server.url(), "fake-model", 2, 10});
  EndpointEvaluator evaluator(client, {});
  evaluator.generate(requests(3), {});
  evaluator.generate(requests(2), {});
  const auto spans = evaluator.take_request_spans();
  ASSERT_EQ(spans.size(), 5U);
  int first = 0, second = 0;
  for (const auto& s : spans) {
    (s.batch == 0 ? first : second) += 1;
    EXPECT_EQ(s.arrival_s, s.start_s);
    EXPECT_EQ(s.first_token_s, s.start_s) << "not streamed";
    EXPECT_EQ(s.output_tokens, 2);
  }
  EXPECT_EQ(first, 3);
  EXPECT_EQ(second, 2);
}

}  // namespace
}  // namespace jouleval::endpoint
