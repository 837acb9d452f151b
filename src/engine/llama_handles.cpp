#include "engine/llama_handles.h"

#include <fmt/format.h>

#include "util/error.h"

namespace jouleval::engine {

Batch::Batch(int32_t capacity, int32_t max_seq_ids)
    : batch_(llama_batch_init(capacity, 0, max_seq_ids)), capacity_(capacity), max_seq_ids_(max_seq_ids) {}

Batch::~Batch() { llama_batch_free(batch_); }

int32_t Batch::add(llama_token token, llama_pos pos, std::span<const llama_seq_id> seq_ids, bool logits) {
  const int32_t i = batch_.n_tokens;
  if (i >= capacity_ || static_cast<int32_t>(seq_ids.size()) > max_seq_ids_) {
    throw util::Error(fmt::format("internal: batch overflow ({} tokens, {} sequence ids)", i + 1, seq_ids.size()));
  }
  batch_.token[i] = token;
  batch_.pos[i] = pos;
  batch_.n_seq_id[i] = static_cast<int32_t>(seq_ids.size());
  for (size_t s = 0; s < seq_ids.size(); ++s) batch_.seq_id[i][s] = seq_ids[s];
  batch_.logits[i] = logits ? 1 : 0;
  ++batch_.n_tokens;
  return i;
}

}  // namespace jouleval::engine
