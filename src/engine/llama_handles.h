// RAII owners of llama.cpp objects (model, context, sampler, batch, gguf context), so that every
// exit path frees what was created. Internal to the engine layer.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "gguf.h"
#include "llama.h"

namespace jouleval::engine {

struct LlamaModelDeleter {
  void operator()(llama_model* m) const { llama_model_free(m); }
};
struct LlamaContextDeleter {
  void operator()(llama_context* c) const { llama_free(c); }
};
struct LlamaSamplerDeleter {
  void operator()(llama_sampler* s) const { llama_sampler_free(s); }
};
struct GgufDeleter {
  void operator()(gguf_context* g) const { gguf_free(g); }
};

using LlamaModelPtr = std::unique_ptr<llama_model, LlamaModelDeleter>;
using LlamaContextPtr = std::unique_ptr<llama_context, LlamaContextDeleter>;
using LlamaSamplerPtr = std::unique_ptr<llama_sampler, LlamaSamplerDeleter>;
using GgufPtr = std::unique_ptr<gguf_context, GgufDeleter>;

// A llama_batch with a fixed token capacity and up to `max_seq_ids` sequence ids per token.
class Batch {
 public:
  Batch(int32_t capacity, int32_t max_seq_ids);
  ~Batch();
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  void clear() { batch_.n_tokens = 0; }
  // Appends a token; returns its index in the batch.
  int32_t add(llama_token token, llama_pos pos, std::span<const llama_seq_id> seq_ids, bool logits);
  int32_t size() const { return batch_.n_tokens; }
  int32_t capacity() const { return capacity_; }
  const llama_batch& raw() const { return batch_; }

 private:
  llama_batch batch_;
  int32_t capacity_;
  int32_t max_seq_ids_;
};

}  // namespace jouleval::engine
