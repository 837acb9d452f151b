// Prefill blocks: how the prompts of sequences that are all still filling their KV cache go into
// decode calls when each sequence has its own KV stream (docs/engine.md "Prefill blocks").
//
// llama.cpp runs such a call in micro-batches that are rectangles: a run of consecutive sequence
// ids and the same number of tokens from each (llama_batch_allocr::split_equal). Prompts of unequal
// length therefore break a call that holds them whole into micro-batches of decreasing size, down to
// a few tokens, and every micro-batch reads all the weights once. A prefill block is one rectangle of
// at most n_ubatch tokens, run as one decode call (so as one micro-batch): the first `sequences` of
// a run of consecutive sequence ids, `width` tokens from each. A sequence whose prompt ends inside
// the block is padded to the width with tokens placed after its prompt, whose KV cells are removed
// after the call: no prompt token attends to them (their positions come later), and the next token
// of the sequence takes the first of those positions again.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>

namespace jouleval::engine {

// What one micro-batch costs beyond its tokens, in tokens: all the weights are read once per
// micro-batch (measured on an H200, 7B fp16: ~3 ms, against ~0.04 ms per prompt token at n_ubatch
// 2048). Padding that saves a micro-batch is worth up to this many tokens.
inline constexpr int64_t kMicroBatchCostTokens = 64;
// At most this many sequences per block, and this many of a run are planned ahead.
inline constexpr int32_t kMaxBlockSequences = 64;
inline constexpr int32_t kMaxPlannedSequences = 256;

struct PrefillBlock {
  int32_t sequences = 0;  // the first `sequences` of the run
  int32_t width = 0;      // tokens from each, padding included; sequences * width <= n_ubatch
};

// The first block of a cheapest plan for a whole run of consecutive sequence ids (at most its first
// kMaxPlannedSequences): `remaining[i]` prompt tokens of its i-th sequence are not yet in the cache
// (each >= 1), `pad_room[i]` KV cells its stream has free after its prompt. A plan splits the run
// into groups of consecutive sequences, each taken in blocks of n_ubatch / group-size tokens per
// sequence, the last one as wide as the longest remainder needs, every sequence of the group in every
// block (so a group stays one run; the shorter ones are padded to the longest); its cost is
// kMicroBatchCostTokens per block plus every token computed, padding included. No sequence is
// padded beyond its pad_room; a block of one sequence is never padded. Taking each step's first
// block of a fresh plan costs at most what the first plan costed (its rest stays a plan), so never
// more than taking one sequence at a time. Requires n_ubatch >= 1 and remaining, pad_room of equal,
// non-zero size.
PrefillBlock plan_prefill_block(std::span<const int32_t> remaining, std::span<const int32_t> pad_room,
                                int32_t n_ubatch);

}  // namespace jouleval::engine
