#include "endpoint/evaluator.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <random>
#include <system_error>
#include <thread>
#include <utility>

#include "endpoint/response.h"
#include "util/error.h"

namespace jouleval::endpoint {
namespace {

// Seconds of std::chrono::steady_clock since its epoch (energy::SteadyClock's reading).
double clock_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Runs `work(i)` for i in [0, offsets.size()), item i released `offsets[i]` seconds after the start
// (that time in clock_seconds is due[i], set before work(i) starts), with at most `cap` items
// running at once: an item released while `cap` run waits until one ends (its successors wait
// behind it). Worker threads are started as needed, at most `cap`. The first exception (of a work
// item, or a thread that cannot be started) stops the release of further items (those released and
// not started are dropped) and is rethrown once the running ones have finished.
void run_at_arrivals(const std::vector<double>& offsets, int cap, const std::function<void(int64_t)>& work,
                     const engine::ProgressFn& progress, std::vector<double>& due) {
  const auto n = static_cast<int64_t>(offsets.size());
  std::mutex mutex;  // guards everything below and progress calls
  std::condition_variable changed;
  std::deque<int64_t> ready;  // released, not yet taken by a worker
  int in_flight = 0;          // released and not finished
  size_t free_workers = 0;    // started workers not running an item
  bool closed = false;
  bool failed = false;
  int64_t done = 0;
  std::exception_ptr first;
  std::vector<std::thread> pool;
  auto worker = [&] {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      changed.wait(lock, [&] { return !ready.empty() || closed; });
      if (ready.empty()) return;  // closed and drained
      const int64_t i = ready.front();
      ready.pop_front();
      if (failed) {
        --in_flight;
        changed.notify_all();
        continue;
      }
      --free_workers;
      lock.unlock();
      std::exception_ptr error;
      try {
        work(i);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      ++free_workers;
      --in_flight;
      if (error) {
        if (!first) first = error;
        failed = true;
      } else {
        ++done;
        if (progress && !failed) progress(done, n);
      }
      changed.notify_all();
    }
  };
  due.assign(offsets.size(), 0.0);
  const auto start = std::chrono::steady_clock::now();
  const double start_s = std::chrono::duration<double>(start.time_since_epoch()).count();
  {
    std::unique_lock<std::mutex> lock(mutex);
    for (int64_t i = 0; i < n && !failed; ++i) {
      const double offset = offsets[static_cast<size_t>(i)];
      const auto at = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>(offset));
      changed.wait_until(lock, at, [&] { return failed; });  // the arrival (or a failure)
      changed.wait(lock, [&] { return failed || in_flight < cap; });
      if (failed) break;
      due[static_cast<size_t>(i)] = start_s + offset;
      ready.push_back(i);
      ++in_flight;
      if (ready.size() > free_workers && pool.size() < static_cast<size_t>(cap)) {
        try {
          pool.emplace_back(worker);
          ++free_workers;
        } catch (const std::system_error&) {
          first = std::current_exception();
          failed = true;
          break;
        }
      }
      changed.notify_all();
    }
    closed = true;
    changed.notify_all();
  }
  for (auto& t : pool) t.join();
  if (first) std::rethrow_exception(first);
}

// Runs `work(i)` for i in [0, n) on up to `concurrency` threads (a closed loop); with `arrivals`
// (n offsets) not empty, at those arrivals instead (run_at_arrivals, which sets *due). The first
// exception stops the others from starting new items and is rethrown once all have finished.
void run_concurrently(int64_t n, int concurrency, const std::function<void(int64_t)>& work,
                      const engine::ProgressFn& progress, const std::vector<double>& arrivals = {},
                      std::vector<double>* due = nullptr) {
  if (!arrivals.empty()) return run_at_arrivals(arrivals, concurrency, work, progress, *due);
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
