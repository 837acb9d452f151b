// Preparation of loglikelihood requests (docs/engine.md "Batched loglikelihood"): whitespace moved onto the
// continuation, split point from the whole-string tokenisation, BOS, left truncation, preamble
// check; then grouping of requests that share a prefix into units that fit one decode pack.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/requests.h"
#include "engine/thread_pool.h"
#include "llama.h"

namespace jouleval::engine {

// One request made ready for the model.
struct PreparedRequest {
  std::vector<llama_token> tokens;  // after truncation; all but the last are fed to the model
  int32_t cont_begin = 0;           // index in `tokens` of the first scored token (>= 1)
  int32_t n_truncated = 0;
  int32_t preamble = -1;  // index into PreparedBatch::preambles when its KV can be reused
  std::string context;    // context after the whitespace move (grouping key)

  int32_t n_fed() const { return static_cast<int32_t>(tokens.size()) - 1; }
  int32_t n_scored() const { return static_cast<int32_t>(tokens.size()) - cont_begin; }
};

struct PreparedBatch {
  std::vector<PreparedRequest> requests;
  std::vector<std::vector<llama_token>> preambles;  // token ids (BOS included) of each distinct preamble
};

// `window`: the most tokens one sequence may feed (the context size). Tokenizes on `pool`; each
// distinct context of consecutive requests is tokenized once.
PreparedBatch prepare_requests(const llama_vocab* vocab, const std::vector<LoglikelihoodRequest>& requests,
                               int32_t window, ThreadPool& pool);

// Requests (indices) that go into one set of sequences decoded together: members share the first
// `shared` fed tokens after the preamble, which are put in the batch once with all their ids.
struct ScoringUnit {
  int32_t preamble = -1;
  std::vector<int32_t> members;
  int32_t shared = 0;
  int64_t cells = 0;  // KV cells the unit needs beyond the preamble
};

// Groups requests with the same preamble and context; splits groups so that each unit needs at most
// `max_cells` KV cells and `max_members` sequences. Units come ordered by preamble (-1 first).
std::vector<ScoringUnit> make_units(const PreparedBatch& batch, int64_t max_cells, int32_t max_members);

}  // namespace jouleval::engine
