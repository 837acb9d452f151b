// What the sweep layer needs to evaluate a task: batched loglikelihood, batched greedy generation,
// counters of the work done and a synchronisation point for measurement windows. Implemented by the
// in-process engine (engine::Model) and by a served model behind an OpenAI-compatible API
// (endpoint::EndpointEvaluator, docs/endpoint.md). Implementations are not thread-safe unless they
// say so.
#pragma once

#include <vector>

#include "engine/requests.h"

namespace jouleval::engine {

class Evaluator {
 public:
  virtual ~Evaluator() = default;

  // Results in the order of `requests`. Throw util::Error when the work cannot be done (the kinds
  // are the implementation's: see engine::Model and endpoint::EndpointEvaluator).
  virtual std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& requests,
                                                         const ProgressFn& progress) = 0;
  virtual std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& requests,
                                                 const ProgressFn& progress) = 0;

  // Makes ready, before a measured window, what generate() would otherwise allocate inside it for
  // `requests` (the in-process engine: its generation context). Nothing by default.
  virtual void prepare_generation(const std::vector<GenerationRequest>& requests) { (void)requests; }

  // Waits until all submitted work is finished (edge of a measurement window).
  virtual void synchronize() = 0;

  // Work done since construction or the last reset.
  virtual WorkCounters counters() const = 0;
  virtual void reset_counters() = 0;

  // The scheduling steps of generate() since the last take, in order, and clears them (phases of
  // generation, docs/energy.md). Empty where the implementation cannot see its steps (a server).
  virtual std::vector<GenerationStep> take_generation_steps() { return {}; }
};

}  // namespace jouleval::engine
