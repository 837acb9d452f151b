#include "engine/scoring_tokens.h"

#include "engine/scoring_plan.h"
#include "engine/thread_pool.h"

namespace jouleval::engine {

std::vector<ScoredTokens> scoring_tokens(const Vocab& vocab, const std::vector<LoglikelihoodRequest>& requests,
                                         int32_t window) {
  ThreadPool pool(1);  // tokenization on the calling thread
  PreparedBatch batch = prepare_requests(vocab.raw(), requests, window, pool);
  std::vector<ScoredTokens> out;
  out.reserve(batch.requests.size());
  for (PreparedRequest& r : batch.requests) {
    out.push_back(ScoredTokens{std::move(r.tokens), r.cont_begin, r.n_truncated});
  }
  return out;
}

}  // namespace jouleval::engine
