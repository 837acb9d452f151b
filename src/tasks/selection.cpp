#include "tasks/selection.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "tasks/py_random.h"

namespace jouleval::tasks {

std::vector<size_t> select_first(size_t n, int limit) {
  size_t keep = (limit <= 0 || static_cast<size_t>(limit) >= n) ? n : static_cast<size_t>(limit);
  std::vector<size_t> out(keep);
  std::iota(out.begin(), out.end(), size_t{0});
  return out;
}

std::vector<size_t> allocate_largest_remainder(const std::vector<size_t>& sizes, size_t total) {
  const size_t sum = std::accumulate(sizes.begin(), sizes.end(), size_t{0});
  std::vector<size_t> quota(sizes.size(), 0);
  if (sum == 0) return quota;
  if (total >= sum) return sizes;
  std::vector<size_t> remainder(sizes.size());  // numerators over `sum`, exact integer arithmetic
  size_t assigned = 0;
  for (size_t g = 0; g < sizes.size(); ++g) {
    const unsigned long long num = static_cast<unsigned long long>(total) * sizes[g];
    quota[g] = static_cast<size_t>(num / sum);
    remainder[g] = static_cast<size_t>(num % sum);
    assigned += quota[g];
  }
  std::vector<size_t> order(sizes.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
  for (size_t i = 0; assigned < total && i < order.size(); ++i) {
    if (quota[order[i]] < sizes[order[i]]) {
      ++quota[order[i]];
      ++assigned;
    }
  }
  return quota;
}

std::vector<size_t> select_stratified(const std::vector<size_t>& group_sizes, int limit) {
  const size_t sum = std::accumulate(group_sizes.begin(), group_sizes.end(), size_t{0});
  if (limit <= 0 || static_cast<size_t>(limit) >= sum) return select_first(sum, 0);
  std::vector<size_t> quota = allocate_largest_remainder(group_sizes, static_cast<size_t>(limit));
  std::vector<size_t> out;
  out.reserve(static_cast<size_t>(limit));
  size_t offset = 0;
  for (size_t g = 0; g < group_sizes.size(); ++g) {
    for (size_t i = 0; i < quota[g]; ++i) out.push_back(offset + i);
    offset += group_sizes[g];
  }
  return out;
}

std::vector<std::vector<size_t>> draw_fewshot(size_t pool_size, size_t k, uint64_t seed,
                                              const std::vector<size_t>& selected, bool same_split) {
  std::vector<std::vector<size_t>> out(selected.size());
  if (k == 0 || pool_size == 0 || selected.empty()) return out;
  const size_t available = same_split ? pool_size - 1 : pool_size;
  k = std::min(k, available);
  if (k == 0) return out;
  const size_t n_draw = same_split ? k + 1 : k;
  std::unordered_map<size_t, size_t> wanted;  // document index -> position in `selected`
  for (size_t i = 0; i < selected.size(); ++i) wanted.emplace(selected[i], i);
  const size_t last = *std::max_element(selected.begin(), selected.end());
  PyRandom rng(seed);
  for (size_t doc = 0; doc <= last; ++doc) {
    std::vector<size_t> drawn = rng.sample_indices(pool_size, n_draw);
    auto it = wanted.find(doc);
    if (it == wanted.end()) continue;
    std::vector<size_t>& shots = out[it->second];
    for (size_t idx : drawn) {
      if (same_split && idx == doc) continue;
      if (shots.size() < k) shots.push_back(idx);
    }
  }
  return out;
}

std::vector<std::vector<size_t>> first_n_fewshot(size_t pool_size, size_t k, const std::vector<size_t>& selected,
                                                 bool same_split) {
  std::vector<std::vector<size_t>> out(selected.size());
  if (k == 0 || pool_size == 0) return out;
  k = std::min(k, same_split ? pool_size - 1 : pool_size);
  const size_t n_take = same_split ? k + 1 : k;
  for (size_t s = 0; s < selected.size(); ++s) {
    for (size_t idx = 0; idx < n_take && out[s].size() < k; ++idx) {
      if (same_split && idx == selected[s]) continue;
      out[s].push_back(idx);
    }
  }
  return out;
}

std::vector<std::vector<size_t>> fewshot_examples(size_t pool_size, size_t k, const FewshotDraw& draw,
                                                  const std::vector<size_t>& selected, bool same_split) {
  return draw.first_n ? first_n_fewshot(pool_size, k, selected, same_split)
                      : draw_fewshot(pool_size, k, draw.seed, selected, same_split);
}

}  // namespace jouleval::tasks
