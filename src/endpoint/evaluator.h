// An engine::Evaluator whose work is done by a served model behind an OpenAI-compatible API
// (docs/endpoint.md): generation through /v1/completions (greedy, raw prompts, no chat template) or,
// with the chat API, /v1/chat/completions (one user turn, the server's chat template);
// loglikelihood through /v1/completions with echo and prompt logprobs (never with the chat API:
// loglikelihood() then throws kUsage). Up to
// EndpointOptions::concurrency requests are in flight at once. Token counters come from the
// responses' `usage`.
//
// Errors: the first failed request stops the batch (no new request is sent, those in flight are
// awaited) and its util::Error is thrown: kUnavailable when the server cannot be reached, times out
// or answers with an HTTP error, kBadInput for a malformed response (endpoint/response.h). Nothing
// of a failed batch is returned. Not thread-safe (one caller at a time).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "endpoint/client.h"
#include "endpoint/response.h"
#include "engine/evaluator.h"

namespace jouleval::endpoint {

class EndpointEvaluator : public engine::Evaluator {
 public:
  // `loglikelihood`: from Client::probe_loglikelihood; loglikelihood() throws kUnavailable when it
  // is not supported. `task` names the requests in messages ("gsm8k").
  EndpointEvaluator(const Client& client, LoglikelihoodSupport loglikelihood);

  void set_task(std::string task) { task_ = std::move(task); }
  // Requests in flight at once from now on, 1..kMaxConcurrency (initially the client's).
  void set_concurrency(int concurrency) { concurrency_ = concurrency; }
  // Generation requests streamed from now on (Client::probe_streaming said the server can); each
  // then records its time to first token and inter-token gaps. Initially off.
  void set_streaming(bool streaming) { streaming_ = streaming; }
  // The times of the generation requests answered since the last take (in no particular order),
  // and clears them.
  std::vector<RequestTiming> take_request_timings();

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
  std::vector<RequestTiming> timings_;  // guarded by mutex_
  mutable std::mutex mutex_;
  engine::WorkCounters counters_;
};

}  // namespace jouleval::endpoint
