// The work the engine does for the tasks layer, as plain data: loglikelihood requests
// (context, continuation) and greedy generation requests, with their results.
// Header-only and free of llama.cpp types, so tasks/ can build requests without linking the engine.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace jouleval::engine {

// Score `continuation` given `context` (docs/engine.md "Batched loglikelihood"). The engine computes the
// split point from the tokenisation of context+continuation, adds BOS when the model asks for it,
// moves trailing whitespace of the context onto the continuation, and left-truncates to the context
// window.
struct LoglikelihoodRequest {
  std::string context;
  std::string continuation;
  // Optional: a prefix of `context` shared by many requests (few-shot preamble). The engine may
  // evaluate it once and copy its KV cache, only when its tokens equal the first tokens of the
  // whole tokenisation. Leave empty when there is none. Never changes the result.
  std::string preamble;
};

struct LoglikelihoodResult {
  double logprob = 0.0;     // sum of log-softmax of the continuation tokens
  int32_t n_tokens = 0;     // continuation tokens scored
  bool is_greedy = false;   // every continuation token was the argmax
  int32_t n_truncated = 0;  // tokens dropped from the left to fit the context window
};

struct GenerationRequest {
  std::string prompt;
  std::vector<std::string> stop;  // stop strings, checked on the host; not included in the output
  int32_t max_new_tokens = 256;
};

enum class StopReason { kStopString, kEos, kMaxTokens, kContextFull };

inline const char* to_string(StopReason r) {
  switch (r) {
    case StopReason::kStopString:
      return "stop_string";
    case StopReason::kEos:
      return "eos";
    case StopReason::kMaxTokens:
      return "max_tokens";
    case StopReason::kContextFull:
      return "context_full";
  }
  return "unknown";
}

struct GenerationResult {
  std::string text;  // generated text, cut before the first stop string
  StopReason stop_reason = StopReason::kMaxTokens;
  int32_t n_prompt_tokens = 0;
  int32_t n_generated_tokens = 0;
};

// Counters of the work actually done, for energy attribution (J/token) by the sweep layer.
struct WorkCounters {
  int64_t prompt_tokens_evaluated = 0;  // tokens run through the model as input (after KV reuse)
  int64_t prompt_tokens_reused = 0;     // tokens whose KV came from a copied preamble/prefix
  int64_t tokens_generated = 0;
  int64_t decode_calls = 0;
  // Generation: the most sequences decoded together, and how many were wanted (the prompts waiting,
  // up to the cap of Model::generate); fewer than wanted means memory did not allow more.
  int32_t generation_sequences = 0;
  int32_t generation_sequences_wanted = 0;
  // Generated tokens (EOG included) whose argmax the device took (ModelOptions::device_argmax);
  // the others' logits were copied to the host.
  int64_t tokens_sampled_on_device = 0;
  // Generation: the longest prompt prefix shared by every prompt of a call that was evaluated once
  // and copied to the sequences (docs/engine.md "Shared prompt prefix"); 0 when none was.
  int32_t generation_shared_prefix = 0;
  // Generation: running sequences moved to a lower slot so that the sequence ids of a step stay
  // consecutive (docs/engine.md "Consecutive sequences").
  int64_t generation_sequences_moved = 0;
  // Generation: tokens computed only to pad a prefill block to its width, their KV cells removed after
  // the call (docs/engine.md "Prefill blocks"); not counted in prompt_tokens_evaluated.
  int64_t prompt_padding_tokens = 0;
  // Generation: seconds before the first step, inside the measured window and outside every step:
  // tokenising the prompts, and making (or remaking, for more or longer sequences) the generation
  // context, which is kept for the next call.
  double generation_tokenize_s = 0.0;
  double generation_context_s = 0.0;

  WorkCounters& operator+=(const WorkCounters& o) {
    prompt_tokens_evaluated += o.prompt_tokens_evaluated;
    prompt_tokens_reused += o.prompt_tokens_reused;
    tokens_generated += o.tokens_generated;
    decode_calls += o.decode_calls;
    tokens_sampled_on_device += o.tokens_sampled_on_device;
    generation_sequences = std::max(generation_sequences, o.generation_sequences);
    generation_sequences_wanted = std::max(generation_sequences_wanted, o.generation_sequences_wanted);
    generation_shared_prefix = std::max(generation_shared_prefix, o.generation_shared_prefix);
    generation_sequences_moved += o.generation_sequences_moved;
    prompt_padding_tokens += o.prompt_padding_tokens;
    generation_tokenize_s += o.generation_tokenize_s;
    generation_context_s += o.generation_context_s;
    return *this;
  }
};

// One scheduling step of Model::generate (one decode plan: the decode tokens of the active sequences
// and the prompts admitted at that step, run as one or more llama_decode calls), recorded so that the
// sweep layer can split a generation window's energy into phases (prefill, decode, steady state).
struct GenerationStep {
  // Seconds on std::chrono::steady_clock since its epoch: the clock of energy::SteadyClock.
  double begin_s = 0.0;          // before the plan was submitted
  double end_s = 0.0;            // after its outputs were read on the host
  int32_t prompt_tokens = 0;     // prompt (prefill) tokens evaluated in this step
  int32_t decode_tokens = 0;     // sequences advanced by one generated token in this step
  int32_t active_sequences = 0;  // sequences holding a slot during the step
  int32_t sequence_slots = 0;    // sequences the generation context can hold
  int32_t waiting = 0;           // prompts not yet admitted when the step ended
  // Runs of consecutive sequence ids among the step's tokens in batch order (a sequence's prompt
  // chunk is one run with it): with one KV stream per sequence llama.cpp makes at least one
  // micro-batch, a forward pass, per run.
  int32_t sequence_runs = 0;
  int32_t padding_tokens = 0;  // padding of a prefill block (WorkCounters::prompt_padding_tokens)
  double host_s = 0.0;         // of end_s - begin_s, the host's work on the outputs (argmax,
                               // detokenisation, stop strings); the rest is llama_decode and its outputs' copy
};

// Progress callback: (done, total) in requests. Called from the evaluating thread, or (an endpoint's
// evaluator) from its request threads one call at a time; `done` counts up by one from call to call.
using ProgressFn = std::function<void(int64_t done, int64_t total)>;

}  // namespace jouleval::engine
