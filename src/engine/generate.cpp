// Model::generate: greedy decoding of many prompts at once, one sequence each (one KV stream each,
// in the model's generation context), with continuous admission of waiting prompts as sequences
// finish; each step is one decode call of the running sequences' tokens and prompt chunks; the argmax
// is taken on the device or the host, the text and stop strings on the host, incrementally
// (docs/engine.md "Batched generation").
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <limits>
#include <optional>

#include "engine/detokenizer.h"
#include "engine/limits.h"
#include "engine/logits.h"
#include "engine/model_impl.h"
#include "engine/prefill_plan.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

struct Active {
  int32_t request = -1;
  std::vector<llama_token> prompt;  // after truncation
  int32_t max_new = 0;
  std::optional<IncrementalDetokenizer> text;  // the generated tokens and their text (from admission)
  llama_token pending = LLAMA_TOKEN_NULL;      // next token to feed
  int32_t prefilled = 0;                       // prompt tokens in the KV cache
  int64_t cells = 0;                           // KV cells reserved: prompt + max_new

  int32_t n_generated() const { return text ? static_cast<int32_t>(text->tokens().size()) : 0; }
  int32_t prompt_left() const { return static_cast<int32_t>(prompt.size()) - prefilled; }  // not yet in the cache
};

// What one output did to its sequence, decided on the pool's threads.
struct Outcome {
  bool eog = false;       // the EOG token: not emitted
  bool finished = false;  // with `reason`
  StopReason reason = StopReason::kMaxTokens;
  size_t cut = std::string::npos;  // where a stop string begins
};

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The prompt tokens that every waiting prompt begins with, if there are at least
// kMinSharedPrefixTokens and two prompts or more; else 0. Each prompt keeps at least its last token
// out of the prefix: that token's logits give the sequence's first generated token. Token ids are
// compared, so the prefix is exactly what each prompt's own tokenisation gives.
int32_t shared_prefix_length(const std::deque<Active>& waiting) {
  if (waiting.size() < 2) return 0;
  const std::vector<llama_token>& first = waiting.front().prompt;
  size_t n = first.size() - 1;
  for (const Active& a : waiting) {
    n = std::min(n, a.prompt.size() - 1);
    n = static_cast<size_t>(
        std::mismatch(first.begin(), first.begin() + static_cast<std::ptrdiff_t>(n), a.prompt.begin()).first -
        first.begin());
    if (n < static_cast<size_t>(kMinSharedPrefixTokens)) return 0;
  }
  return static_cast<int32_t>(n);
}

// Adds to `plan` one prefill block (engine/prefill_plan.h) for each run of consecutive slots whose
// prompts are going in, lowest slot first, while `room` tokens last: blocks of different runs stay
// apart in llama.cpp's split, as the runs are not consecutive. A sequence whose prompt ends inside
// its block is padded after it; its id and prompt length go to `padded`, whose cells from there the
// caller removes after the call. Returns the padding tokens added.
int64_t add_prefill_blocks(std::vector<Active>& slots, int64_t room, int32_t n_ubatch, int32_t stream_cells,
                           DecodePlan& plan, std::vector<std::pair<llama_seq_id, llama_pos>>& padded) {
  const auto going_in = [&](size_t s) { return slots[s].request >= 0 && slots[s].prompt_left() > 0; };
  int64_t padding = 0;
  std::vector<int32_t> remaining;
  std::vector<int32_t> pad_room;
  for (size_t first = 0; first < slots.size() && room > 0;) {
    if (!going_in(first)) {
      ++first;
      continue;
    }
    size_t end = first;
    remaining.clear();
    pad_room.clear();
    for (; end < slots.size() && going_in(end); ++end) {
      if (remaining.size() < static_cast<size_t>(kMaxPlannedSequences)) {
        remaining.push_back(slots[end].prompt_left());
        pad_room.push_back(stream_cells - static_cast<int32_t>(slots[end].prompt.size()));
      }
    }
    const PrefillBlock block =
        plan_prefill_block(remaining, pad_room, static_cast<int32_t>(std::min<int64_t>(n_ubatch, room)));
    for (int32_t i = 0; i < block.sequences; ++i) {
      const size_t s = first + static_cast<size_t>(i);
      Active& a = slots[s];
      const auto seq = static_cast<llama_seq_id>(s);
      const auto n = static_cast<int32_t>(a.prompt.size());
      const int32_t stop = std::min(n, a.prefilled + block.width);
      for (int32_t p = a.prefilled; p < stop; ++p) {
        plan.add(a.prompt[static_cast<size_t>(p)], p, seq, p == n - 1 ? seq : -1);
      }
      const int32_t pads = block.width - (stop - a.prefilled);
      for (int32_t p = n; p < n + pads; ++p) plan.add(a.prompt.back(), p, seq, -1);
      if (pads > 0) padded.emplace_back(seq, n);
      padding += pads;
      a.prefilled = stop;
    }
    room -= static_cast<int64_t>(block.sequences) * block.width;
    first = end;
  }
  return padding;
}

