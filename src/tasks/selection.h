// Which items a `limit` keeps (deterministic, machine-independent) and which few-shot examples each
// item gets (lm-eval's seeded draws, or the first rows of the pool). See docs/tasks.md "Limit" and
// "Few-shot".
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace jouleval::tasks {

// limit <= 0 or >= n: every index; else the first `limit` indices (lm-eval's --limit).
std::vector<size_t> select_first(size_t n, int limit);

// Proportional allocation of `total` over groups of the given sizes by largest remainders: each
// group gets floor(total * size / sum); the leftover units go to the largest fractional parts
// (ties: earlier group first). Sums to min(total, sum of sizes).
std::vector<size_t> allocate_largest_remainder(const std::vector<size_t>& sizes, size_t total);

// Stratified selection over consecutive groups (MMLU subjects in order): each group keeps its first
// allocate_largest_remainder(...)[g] items. Returns global indices, ascending.
std::vector<size_t> select_stratified(const std::vector<size_t>& group_sizes, int limit);

// lm-eval's default few-shot sampler: one PyRandom(seed) per task; the documents are visited in
// dataset order 0..max(selected) and each draws random.sample(pool, k) in turn. When the pool is the
// evaluated split itself (same_split), k+1 are drawn, the document itself is dropped and the first k
// kept. k is capped at the pool size (at pool size - 1 for same_split). Returns, for each selected
// document (in the order given), the pool indices of its examples in draw order.
std::vector<std::vector<size_t>> draw_fewshot(size_t pool_size, size_t k, uint64_t seed,
                                              const std::vector<size_t>& selected, bool same_split);

// lm-eval's first_n sampler: every selected document gets the pool's first k rows, in pool order
// (k capped at the pool size). With same_split (the pool is the evaluated split) the first k+1 rows
// are taken, the document itself is dropped and the first k kept (k capped at pool size - 1), so
// only the documents among the first k+1 rows get other examples. Same result shape as
// draw_fewshot.
std::vector<std::vector<size_t>> first_n_fewshot(size_t pool_size, size_t k, const std::vector<size_t>& selected,
                                                 bool same_split);

// How a task's few-shot examples are chosen (TaskOptions::fewshot_sampler, docs/tasks.md "Few-shot").
struct FewshotDraw {
  uint64_t seed = 1234;  // draw_fewshot's seed (unused with first_n)
  bool first_n = false;  // first_n_fewshot instead of draw_fewshot
};

// first_n_fewshot or draw_fewshot, as `draw` says.
std::vector<std::vector<size_t>> fewshot_examples(size_t pool_size, size_t k, const FewshotDraw& draw,
                                                  const std::vector<size_t>& selected, bool same_split);

}  // namespace jouleval::tasks
