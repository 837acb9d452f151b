// Model::loglikelihood: packs scoring units into decode calls over many sequences of a unified KV
// cache, with shared prefixes fed once and few-shot preambles evaluated once and copied.
#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "engine/logits.h"
#include "engine/model_impl.h"
#include "engine/scoring_plan.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

// What one output row scores: continuation token `token` of request `request`.
struct Target {
  int32_t request;
  llama_token token;
};

// Builds the plan of one pack of units and the targets of each output.
class PackBuilder {
 public:
  PackBuilder(const PreparedBatch& batch, int32_t preamble_len) : batch_(batch), P_(preamble_len) {}

  // Adds a unit whose members get sequence ids first_seq, first_seq+1, ...
  void add_unit(const ScoringUnit& unit, llama_seq_id first_seq) {
    std::vector<llama_seq_id> seqs(unit.members.size());
    std::iota(seqs.begin(), seqs.end(), first_seq);
    const auto& lead = req(unit.members.front());
    for (int32_t i = P_; i < P_ + unit.shared; ++i) {
      int32_t output = -1;
      for (int32_t m : unit.members) {
        if (i >= req(m).cont_begin - 1) add_target(output, m, req(m).tokens[static_cast<size_t>(i) + 1]);
      }
      plan_.add(lead.tokens[static_cast<size_t>(i)], i, seqs, output);
    }
    for (size_t k = 0; k < unit.members.size(); ++k) {
      const int32_t m = unit.members[k];
      const auto& r = req(m);
      for (int32_t i = P_ + unit.shared; i < r.n_fed(); ++i) {
        int32_t output = -1;
        if (i >= r.cont_begin - 1) add_target(output, m, r.tokens[static_cast<size_t>(i) + 1]);
        plan_.add(r.tokens[static_cast<size_t>(i)], i, seqs[k], output);
      }
    }
  }

  const DecodePlan& plan() const { return plan_; }
  const std::vector<std::vector<Target>>& targets() const { return targets_; }
  void clear() {
    plan_.clear();
    targets_.clear();
  }

 private:
  const PreparedRequest& req(int32_t i) const { return batch_.requests[static_cast<size_t>(i)]; }
  void add_target(int32_t& output, int32_t request, llama_token token) {
    if (output < 0) {
      output = static_cast<int32_t>(targets_.size());
      targets_.emplace_back();
    }
    targets_[static_cast<size_t>(output)].push_back({request, token});
  }

  const PreparedBatch& batch_;
  int32_t P_;
  DecodePlan plan_;
  std::vector<std::vector<Target>> targets_;
};

}  // namespace

std::vector<LoglikelihoodResult> Model::loglikelihood(const std::vector<LoglikelihoodRequest>& requests,
                                                      const ProgressFn& progress) {
  Impl& m = *impl_;
  const PreparedBatch prepared = prepare_requests(m.vocab, requests, m.n_ctx, m.threads);
  std::vector<LoglikelihoodResult> results(requests.size());
  for (size_t i = 0; i < results.size(); ++i) {
    results[i].n_truncated = prepared.requests[i].n_truncated;
    results[i].n_tokens = std::max(0, prepared.requests[i].n_scored());
    results[i].is_greedy = true;
  }
  constexpr llama_seq_id kPreambleSeq = 0;
  const int32_t max_members = m.n_seq_max - 1;  // sequence 0 holds the preamble
  const std::vector<ScoringUnit> units = make_units(prepared, m.n_ctx, max_members);

  int64_t done = static_cast<int64_t>(requests.size());
  for (const auto& u : units) done -= static_cast<int64_t>(u.members.size());
  const auto total = static_cast<int64_t>(requests.size());
  if (progress) progress(done, total);

  llama_memory_t mem = m.memory();
  llama_memory_clear(mem, true);
  std::vector<RowStats> stats;
  size_t next = 0;
  while (next < units.size()) {
    // Evaluate this block's preamble once into sequence 0.
    const int32_t preamble = units[next].preamble;
    llama_memory_clear(mem, true);
    int32_t P = 0;
    if (preamble >= 0) {
      const auto& pt = prepared.preambles[static_cast<size_t>(preamble)];
      P = static_cast<int32_t>(pt.size());
      DecodePlan plan;
      for (int32_t i = 0; i < P; ++i) plan.add(pt[static_cast<size_t>(i)], i, kPreambleSeq, -1);
      m.execute(plan, [](std::span<const PlanOutput>) {});
      m.counters.prompt_tokens_evaluated += P;
    }
    PackBuilder builder(prepared, P);
    while (next < units.size() && units[next].preamble == preamble) {
      // One pack: as many units as fit in the KV cache and the sequence ids.
      builder.clear();
      int64_t cells = 0;
      llama_seq_id seq = 1;
      int64_t members = 0;
      while (next < units.size() && units[next].preamble == preamble) {
        const auto& u = units[next];
        const auto n = static_cast<int32_t>(u.members.size());
        if (members > 0 && (cells + u.cells > m.n_ctx - P || seq + n > m.n_seq_max)) break;
        for (int32_t k = 0; k < n; ++k) {
          if (P > 0) llama_memory_seq_cp(mem, kPreambleSeq, seq + k, -1, -1);
        }
        builder.add_unit(u, seq);
        m.counters.prompt_tokens_reused += static_cast<int64_t>(P) * n + static_cast<int64_t>(u.shared) * (n - 1);
        cells += u.cells;
        seq += n;
        members += n;
        ++next;
      }
      const auto& targets = builder.targets();
      m.execute(builder.plan(), [&](std::span<const PlanOutput> outputs) {
        stats.resize(outputs.size());
        parallel_for(static_cast<int64_t>(outputs.size()), m.threads, [&](int64_t k) {
          stats[static_cast<size_t>(k)] = row_stats(outputs[static_cast<size_t>(k)].logits, m.n_vocab);
        });
        for (size_t k = 0; k < outputs.size(); ++k) {
          for (const Target& t : targets[static_cast<size_t>(outputs[k].id)]) {
            auto& r = results[static_cast<size_t>(t.request)];
            r.logprob += stats[k].logprob(outputs[k].logits, t.token);
            r.is_greedy = r.is_greedy && stats[k].is_max(outputs[k].logits, t.token);
          }
        }
      });
      m.counters.prompt_tokens_evaluated += builder.plan().size();
      for (llama_seq_id s = 1; s < seq; ++s) llama_memory_seq_rm(mem, s, -1, -1);
      done += members;
      if (progress) progress(done, total);
    }
  }
  llama_memory_clear(mem, true);
  return results;
}

}  // namespace jouleval::engine