// The prompts of `requests` as generation runs them, longest first (lm-evaluation-harness orders
// generation requests so too: the sequences decoded together then have similar lengths, and
// llama.cpp's attention spans the longest of them): tokenised on the pool, an empty prompt as BOS,
// left-truncated to leave room for max_new_tokens in the context. Requests with nothing to generate
// are left out; each request's prompt tokens (and the stop reason of those left out) go to `results`
// when given.
std::deque<Active> prompts_to_run(Model::Impl& m, const std::vector<GenerationRequest>& requests,
                                  std::vector<GenerationResult>* results) {
  std::vector<std::vector<llama_token>> tokenised(requests.size());
  m.pool->parallel_for(static_cast<int64_t>(requests.size()), [&](int64_t i) {
    tokenised[static_cast<size_t>(i)] = m.tokenize(requests[static_cast<size_t>(i)].prompt, true);
  });
  std::deque<Active> waiting;
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto& req = requests[i];
    Active a;
    a.request = static_cast<int32_t>(i);
    a.prompt = std::move(tokenised[i]);
    if (a.prompt.empty()) {
      const llama_token bos = llama_vocab_bos(m.vocab);
      a.prompt.push_back(bos != LLAMA_TOKEN_NULL ? bos : llama_vocab_eos(m.vocab));
    }
    a.max_new = std::clamp(req.max_new_tokens, 0, m.n_ctx - 1);
    const int32_t room = m.n_ctx - a.max_new;
    if (static_cast<int32_t>(a.prompt.size()) > room) {
      a.prompt.erase(a.prompt.begin(), a.prompt.end() - room);
    }
    a.cells = static_cast<int64_t>(a.prompt.size()) + a.max_new;
    if (results != nullptr) (*results)[i].n_prompt_tokens = static_cast<int32_t>(a.prompt.size());
    if (a.max_new == 0) {
      if (results != nullptr) (*results)[i].stop_reason = StopReason::kMaxTokens;
      continue;
    }
    waiting.push_back(std::move(a));
  }
  std::stable_sort(waiting.begin(), waiting.end(),
                   [](const Active& a, const Active& b) { return a.prompt.size() > b.prompt.size(); });
  return waiting;
}

struct ContextChoice {
  bool split = false;  // the generation context (one KV stream per sequence); else the unified one
  int32_t wanted = 0;  // sequences wanted for the prompts
};

// The context that `waiting` runs in: one KV stream per sequence when llama.cpp can make that
// context; else the unified cache, where admission is limited by the cells all active sequences
// reserve together. How many sequences: generation_sequence_cap (engine/limits.h), halved while that
// context does not fit in memory, never below what the scoring context's count allows. A context
// made before for as many or more sequences and cells is kept.
ContextChoice choose_generation_context(Model::Impl& m, const std::deque<Active>& waiting) {
  int64_t longest = 1;
  for (const Active& a : waiting) longest = std::max(longest, a.cells);
  const int32_t cap = generation_sequence_cap(m.uses_gpu, m.options.max_sequences, m.n_seq_max,
                                              static_cast<int32_t>(m.context_params.n_batch));
  ContextChoice choice;
  choice.wanted = static_cast<int32_t>(std::min<size_t>(std::max<size_t>(waiting.size(), 1), cap));
  const int32_t fewest = std::min(choice.wanted, m.n_seq_max);
  for (int32_t n = choice.wanted; !waiting.empty(); n = std::max(n / 2, fewest)) {
    choice.split = m.ensure_generation_context(n, static_cast<int32_t>(longest));
    if (choice.split || n == fewest) break;
  }
  return choice;
}

}  // namespace

