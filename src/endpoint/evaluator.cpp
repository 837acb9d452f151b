#include "endpoint/evaluator.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <thread>
#include <utility>

#include "endpoint/response.h"
#include "util/error.h"

namespace jouleval::endpoint {
namespace {

// Runs `work(i)` for i in [0, n) on up to `concurrency` threads. The first exception stops the
// others from starting new items and is rethrown once all have finished.
void run_concurrently(int64_t n, int concurrency, const std::function<void(int64_t)>& work,
                      const engine::ProgressFn& progress) {
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first;
  std::mutex mutex;  // guards `first` and progress calls
  auto worker = [&] {
    for (;;) {
      if (failed.load()) return;
      const int64_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        work(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!first) first = std::current_exception();
        failed = true;
        return;
      }
      const int64_t d = done.fetch_add(1) + 1;
      if (progress) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!failed.load()) progress(d, n);
      }
    }
  };
  const int threads = static_cast<int>(std::min<int64_t>(concurrency, n));
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(std::max(threads - 1, 0)));
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  if (threads > 0) worker();
  for (auto& t : pool) t.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace

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
  engine::WorkCounters work;
  std::mutex work_mutex;
  run_concurrently(
      static_cast<int64_t>(requests.size()), concurrency_,
      [&](int64_t i) {
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
        std::lock_guard<std::mutex> lock(work_mutex);
        timings.push_back(std::move(timing));
        work.prompt_tokens_evaluated += out[static_cast<size_t>(i)].n_prompt_tokens;
        work.tokens_generated += out[static_cast<size_t>(i)].n_generated_tokens;
        ++work.decode_calls;
      },
      progress);
  std::lock_guard<std::mutex> lock(mutex_);
  counters_ += work;
  timings_.insert(timings_.end(), timings.begin(), timings.end());
  return out;
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
