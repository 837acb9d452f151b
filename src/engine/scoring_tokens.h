// The exact token ids the engine scores for loglikelihood requests, without loading weights: for
// handing the same work to another implementation (bench/transformers_peer.py) and comparing.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/requests.h"
#include "engine/vocab.h"

namespace jouleval::engine {

struct ScoredTokens {
  // BOS (or the empty-context token) when the engine adds one, then context and continuation;
  // left-truncated to `window` fed tokens. All but the last token are fed to the model.
  std::vector<Token> tokens;
  int32_t continuation_begin = 0;  // index of the first scored token (>= 1)
  int32_t n_truncated = 0;         // tokens dropped from the left
};

// The tokens and split point Model::loglikelihood uses for each request (docs/engine.md "Batched
// loglikelihood": whitespace moved onto the continuation, split from the whole-string tokenisation),
// in the order of `requests`. `window`: the most tokens one request may feed (a model's context size).
std::vector<ScoredTokens> scoring_tokens(const Vocab& vocab, const std::vector<LoglikelihoodRequest>& requests,
                                         int32_t window);

}  // namespace jouleval::engine