void Model::prepare_generation(const std::vector<GenerationRequest>& requests) {
  Impl& m = *impl_;
  if (!generation_refusal(m.options.placement).empty()) return;  // generate() says why
  (void)choose_generation_context(m, prompts_to_run(m, requests, nullptr));
}

std::vector<GenerationResult> Model::generate(const std::vector<GenerationRequest>& requests,
                                              const ProgressFn& progress) {
  Impl& m = *impl_;
  if (const std::string why = generation_refusal(m.options.placement); !why.empty()) {
    throw util::Error(why, util::ErrorKind::kUnavailable);
  }
  std::vector<GenerationResult> results(requests.size());
  // The prompts are tokenised on the pool, as scoring's requests are: it is inside the measured window
  // (docs/engine.md "Batched generation").
  const double tokenize_begin = steady_seconds();
  std::deque<Active> waiting = prompts_to_run(m, requests, &results);
  m.counters.generation_tokenize_s += steady_seconds() - tokenize_begin;
  const int32_t shared = shared_prefix_length(waiting);
  const auto total = static_cast<int64_t>(requests.size());
  int64_t done = total - static_cast<int64_t>(waiting.size());
  if (progress) progress(done, total);

  const double context_begin = steady_seconds();
  const ContextChoice choice = choose_generation_context(m, waiting);
  m.counters.generation_context_s += steady_seconds() - context_begin;
  const bool split = choice.split;
  const int32_t wanted = choice.wanted;
  if (!waiting.empty()) {
    m.counters.generation_sequences_wanted = std::max(m.counters.generation_sequences_wanted, wanted);
    m.counters.generation_sequences =
        std::max(m.counters.generation_sequences, std::min(wanted, split ? m.gen_n_seq : m.n_seq_max));
  }
  llama_context* context = split ? m.gen_ctx.get() : m.ctx.get();
  Batch& batch = split ? *m.gen_batch : *m.batch;
  const int64_t capacity = split ? std::numeric_limits<int64_t>::max() : m.n_ctx;

  llama_memory_t mem = llama_get_memory(context);
  llama_memory_clear(mem, true);
  std::vector<Active> slots(static_cast<size_t>(split ? m.gen_n_seq : m.n_seq_max));  // slot index = sequence id
  int64_t cells_reserved = 0;
  int32_t n_active = 0;
  DecodePlan plan;
  // A shared prompt prefix (every prompt begins with the same `shared` tokens, e.g. one few-shot
  // preamble): evaluated once in sequence 0, its KV cache copied to every other sequence that will be
  // used (one stream each: a copy of the stream, done by llama.cpp at the next decode call; the unified
  // cache: the cells gain the sequence ids), and kept when a sequence ends, so that the next prompt of
  // that slot starts after it (docs/engine.md "Shared prompt prefix").
  if (shared > 0) {
    const auto& prefix = waiting.front().prompt;
    for (int32_t i = 0; i < shared; ++i) plan.add(prefix[static_cast<size_t>(i)], i, 0, -1);
    GenerationStep step;
    step.begin_s = steady_seconds();
    step.prompt_tokens = shared;
    step.sequence_slots = static_cast<int32_t>(slots.size());
    step.waiting = static_cast<int32_t>(waiting.size());
    m.counters.decode_calls += m.execute_on(context, batch, plan, [](std::span<const PlanOutput>) {});
    step.end_s = steady_seconds();
    m.generation_steps.push_back(step);
    m.counters.prompt_tokens_evaluated += shared;
    const auto used = static_cast<llama_seq_id>(std::min(slots.size(), waiting.size()));
    for (llama_seq_id s = 1; s < used; ++s) llama_memory_seq_cp(mem, 0, s, -1, -1);
    m.counters.generation_shared_prefix = std::max(m.counters.generation_shared_prefix, shared);
  }
  // Where a slot's cells are removed when its sequence ends or moves: after the shared prefix, which
  // stays for the slot's next prompt; all of them (-1) without one.
  const llama_pos kept_from = shared > 0 ? shared : -1;
  std::vector<Outcome> outcomes;
  // Tokens per step: one decode call's worth. Decode tokens always go in (the generation context has
  // at most as many sequences as batch tokens), prompt chunks in what is left.
  const int64_t budget = batch.capacity();
  std::deque<size_t> prefilling;  // slots whose prompt is not all in the cache, in admission order

  while (n_active > 0 || !waiting.empty()) {
    // Admit waiting prompts while sequence ids and KV cells allow.
    for (size_t s = 0; s < slots.size() && !waiting.empty(); ++s) {
      if (slots[s].request >= 0) continue;
      if (n_active > 0 && cells_reserved + waiting.front().cells > capacity) break;
      slots[s] = std::move(waiting.front());
      slots[s].text.emplace(m.vocab, m.detokenize_rules);
      slots[s].prefilled = shared;
      m.counters.prompt_tokens_reused += shared;
      waiting.pop_front();
      cells_reserved += slots[s].cells;
      ++n_active;
      prefilling.push_back(s);
    }
    // The step: one decode token of every sequence whose prompt is in the cache, then prompt chunks
    // of the admitted ones while the step's token budget lasts: prefill blocks with one KV stream per
    // sequence, else in admission order. A prompt may be split over several steps; only its last
    // token asks for logits. Prefill first: while the prompts
    // waiting for the cache do not fit beside the decode tokens (many slots filled at once), a step
    // holds prompt tokens only, so that the sequences then decode together at the full batch (measured
    // on an H200: decoding beside a large prefill drained the batch and took 12 % longer, docs/engine.md).
    plan.clear();
    int64_t pending = 0;
    for (size_t s : prefilling) pending += slots[s].prompt_left();
    const bool prefill_only = pending > 0 && pending + n_active > budget;
    for (size_t s = 0; s < slots.size() && !prefill_only; ++s) {
      const Active& a = slots[s];
      if (a.request < 0 || a.prompt_left() > 0) continue;
      const auto pos = static_cast<llama_pos>(a.prompt.size() + static_cast<size_t>(a.n_generated()) - 1);
      plan.add(a.pending, pos, static_cast<llama_seq_id>(s), static_cast<int32_t>(s));
    }
    const int64_t decode_tokens = plan.size();
    // With one KV stream per sequence the prompt chunks go in as prefill blocks (engine/prefill_plan.h).
    std::vector<std::pair<llama_seq_id, llama_pos>> padded;  // sequences padded in this step, from where
    int64_t room = budget - decode_tokens;
    int64_t padding = 0;
    if (split && m.info.generation.prefill_blocks) {
      padding =
          add_prefill_blocks(slots, room, static_cast<int32_t>(llama_n_ubatch(context)), m.gen_seq_cells, plan, padded);
      std::erase_if(prefilling, [&](size_t s) { return slots[s].prompt_left() == 0; });
      room = 0;
    }
    while (room > 0 && !prefilling.empty()) {
      const size_t s = prefilling.front();
      Active& a = slots[s];
      const auto seq = static_cast<llama_seq_id>(s);
      const auto n = static_cast<int32_t>(a.prompt.size());
      const auto end = static_cast<int32_t>(std::min<int64_t>(n, a.prefilled + room));
      for (int32_t i = a.prefilled; i < end; ++i) {
        plan.add(a.prompt[static_cast<size_t>(i)], i, seq, i == n - 1 ? seq : -1);
      }
      room -= end - a.prefilled;
      a.prefilled = end;
      if (end == n) prefilling.pop_front();
    }
    const int64_t prompt_tokens = plan.size() - decode_tokens - padding;
    int32_t sequence_runs = 0;
    llama_seq_id previous = -2;
    for (const auto& e : plan.entries()) {
      const llama_seq_id seq = plan.seqs_of(e)[0];
      if (seq != previous && seq != previous + 1) ++sequence_runs;
      previous = seq;
    }
    std::vector<int32_t> finished;
    GenerationStep step;
    step.begin_s = steady_seconds();
    step.prompt_tokens = static_cast<int32_t>(prompt_tokens);
    step.decode_tokens = static_cast<int32_t>(decode_tokens);
    step.active_sequences = n_active;
    step.sequence_slots = static_cast<int32_t>(slots.size());
    step.sequence_runs = sequence_runs;
    step.padding_tokens = static_cast<int32_t>(padding);
    m.counters.decode_calls += m.execute_on(
        context, batch, plan,
        [&](std::span<const PlanOutput> outputs) {
          // Per sequence, on the pool: argmax, detokenisation of the new token, stop strings in the text
          // it can have completed (docs/engine.md "Batched generation").
          const double host_begin = steady_seconds();
          outcomes.assign(outputs.size(), Outcome{});
          m.pool->parallel_for(static_cast<int64_t>(outputs.size()), [&](int64_t k) {
            const PlanOutput& out = outputs[static_cast<size_t>(k)];
            Outcome& o = outcomes[static_cast<size_t>(k)];
            Active& a = slots[static_cast<size_t>(out.id)];
            const llama_token tok = out.logits != nullptr ? row_argmax(out.logits, m.n_vocab) : out.sampled;
            if (llama_vocab_is_eog(m.vocab, tok)) {
              o.eog = o.finished = true;
              o.reason = StopReason::kEos;
              return;
            }
            const size_t changed = a.text->append(tok);
            a.pending = tok;
            o.cut = find_stop(a.text->text(), requests[static_cast<size_t>(a.request)].stop, changed);
            o.finished = true;
            if (o.cut != std::string::npos) {
              o.reason = StopReason::kStopString;
            } else if (a.n_generated() >= a.max_new) {
              o.reason = StopReason::kMaxTokens;
            } else if (static_cast<int64_t>(a.prompt.size()) + a.n_generated() >= m.n_ctx) {
              o.reason = StopReason::kContextFull;
            } else {
              o.finished = false;
            }
          });
          for (size_t k = 0; k < outputs.size(); ++k) {
            const Outcome& o = outcomes[k];
            if (!o.eog) ++m.counters.tokens_generated;
            if (outputs[k].logits == nullptr) ++m.counters.tokens_sampled_on_device;
            if (!o.finished) continue;
            Active& a = slots[static_cast<size_t>(outputs[k].id)];
            GenerationResult& r = results[static_cast<size_t>(a.request)];
            r.stop_reason = o.reason;
            r.text = a.text->text().substr(0, o.cut);
            finished.push_back(outputs[k].id);
          }
          step.host_s += steady_seconds() - host_begin;
        },
        split && !m.gen_samplers.empty());
    step.end_s = steady_seconds();
    step.waiting = static_cast<int32_t>(waiting.size());
    m.generation_steps.push_back(step);
    m.counters.prompt_tokens_evaluated += prompt_tokens;
    m.counters.prompt_padding_tokens += padding;
    for (const auto& [seq, from] : padded) llama_memory_seq_rm(mem, seq, from, -1);  // the padding's cells
    for (int32_t s : finished) {
      Active& a = slots[static_cast<size_t>(s)];
      GenerationResult& r = results[static_cast<size_t>(a.request)];
      r.n_generated_tokens = a.n_generated();
      llama_memory_seq_rm(mem, s, kept_from, -1);
      cells_reserved -= a.cells;
      --n_active;
      a = Active{};
      ++done;
    }
    if (progress && !finished.empty()) progress(done, total);
    // Once no prompt waits to refill a slot, the running sequences are kept in the lowest slots: with
    // one KV stream per sequence, llama.cpp splits a batch into micro-batches of consecutive sequence
    // ids only (llama_batch_allocr::split_equal, "accept only increasing sequence ids"), so every gap
    // left by a finished sequence would cost one more forward pass per step (docs/engine.md
    // "Consecutive sequences"). The highest running sequence moves to the lowest free slot: its stream
    // is copied on the device at the next decode call, and the slot it leaves keeps the shared prefix.
    if (split && m.info.generation.move_sequences && waiting.empty() && !finished.empty()) {
      for (;;) {
        size_t free = 0;
        while (free < slots.size() && slots[free].request >= 0) ++free;
        size_t last = slots.size();
        while (last > 0 && slots[last - 1].request < 0) --last;
        if (free >= slots.size() || last == 0 || free >= last - 1) break;
        Active& from = slots[last - 1];
        if (from.prompt_left() > 0) break;  // its prompt is still going in
        const auto src = static_cast<llama_seq_id>(last - 1);
        const auto dst = static_cast<llama_seq_id>(free);
        llama_memory_seq_cp(mem, src, dst, -1, -1);
        llama_memory_seq_rm(mem, src, kept_from, -1);
        slots[free] = std::move(from);
        from = Active{};
        ++m.counters.generation_sequences_moved;
      }
    }
  }
  llama_memory_clear(mem, true);
  m.track_gpu_memory();
  return results;
}

}  // namespace jouleval::engine
