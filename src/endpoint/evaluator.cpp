#include "endpoint/evaluator.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <random>
#include <utility>

#include "endpoint/concurrency.h"
#include "endpoint/response.h"
#include "util/error.h"

namespace jouleval::endpoint {
namespace {

// Seconds of std::chrono::steady_clock since its epoch (energy::SteadyClock's reading).
double clock_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

std::vector<double> poisson_arrivals(int64_t n, double rate, uint64_t seed) {
  std::vector<double> out;
  if (n <= 0) return out;
  out.reserve(static_cast<size_t>(n));
  std::mt19937_64 generator(seed);
  std::exponential_distribution<double> gap(rate);
  double t = 0;
  out.push_back(t);
  for (int64_t i = 1; i < n; ++i) out.push_back(t += gap(generator));
  return out;
}

EndpointEvaluator::EndpointEvaluator(const Client& client, LoglikelihoodSupport loglikelihood)
    : client_(client), loglikelihood_(std::move(loglikelihood)), concurrency_(client.options().concurrency) {}

std::vector<engine::LoglikelihoodResult> EndpointEvaluator::loglikelihood(
    const std::vector<engine::LoglikelihoodRequest>& requests, const engine::ProgressFn& progress) {
  if (client_.chat())
    throw util::Error(fmt::format("endpoint {}: loglikelihood tasks{} cannot be scored with --endpoint-api chat: the "
                                  "chat API has no prompt logprobs (use --endpoint-api completions)",
                                  client_.base_url(), task_.empty() ? "" : " (" + task_ + ")"),
                      util::ErrorKind::kUsage);
  if (!loglikelihood_.supported)
    throw util::Error(fmt::format("endpoint {} cannot score loglikelihood tasks{}: its /v1/completions does not "
                                  "return prompt logprobs with echo ({})",
                                  client_.base_url(), task_.empty() ? "" : " (" + task_ + ")", loglikelihood_.why_not),
                      util::ErrorKind::kUnavailable);
  std::vector<engine::LoglikelihoodResult> out(requests.size());
  engine::WorkCounters work;
  std::mutex work_mutex;
  run_concurrently(
      static_cast<int64_t>(requests.size()), concurrency_,
      [&](int64_t i) {
        const auto& req = requests[static_cast<size_t>(i)];
        // As the engine (and lm-evaluation-harness): trailing whitespace of the context belongs to
        // the continuation.
        size_t keep = req.context.size();
        while (keep > 0 && (req.context[keep - 1] == ' ' || req.context[keep - 1] == '\t' ||
                            req.context[keep - 1] == '\n' || req.context[keep - 1] == '\r'))
          --keep;
        const std::string context = req.context.substr(0, keep);
        const std::string prompt = req.context + req.continuation;
        const std::string what = fmt::format("loglikelihood request {} of {}{}", i + 1, requests.size(),
                                             task_.empty() ? "" : " of " + task_);
        nlohmann::json body = {{"prompt", prompt},
                               {"max_tokens", loglikelihood_.max_tokens},
                               {"echo", true},
                               {"logprobs", 1},
                               {"temperature", 0}};
        const nlohmann::json response = client_.completions(std::move(body), what);
        const std::string where = fmt::format("endpoint {}: POST /v1/completions ({})", client_.base_url(), what);
        out[static_cast<size_t>(i)] = read_echo_scoring(response, code_points(prompt), code_points(context), where);
        const Usage usage = read_usage(response, where);
        std::lock_guard<std::mutex> lock(work_mutex);
        work.prompt_tokens_evaluated += usage.prompt_tokens;
        work.tokens_generated += usage.completion_tokens;
        ++work.decode_calls;
      },
      progress);
  std::lock_guard<std::mutex> lock(mutex_);
  counters_ += work;
  return out;
}

std::vector<engine::GenerationResult> EndpointEvaluator::generate(
    const std::vector<engine::GenerationRequest>& requests, const engine::ProgressFn& progress) {
  std::vector<engine::GenerationResult> out(requests.size());
  std::vector<RequestTiming> timings;
  std::vector<RequestSpan> spans;
  std::vector<double> due;  // with Poisson arrivals: when each request was due (clock seconds)
  const int64_t batch = batches_++;
  engine::WorkCounters work;
  std::mutex work_mutex;
  run_concurrently(
      static_cast<int64_t>(requests.size()), concurrency_,
      [&](int64_t i) {
        RequestSpan span;
        span.batch = batch;
        span.start_s = clock_seconds();
        span.arrival_s = due.empty() ? span.start_s : due[static_cast<size_t>(i)];
        const auto& req = requests[static_cast<size_t>(i)];
        const std::string what =
            fmt::format("generation request {} of {}{}", i + 1, requests.size(), task_.empty() ? "" : " of " + task_);
        nlohmann::json body = client_.generation_body(req.prompt, req.max_new_tokens, req.stop);
        RequestTiming timing;
        if (streaming_) {
          const std::string where =
              fmt::format("endpoint {}: POST {} ({}, streamed)", client_.base_url(), client_.generation_path(), what);
          StreamedGeneration g = read_stream(client_.stream_generation(std::move(body), what), req.stop,
                                             req.max_new_tokens, where, client_.chat());
          out[static_cast<size_t>(i)] = std::move(g.result);
          timing = std::move(g.timing);
        } else {
          const auto start = std::chrono::steady_clock::now();
          const nlohmann::json response = client_.generation(std::move(body), what);
          timing.e2e = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          const std::string where =
              fmt::format("endpoint {}: POST {} ({})", client_.base_url(), client_.generation_path(), what);
          out[static_cast<size_t>(i)] = client_.chat()
                                            ? read_chat_generation(response, req.stop, req.max_new_tokens, where)
                                            : read_generation(response, req.stop, req.max_new_tokens, where);
          timing.output_tokens = out[static_cast<size_t>(i)].n_generated_tokens;
        }
        span.end_s = clock_seconds();
        span.first_token_s = timing.streamed ? std::min(span.start_s + timing.ttft, span.end_s) : span.start_s;
        span.output_tokens = out[static_cast<size_t>(i)].n_generated_tokens;
        std::lock_guard<std::mutex> lock(work_mutex);
        timings.push_back(std::move(timing));
        spans.push_back(span);
        work.prompt_tokens_evaluated += out[static_cast<size_t>(i)].n_prompt_tokens;
        work.tokens_generated += out[static_cast<size_t>(i)].n_generated_tokens;
        ++work.decode_calls;
      },
      progress,
      arrival_rate_ > 0 ? poisson_arrivals(static_cast<int64_t>(requests.size()), arrival_rate_, seed_)
                        : std::vector<double>{},
      &due);
  std::lock_guard<std::mutex> lock(mutex_);
  counters_ += work;
  timings_.insert(timings_.end(), timings.begin(), timings.end());
  spans_.insert(spans_.end(), spans.begin(), spans.end());
  return out;
}

std::vector<RequestSpan> EndpointEvaluator::take_request_spans() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(spans_, {});
}

std::vector<RequestTiming> EndpointEvaluator::take_request_timings() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(timings_, {});
}

engine::WorkCounters EndpointEvaluator::counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

void EndpointEvaluator::reset_counters() {
  std::lock_guard<std::mutex> lock(mutex_);
  counters_ = {};
}

}  // namespace jouleval::endpoint
