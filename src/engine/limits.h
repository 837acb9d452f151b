// The ranges of engine::ModelOptions that Model::load accepts (docs/engine.md "Limits"). Values
// outside them are refused with util::Error (kUsage) naming the option and the range, before
// llama.cpp sees them: llama.cpp aborts the process on some (e.g. more sequences than batch tokens).
// The CLI and the sweep configuration check their own options against the same constants.
// Plain constants; no dependencies.
#pragma once

#include <cstdint>

namespace jouleval::engine {

// KV cache size in tokens (ModelOptions::context_size; 0 = the model's training context, at least
// 512). llama.cpp allocates the cache in blocks of 256 cells, so no smaller cache exists.
inline constexpr int32_t kContextBlock = 256;
inline constexpr int32_t kMinContextSize = kContextBlock;
// 16 Mi tokens: beyond any model's training context, and far from the 32-bit limits of llama.cpp's
// cell counts and positions.
inline constexpr int32_t kMaxContextSize = 1 << 24;

// Parallel sequences (ModelOptions::max_sequences, llama.cpp's n_seq_max; 0 = kDefaultSequences,
// lowered to the batch size when that is smaller). Sequence 0 holds a shared few-shot preamble
// during scoring, so at least two are needed. llama.cpp's LLAMA_MAX_SEQ is 256.
inline constexpr int32_t kMinSequences = 2;
inline constexpr int32_t kMaxSequences = 256;
inline constexpr int32_t kDefaultSequences = 64;

// At most how many sequences generation decodes together: on the GPU, unless the user set
// max_sequences, kMaxSequences (decoding reads the weights once per step, so more sequences per step
// cost little more), but no more than the `n_batch` tokens of a decode call (llama.cpp reserves an
// output row per sequence in every batch and aborts beyond it); otherwise the scoring context's own
// count. Model::generate halves it while the generation context does not fit in memory, down to
// `n_seq_max`.
inline int32_t generation_sequence_cap(bool on_gpu, int32_t max_sequences_option, int32_t n_seq_max, int32_t n_batch) {
  if (!on_gpu || max_sequences_option != 0) return n_seq_max;
  const int32_t cap = n_seq_max > kMaxSequences ? n_seq_max : kMaxSequences;
  const int32_t fits = n_batch > n_seq_max ? n_batch : n_seq_max;
  return cap < fits ? cap : fits;
}

// Generation evaluates a prompt prefix that every prompt of a call shares once and copies its KV
// cache to the sequences, when it has at least this many tokens (docs/engine.md "Shared prompt
// prefix"). A copy costs a stream's memory on the device whatever the prefix's length; below this,
// evaluating the prefix with each prompt is as cheap and avoids the copies.
inline constexpr int32_t kMinSharedPrefixTokens = 32;

// Tokens per decode call (ModelOptions::batch_size; 0 = chosen at load). llama.cpp reserves one
// output row per sequence in every batch and aborts when max_sequences exceeds the batch size, so
// batch_size >= max_sequences is required as well (Model::load names both when it is not).
// llama.cpp also caps the batch at the context size.
inline constexpr int32_t kMinBatchSize = kMinSequences;
inline constexpr int32_t kMaxBatchSize = 65536;

// Tokens per device micro-batch (ModelOptions::ubatch_size; 0 = chosen at load). At most the batch
// size when both are given.
inline constexpr int32_t kMinUbatchSize = 1;
inline constexpr int32_t kMaxUbatchSize = kMaxBatchSize;

// CPU threads (ModelOptions::threads; 0 = physical cores). ggml's CPU thread pool holds at most
// GGML_MAX_N_THREADS = 512.
inline constexpr int32_t kMaxThreads = 512;

// Scoring lanes (ModelOptions::scoring_lanes; 0 = 2 with placement gpu, else 1).
inline constexpr int32_t kMaxScoringLanes = 8;

// Layers on the GPU with placement partial:N: 0 to the model's block count (checked at load).

// GPU indices of placement gpus:I,...: 0 to kMaxGpus - 1 (llama.cpp's LLAMA_MAX_DEVICES and
// GGML_CUDA_MAX_DEVICES are 16); an index beyond the GPUs found is refused at load.
inline constexpr int32_t kMaxGpus = 16;

}  // namespace jouleval::engine
