// Which items a `limit` keeps (deterministic, machine-independent) and which few-shot examples each
// item gets (lm-eval's seeded draws). See docs/tasks.md "Limit" and "Few-shot".
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

}  // namespace jouleval::tasks
