// An engine::Evaluator whose work is done by a served model behind an OpenAI-compatible API
// (docs/endpoint.md): generation through /v1/completions (greedy, raw prompts, no chat template) or,
// with the chat API, /v1/chat/completions (one user turn, the server's chat template);
// loglikelihood through /v1/completions with echo and prompt logprobs (never with the chat API:
// loglikelihood() then throws kUsage). Up to EndpointOptions::concurrency requests are in flight at
// once: a closed loop that keeps that many in flight, or Poisson arrivals (set_arrival_rate) capped
// at that many. Token counters come from the responses' `usage`.
//
// Errors: the first failed request stops the batch (no new request is sent, those in flight are
// awaited) and its util::Error is thrown: kUnavailable when the server cannot be reached, times out
// or answers with an HTTP error, kBadInput for a malformed response (endpoint/response.h). Nothing
// of a failed batch is returned. Not thread-safe (one caller at a time).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "endpoint/client.h"
#include "endpoint/response.h"
#include "engine/evaluator.h"

namespace jouleval::endpoint {

// The arrival times of `n` requests of a Poisson process of `rate` requests per second (> 0), in
// seconds from the first: 0, then the sums of n - 1 exponentially distributed gaps of mean 1 / rate
// drawn from std::mt19937_64 seeded with `seed` (the same schedule for the same seed).
std::vector<double> poisson_arrivals(int64_t n, double rate, uint64_t seed);

// One generation request as the clock saw it: std::chrono::steady_clock seconds since its epoch,
// the clock of energy::SteadyClock and of the measurement windows.
struct RequestSpan {
  int64_t batch = 0;         // which generate() call sent it (counted by the evaluator from 0)
  double arrival_s = 0;      // when it was due: its Poisson arrival; in a closed loop, when it was sent
  double start_s = 0;        // when it was sent
  double first_token_s = 0;  // when its first text arrived (streamed), else start_s
  double end_s = 0;          // when its answer had been read
  int64_t output_tokens = 0;
};

class EndpointEvaluator : public engine::Evaluator {
 public:
  // `loglikelihood`: from Client::probe_loglikelihood; loglikelihood() throws kUnavailable when it
  // is not supported. `task` names the requests in messages ("gsm8k").
  EndpointEvaluator(const Client& client, LoglikelihoodSupport loglikelihood);

  void set_task(std::string task) { task_ = std::move(task); }
  // Requests in flight at once from now on, 1..kMaxConcurrency (initially the client's).
  void set_concurrency(int concurrency) { concurrency_ = concurrency; }
  // Generation requests from now on arrive as a Poisson process of `rate` requests per second
  // (poisson_arrivals with `seed`, the same schedule for every generate() call), at most
  // concurrency() in flight (a request due while that many are in flight waits for one to end, and
  // is sent then); 0: a closed loop of concurrency() requests in flight (initially). Loglikelihood
  // requests always run as a closed loop.
  void set_arrival_rate(double rate, uint64_t seed) {
    arrival_rate_ = rate;
    seed_ = seed;
  }
  // Generation requests streamed from now on (Client::probe_streaming said the server can); each
  // then records its time to first token and inter-token gaps. Initially off.
  void set_streaming(bool streaming) { streaming_ = streaming; }
  // The times of the generation requests answered since the last take (in no particular order),
  // and clears them.
  std::vector<RequestTiming> take_request_timings();
  // The spans of the generation requests answered since the last take (in no particular order), and
  // clears them.
  std::vector<RequestSpan> take_request_spans();

  std::vector<engine::LoglikelihoodResult> loglikelihood(const std::vector<engine::LoglikelihoodRequest>& requests,
                                                         const engine::ProgressFn& progress) override;
  std::vector<engine::GenerationResult> generate(const std::vector<engine::GenerationRequest>& requests,
                                                 const engine::ProgressFn& progress) override;
  // Every request has been answered when generate/loglikelihood return: nothing to wait for.
  void synchronize() override {}
  engine::WorkCounters counters() const override;
  void reset_counters() override;

 private:
  const Client& client_;
  LoglikelihoodSupport loglikelihood_;
  std::string task_;
  int concurrency_;
  bool streaming_ = false;
  double arrival_rate_ = 0;
  uint64_t seed_ = 0;
  int64_t batches_ = 0;
  std::vector<RequestTiming> timings_;  // guarded by mutex_
  std::vector<RequestSpan> spans_;      // guarded by mutex_
  mutable std::mutex mutex_;
  engine::WorkCounters counters_;
};

}  // namespace jouleval::endpoint
