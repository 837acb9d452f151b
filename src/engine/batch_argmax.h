// The argmax of a generation context's outputs on the device, one ggml_argmax per micro-batch for
// all of its rows, through llama.cpp's backend sampling (EXPERIMENTAL at the pinned version).
//
// llama.cpp's own greedy sampler adds one ggml_argmax per sequence to every micro-batch graph (one
// block of the device over one row each, active sequence or not): at 256 sequences on an H200 that
// cost 8 ms more per step than copying every row's logits to the host (docs/engine.md "Argmax on
// the device"). A BatchArgmax is the shared state of one context's samplers: the first of them that
// llama.cpp applies while it builds a graph adds the argmax of the whole logits matrix, and each
// sampler's token is a one-element view of it. llama.cpp still copies each sampled token id to the
// host and skips the copy of those rows' logits.
//
// Usage: keep the BatchArgmax alive while any of its samplers or a context using them exists;
// pass make_chain() for every sequence id in llama_context_params::samplers.
// Thread safety: the samplers touch the shared state while llama.cpp builds a graph of the context
// they belong to; one context per BatchArgmax, decoded from one thread at a time.
#pragma once

#include "engine/llama_handles.h"

struct ggml_context;
struct ggml_tensor;

namespace jouleval::engine {

class BatchArgmax {
 public:
  BatchArgmax() = default;
  BatchArgmax(const BatchArgmax&) = delete;
  BatchArgmax& operator=(const BatchArgmax&) = delete;

  // A sampler chain (llama.cpp requires chains) holding one sampler that takes its sequence's token
  // from this object's argmax. llama.cpp drops it when the device cannot run an argmax.
  LlamaSamplerPtr make_chain();

  // Called by the samplers (internal): the argmax row of `logits`, a row of the graph's logits
  // matrix, added to `ctx` once per graph; a plain argmax of `logits` when it is not such a row.
  ggml_tensor* token_of(ggml_context* ctx, ggml_tensor* logits);
  // Called by the samplers before llama.cpp builds a graph (internal): forgets the last graph's argmax.
  void reset();

 private:
  ggml_context* ctx_ = nullptr;    // the graph being built
  ggml_tensor* matrix_ = nullptr;  // its logits matrix
  ggml_tensor* argmax_ = nullptr;  // argmax of each of its rows
};

}  // namespace jouleval::engine
