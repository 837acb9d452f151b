#include "engine/scoring_plan.h"

#include <algorithm>
#include <map>
#include <utility>

#include "engine/vocab.h"

namespace jouleval::engine {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Token that stands for "no context" when the model adds no BOS (lm-eval uses the EOT token).
llama_token empty_context_token(const llama_vocab* vocab) {
  const llama_token bos = llama_vocab_bos(vocab);
  return bos != LLAMA_TOKEN_NULL ? bos : llama_vocab_eos(vocab);
}

int32_t common_prefix(const std::vector<llama_token>& a, const std::vector<llama_token>& b, int32_t begin,
                      int32_t end) {
  int32_t n = 0;
  while (begin + n < end && a[static_cast<size_t>(begin + n)] == b[static_cast<size_t>(begin + n)]) ++n;
  return n;
}

}  // namespace

PreparedBatch prepare_requests(const llama_vocab* vocab, const std::vector<LoglikelihoodRequest>& requests,
                               int32_t window, ThreadPool& pool) {
  PreparedBatch out;
  out.requests.reserve(requests.size());
  const bool add_bos = llama_vocab_get_add_bos(vocab);
  std::map<std::string, int32_t> preamble_index;

  // Split each request (trailing whitespace of the context moves onto the continuation), then
  // tokenize in parallel: the whole string per request, the context once per run of requests with the
  // same context (the choices of one question). Tokenization is the costly host-side step.
  const auto n = static_cast<int64_t>(requests.size());
  std::vector<std::string> contexts(requests.size()), continuations(requests.size());
  std::vector<int64_t> context_owner(requests.size());
  for (int64_t i = 0; i < n; ++i) {
    const auto& req = requests[static_cast<size_t>(i)];
    size_t keep = req.context.size();
    while (keep > 0 && is_space(req.context[keep - 1])) --keep;
    contexts[static_cast<size_t>(i)] = req.context.substr(0, keep);
    continuations[static_cast<size_t>(i)] = req.context.substr(keep) + req.continuation;
    context_owner[static_cast<size_t>(i)] =
        i > 0 && contexts[static_cast<size_t>(i)] == contexts[static_cast<size_t>(i - 1)]
            ? context_owner[static_cast<size_t>(i - 1)]
            : i;
  }
  std::vector<std::vector<llama_token>> wholes(requests.size()), context_tokens(requests.size());
  pool.parallel_for(n, [&](int64_t i) {
    const auto k = static_cast<size_t>(i);
    wholes[k] = tokenize(vocab, contexts[k] + continuations[k], false);
    if (context_owner[k] == i) context_tokens[k] = tokenize(vocab, contexts[k], false);
  });

  for (int64_t i = 0; i < n; ++i) {
    const auto& req = requests[static_cast<size_t>(i)];
    PreparedRequest p;
    std::string& context = contexts[static_cast<size_t>(i)];
    const std::vector<llama_token>& whole = wholes[static_cast<size_t>(i)];
    const std::vector<llama_token>& ctx_tokens =
        context_tokens[static_cast<size_t>(context_owner[static_cast<size_t>(i)])];
    const size_t split = std::min(ctx_tokens.size(), whole.size());

    std::vector<llama_token> all;
    all.reserve(whole.size() + 1);
    if (add_bos) {
      all.push_back(llama_vocab_bos(vocab));
    } else if (split == 0) {
      all.push_back(empty_context_token(vocab));
    }
    const auto prefix_len = static_cast<int32_t>(all.size());
    all.insert(all.end(), whole.begin(), whole.end());
    int32_t cont_begin = prefix_len + static_cast<int32_t>(split);
    if (cont_begin == 0) cont_begin = 1;  // nothing to condition on: the first token cannot be scored

    const int32_t n_fed = static_cast<int32_t>(all.size()) - 1;
    const int32_t drop = std::max(0, n_fed - window);
    p.n_truncated = drop;
    p.tokens.assign(all.begin() + drop, all.end());
    p.cont_begin = std::clamp(cont_begin - drop, 1, static_cast<int32_t>(p.tokens.size()));
    p.context = std::move(context);

    if (!req.preamble.empty() && drop == 0) {
      auto [it, inserted] = preamble_index.try_emplace(req.preamble, static_cast<int32_t>(out.preambles.size()));
      if (inserted) {
        std::vector<llama_token> pt = tokenize(vocab, req.preamble, false);
        if (add_bos) pt.insert(pt.begin(), llama_vocab_bos(vocab));
        out.preambles.push_back(std::move(pt));
      }
      const auto& pt = out.preambles[static_cast<size_t>(it->second)];
      // Reuse only when the preamble's tokens are exactly the first tokens of the full tokenisation
      // and no logit is needed inside it.
      const bool usable = !pt.empty() && static_cast<int32_t>(pt.size()) <= p.cont_begin - 1 &&
                          std::equal(pt.begin(), pt.end(), p.tokens.begin());
      if (usable) p.preamble = it->second;
    }
    out.requests.push_back(std::move(p));
  }
  return out;
}

std::vector<ScoringUnit> make_units(const PreparedBatch& batch, int64_t max_cells, int32_t max_members) {
  // Groups of requests with the same preamble and context, in order of first appearance.
  std::map<std::pair<int32_t, std::string>, size_t> group_of;
  std::vector<std::vector<int32_t>> groups;
  for (size_t i = 0; i < batch.requests.size(); ++i) {
    const auto& r = batch.requests[i];
    if (r.n_scored() <= 0) continue;
    auto [it, inserted] = group_of.try_emplace({r.preamble, r.context}, groups.size());
    if (inserted) groups.emplace_back();
    groups[it->second].push_back(static_cast<int32_t>(i));
  }

  std::vector<ScoringUnit> units;
  for (const auto& group : groups) {
    const int32_t preamble = batch.requests[static_cast<size_t>(group.front())].preamble;
    const int32_t P = preamble < 0 ? 0 : static_cast<int32_t>(batch.preambles[static_cast<size_t>(preamble)].size());
    const int64_t cap = max_cells - P;
    ScoringUnit unit;
    int64_t own_sum = 0;  // sum over members of fed tokens after the preamble
    auto flush = [&] {
      if (!unit.members.empty()) units.push_back(std::move(unit));
      unit = ScoringUnit{};
      own_sum = 0;
    };
    for (int32_t m : group) {
      const auto& r = batch.requests[static_cast<size_t>(m)];
      const int32_t own = r.n_fed() - P;
      int32_t shared = own;
      if (!unit.members.empty()) {
        const auto& first = batch.requests[static_cast<size_t>(unit.members.front())];
        const int32_t end = std::min(first.n_fed(), r.n_fed());
        shared = std::min(unit.shared, common_prefix(first.tokens, r.tokens, P, end));
      }
      const auto count = static_cast<int64_t>(unit.members.size()) + 1;
      const int64_t cells = own_sum + own - (count - 1) * shared;
      if (!unit.members.empty() && (cells > cap || count > max_members)) {
        flush();
        shared = own;
      }
      unit.preamble = preamble;
      unit.members.push_back(m);
      unit.shared = shared;
      own_sum += own;
      unit.cells = own_sum - (static_cast<int64_t>(unit.members.size()) - 1) * unit.shared;
    }
    flush();
  }
  std::stable_sort(units.begin(), units.end(),
                   [](const ScoringUnit& a, const ScoringUnit& b) { return a.preamble < b.preamble; });
  return units;
}

}  // namespace jouleval::engine
