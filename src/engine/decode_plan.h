// A list of tokens to run through the model (token, position, sequence ids, whether its logits are
// wanted) that the engine executes in decode calls of at most n_batch tokens. Built by the
// loglikelihood and generation schedulers; independent of llama_batch capacity.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "llama.h"

namespace jouleval::engine {

class DecodePlan {
 public:
  struct Entry {
    llama_token token;
    llama_pos pos;
    int32_t seq_begin;  // into seq_ids()
    int32_t seq_count;
    int32_t output;  // caller's id for the logits of this token, -1 = no logits
  };

  void add(llama_token token, llama_pos pos, std::span<const llama_seq_id> seqs, int32_t output) {
    entries_.push_back({token, pos, static_cast<int32_t>(seq_ids_.size()), static_cast<int32_t>(seqs.size()), output});
    seq_ids_.insert(seq_ids_.end(), seqs.begin(), seqs.end());
  }
  void add(llama_token token, llama_pos pos, llama_seq_id seq, int32_t output) {
    add(token, pos, std::span<const llama_seq_id>(&seq, 1), output);
  }
  void clear() {
    entries_.clear();
    seq_ids_.clear();
  }
  bool empty() const { return entries_.empty(); }
  int64_t size() const { return static_cast<int64_t>(entries_.size()); }
  const std::vector<Entry>& entries() const { return entries_; }
  std::span<const llama_seq_id> seqs_of(const Entry& e) const {
    return std::span<const llama_seq_id>(seq_ids_).subspan(static_cast<size_t>(e.seq_begin),
                                                           static_cast<size_t>(e.seq_count));
  }

 private:
  std::vector<Entry> entries_;
  std::vector<llama_seq_id> seq_ids_;
};

// The logits of one planned token, handed to the caller after each decode call: its n_vocab logits,
// or only their argmax when the context took it on the device (Model::Impl::execute_on).
struct PlanOutput {
  int32_t id;
  const float* logits = nullptr;           // n_vocab floats, valid until the next decode call
  llama_token sampled = LLAMA_TOKEN_NULL;  // the device's argmax; then `logits` is null
};

}  // namespace jouleval::engine
