// Model::loglikelihood: packs scoring units into decode calls over many sequences of a unified KV
// cache, with shared prefixes fed once and few-shot preambles evaluated once and copied; packs take
// turns on the scoring lanes so that reading one pack's logits overlaps the next pack's decoding,
// each lane working through units of one preamble at a time.
#include <fmt/format.h>

#include <algorithm>
#include <future>
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
  explicit PackBuilder(const PreparedBatch& batch) : batch_(batch) {}

  // Starts a new pack after a preamble of `preamble_len` tokens.
  void reset(int32_t preamble_len) {
    P_ = preamble_len;
    plan_.clear();
    targets_.clear();
  }
  int32_t preamble_length() const { return P_; }

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
  int32_t P_ = 0;
  DecodePlan plan_;
  std::vector<std::vector<Target>> targets_;
};

}  // namespace

std::vector<LoglikelihoodResult> Model::loglikelihood(const std::vector<LoglikelihoodRequest>& requests,
                                                      const ProgressFn& progress) {
  Impl& m = *impl_;
  const PreparedBatch prepared = prepare_requests(m.vocab, requests, m.n_ctx, *m.pool);
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

  // Packs take turns on the scoring lanes. A lane's pack (its preamble when the lane does not hold
  // it yet, the copies of the preamble, the decode calls and the reading of the logits) runs on the
  // lane's worker thread, started with the lane and kept by the model (Impl::lane_workers); the next
  // pack is planned and started on the next lane meanwhile. Packs touch disjoint requests, so their
  // results need no lock. With one lane the pack runs here.
  struct Lane {
    int32_t index = 0;
    llama_context* context = nullptr;
    Batch* batch = nullptr;
    LaneWorker* worker = nullptr;  // null with one lane
    int32_t preamble = -1;         // the preamble held in sequence 0 (-1: none; the lane starts cleared)
    int64_t members = 0;           // requests of the pack in flight
    bool busy = false;             // a pack was started and not finished
    int64_t calls = 0;             // decode calls of the pack, set by the pack
    std::unique_ptr<PackBuilder> builder;
    std::future<void> pending;  // the pack in flight on the worker
  };
  const int32_t n_lanes = m.ensure_scoring_lanes();
  std::vector<Lane> lanes(static_cast<size_t>(n_lanes));
  for (int32_t i = 0; i < n_lanes; ++i) {
    Lane& lane = lanes[static_cast<size_t>(i)];
    lane.index = i;
    lane.context = m.lane_context(i);
    lane.batch = &m.lane_batch_of(i);
    if (n_lanes > 1) lane.worker = m.lane_workers[static_cast<size_t>(i)].get();
    lane.builder = std::make_unique<PackBuilder>(prepared);
    llama_memory_clear(llama_get_memory(lane.context), true);
  }
  // Waits for the lane's pack; its results are in and its sequences are free again.
  const auto finish = [&](Lane& lane) {
    if (!lane.busy) return;
    lane.busy = false;
    if (lane.pending.valid()) lane.pending.get();  // rethrows what the pack threw
    m.counters.decode_calls += lane.calls;
    done += lane.members;
    lane.members = 0;
    if (progress) progress(done, total);
  };
  // Runs a lane's planned pack (on the lane's worker thread when there are several lanes).
  const auto run_pack = [&m, &results](Lane& lane, const std::vector<llama_token>* preamble_tokens,
                                       llama_seq_id seq_end) -> int64_t {
    if (m.before_pack) m.before_pack(lane.index);
    llama_memory_t mem = llama_get_memory(lane.context);
    int64_t calls = 0;
    if (preamble_tokens != nullptr) {  // evaluate the preamble once into sequence 0
      llama_memory_clear(mem, true);
      DecodePlan plan;
      const auto P = static_cast<int32_t>(preamble_tokens->size());
      for (int32_t i = 0; i < P; ++i) plan.add((*preamble_tokens)[static_cast<size_t>(i)], i, kPreambleSeq, -1);
      calls += m.execute_on(lane.context, *lane.batch, plan, [](std::span<const PlanOutput>) {});
    }
    const PackBuilder& builder = *lane.builder;
    if (builder.preamble_length() > 0) {
      for (llama_seq_id s = 1; s < seq_end; ++s) llama_memory_seq_cp(mem, kPreambleSeq, s, -1, -1);
    }
    const auto& targets = builder.targets();
    std::vector<RowStats> stats;
    calls += m.execute_on(lane.context, *lane.batch, builder.plan(), [&](std::span<const PlanOutput> outputs) {
      stats.resize(outputs.size());
      m.pool->parallel_for(static_cast<int64_t>(outputs.size()), [&](int64_t k) {
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
    for (llama_seq_id s = 1; s < seq_end; ++s) llama_memory_seq_rm(mem, s, -1, -1);
    return calls;
  };

  // Which units each lane packs next: a run of units of one preamble, so that a lane evaluates each
  // preamble once. A lane whose run is done takes the next run; when none is left it takes the
  // second half of the largest run in progress, if that half is worth its preamble (a whole pack).
  struct Run {
    size_t begin = 0;
    size_t end = 0;
    size_t size() const { return end - begin; }
  };
  std::vector<Run> runs;
  for (size_t i = 0; i < units.size(); ++i) {
    if (runs.empty() || units[i].preamble != units[runs.back().begin].preamble) runs.push_back({i, i});
    runs.back().end = i + 1;
  }
  std::vector<Run> work(lanes.size());
  size_t next_run = 0;
  const auto preamble_length = [&](int32_t preamble) {
    return preamble < 0 ? 0 : static_cast<int32_t>(prepared.preambles[static_cast<size_t>(preamble)].size());
  };
  const auto take_work = [&](size_t l) {
    if (work[l].size() > 0) return true;
    if (next_run < runs.size()) {
      work[l] = runs[next_run++];
      return true;
    }
    size_t victim = l;
    for (size_t o = 0; o < work.size(); ++o) {
      if (work[o].size() > work[victim].size()) victim = o;
    }
    if (work[victim].size() < 2) return false;
    const Run half{work[victim].begin + work[victim].size() / 2, work[victim].end};
    const int32_t preamble = units[half.begin].preamble;
    if (preamble >= 0 && lanes[l].preamble != preamble) {
      int64_t cells = 0;
      int64_t members = 0;
      for (size_t i = half.begin; i < half.end; ++i) {
        cells += units[i].cells;
        members += static_cast<int64_t>(units[i].members.size());
      }
      if (cells < m.n_ctx - preamble_length(preamble) && members < max_members) return false;
    }
    work[victim].end = half.begin;
    work[l] = half;
    return true;
  };
  const auto work_left = [&] {
    if (next_run < runs.size()) return true;
    return std::any_of(work.begin(), work.end(), [](const Run& r) { return r.size() > 0; });
  };

  size_t turn = 0;
  try {
    while (work_left()) {
      const size_t l = turn++ % lanes.size();
      Lane& lane = lanes[l];
      finish(lane);
      if (!take_work(l)) continue;  // another lane holds what is left
      Run& mine = work[l];
      const int32_t preamble = units[mine.begin].preamble;
      const std::vector<llama_token>* preamble_tokens = nullptr;
      const int32_t P = preamble_length(preamble);
      if (preamble >= 0) {
        if (lane.preamble != preamble) {
          preamble_tokens = &prepared.preambles[static_cast<size_t>(preamble)];
          m.counters.prompt_tokens_evaluated += P;
        }
      } else if (lane.preamble != -1) {
        llama_memory_clear(llama_get_memory(lane.context), true);
      }
      lane.preamble = preamble;
      // One pack: as many of the run's units as fit in the KV cache and the sequence ids.
      lane.builder->reset(P);
      int64_t cells = 0;
      llama_seq_id seq = 1;
      while (mine.size() > 0) {
        const auto& u = units[mine.begin];
        const auto n = static_cast<int32_t>(u.members.size());
        if (lane.members > 0 && (cells + u.cells > m.n_ctx - P || seq + n > m.n_seq_max)) break;
        lane.builder->add_unit(u, seq);
        m.counters.prompt_tokens_reused += static_cast<int64_t>(P) * n + static_cast<int64_t>(u.shared) * (n - 1);
        cells += u.cells;
        seq += n;
        lane.members += n;
        ++mine.begin;
      }
      m.counters.prompt_tokens_evaluated += lane.builder->plan().size();
      lane.busy = true;
      if (lane.worker == nullptr) {
        lane.calls = run_pack(lane, preamble_tokens, seq);
      } else {
        lane.pending = lane.worker->run(
            [&run_pack, &lane, preamble_tokens, seq] { lane.calls = run_pack(lane, preamble_tokens, seq); });
      }
    }
    for (size_t i = 0; i < lanes.size(); ++i) finish(lanes[turn++ % lanes.size()]);
  } catch (...) {
    // Let every worker end before the state they use goes away; the first error is the one reported.
    for (Lane& lane : lanes) {
      if (lane.pending.valid()) lane.pending.wait();
    }
    for (Lane& lane : lanes) llama_memory_clear(llama_get_memory(lane.context), true);
    throw;
  }
  for (Lane& lane : lanes) llama_memory_clear(llama_get_memory(lane.context), true);
  m.track_gpu_memory();
  return results;
}

}  // namespace jouleval::engine
