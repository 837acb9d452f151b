#include "engine/prefill_plan.h"

#include <algorithm>
#include <limits>
#include <vector>

namespace jouleval::engine {
namespace {

constexpr int64_t kInfeasible = std::numeric_limits<int64_t>::max() / 4;

// The cost of taking `remaining` (one group) in blocks of n_ubatch / size tokens per sequence, the
// last block as wide as the longest remainder needs, or kInfeasible. Every sequence of the group must
// take part in every block: one that ended earlier would split the run of consecutive ids in two, and
// the group's later blocks could not be the rectangles planned here. So every sequence is padded
// to the longest remainder, within its pad_room.
int64_t group_cost(std::span<const int32_t> remaining, std::span<const int32_t> pad_room, int32_t n_ubatch) {
  const auto k = static_cast<int64_t>(remaining.size());
  const int64_t t = n_ubatch / k;
  if (t < 1) return kInfeasible;
  const int64_t longest = *std::max_element(remaining.begin(), remaining.end());
  const int64_t blocks = (longest + t - 1) / t;
  for (size_t i = 0; i < remaining.size(); ++i) {
    if (remaining[i] <= (blocks - 1) * t || longest - remaining[i] > pad_room[i]) return kInfeasible;
  }
  return blocks * kMicroBatchCostTokens + k * longest;
}

}  // namespace

PrefillBlock plan_prefill_block(std::span<const int32_t> remaining, std::span<const int32_t> pad_room,
                                int32_t n_ubatch) {
  const size_t n = std::min(remaining.size(), static_cast<size_t>(kMaxPlannedSequences));
  // cost[i]: the cheapest plan for sequences i..n-1; size[i]: the size of its first group.
  std::vector<int64_t> cost(n + 1, kInfeasible);
  std::vector<int32_t> size(n + 1, 1);
  cost[n] = 0;
  for (size_t i = n; i-- > 0;) {
    const size_t most = std::min(n - i, static_cast<size_t>(kMaxBlockSequences));
    for (size_t k = 1; k <= most; ++k) {
      const int64_t c = group_cost(remaining.subspan(i, k), pad_room.subspan(i, k), n_ubatch);
      if (c >= kInfeasible || cost[i + k] >= kInfeasible) continue;
      if (c + cost[i + k] < cost[i]) {
        cost[i] = c + cost[i + k];
        size[i] = static_cast<int32_t>(k);
      }
    }
  }
  PrefillBlock block;
  block.sequences = size[0];
  const int32_t t = n_ubatch / block.sequences;
  const int32_t longest = *std::max_element(remaining.begin(), remaining.begin() + block.sequences);
  block.width = std::min(t, longest);
  return block;
}

}  // namespace jouleval::engine
