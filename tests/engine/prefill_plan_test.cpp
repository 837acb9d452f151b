// Prefill blocks: rectangles of at most n_ubatch tokens that take a run of prompts in few micro-batches.
#include "engine/prefill_plan.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace jouleval::engine {
namespace {

struct Outcome {
  int64_t blocks = 0;
  int64_t padding = 0;
};

// Takes `remaining` (one run of consecutive sequences) to the end as Model::generate does: each
// step one block of the run that starts at the lowest sequence with tokens left. Checks every block.
Outcome run_plan(std::vector<int32_t> remaining, const std::vector<int32_t>& pad_room, int32_t n_ubatch) {
  Outcome out;
  std::vector<int32_t> padded(remaining.size(), 0);
  for (;;) {
    size_t first = 0;
    while (first < remaining.size() && remaining[first] == 0) ++first;
    if (first == remaining.size()) return out;
    size_t end = first;
    while (end < remaining.size() && remaining[end] > 0) ++end;
    const std::vector<int32_t> run(remaining.begin() + static_cast<std::ptrdiff_t>(first),
                                   remaining.begin() + static_cast<std::ptrdiff_t>(end));
    const std::vector<int32_t> room(pad_room.begin() + static_cast<std::ptrdiff_t>(first),
                                    pad_room.begin() + static_cast<std::ptrdiff_t>(end));
    const PrefillBlock b = plan_prefill_block(run, room, n_ubatch);
    EXPECT_GE(b.sequences, 1);
    EXPECT_LE(static_cast<size_t>(b.sequences), run.size());
    EXPECT_GE(b.width, 1);
    EXPECT_LE(static_cast<int64_t>(b.sequences) * b.width, n_ubatch);
    if (b.sequences == 1) {
      EXPECT_LE(b.width, run[0]) << "a block of one sequence is never padded";
    }
    for (int32_t i = 0; i < b.sequences; ++i) {
      int32_t& r = remaining[first + static_cast<size_t>(i)];
      const int32_t pad = b.width > r ? b.width - r : 0;
      EXPECT_LE(pad, room[static_cast<size_t>(i)]) << "sequence " << first + static_cast<size_t>(i);
      out.padding += pad;
      r = b.width > r ? 0 : r - b.width;
    }
    ++out.blocks;
    if (out.blocks > 100000) {
      ADD_FAILURE() << "the plan does not end";
      return out;
    }
  }
}

TEST(PrefillPlan, EqualPromptsTakeWholeMicroBatchesWithoutPadding) {
  // 8 prompts of 100 tokens, 512 tokens per micro-batch: 800 tokens need 2.
  const Outcome o = run_plan(std::vector<int32_t>(8, 100), std::vector<int32_t>(8, 1000), 512);
  EXPECT_EQ(o.blocks, 2);
  EXPECT_EQ(o.padding, 0);
}

// Lengths 90..83, sorted as the longest-first admission makes them.
const std::vector<int32_t> kSortedLengths = {90, 89, 88, 87, 86, 85, 84, 83};

TEST(PrefillPlan, UnequalPromptsArePaddedInsteadOfSplitIntoSmallMicroBatches) {
  // Held whole in one call, llama.cpp's equal split makes one micro-batch per distinct length (8
  // here). Blocks: 2, padded by at most the length differences (28 tokens in all).
  const Outcome o = run_plan(kSortedLengths, std::vector<int32_t>(8, 1000), 512);
  EXPECT_EQ(o.blocks, 2);
  EXPECT_GT(o.padding, 0);
  EXPECT_LE(o.padding, 28);
}

TEST(PrefillPlan, NoRoomForPaddingMeansNoPadding) {
  const Outcome o = run_plan(kSortedLengths, std::vector<int32_t>(8, 0), 512);
  EXPECT_EQ(o.padding, 0);
  EXPECT_EQ(o.blocks, 8);  // no two lengths are equal, and each fits one micro-batch
}

TEST(PrefillPlan, TwoLongPromptsOfNearlyEqualLengthShareOneMicroBatch) {
  const PrefillBlock b = plan_prefill_block(std::vector<int32_t>{950, 948}, std::vector<int32_t>{300, 300}, 2048);
  EXPECT_EQ(b.sequences, 2);
  EXPECT_EQ(b.width, 950);
}

TEST(PrefillPlan, APromptLongerThanAMicroBatchGoesInFullMicroBatches) {
  const PrefillBlock b = plan_prefill_block(std::vector<int32_t>{5000}, std::vector<int32_t>{0}, 2048);
  EXPECT_EQ(b.sequences, 1);
  EXPECT_EQ(b.width, 2048);
  const Outcome o = run_plan({5000}, {0}, 2048);
  EXPECT_EQ(o.blocks, 3);
  EXPECT_EQ(o.padding, 0);
}

TEST(PrefillPlan, NeverWorseThanOneSequenceAtATime) {
  // Random runs: the plan's micro-batches plus its tokens (the cost it minimises) never exceed those of
  // taking each prompt alone, the plan that never pads; every block checked by run_plan.
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const int32_t n_ubatch = std::uniform_int_distribution<int32_t>(1, 600)(rng);
    const int32_t n = std::uniform_int_distribution<int32_t>(1, 40)(rng);
    std::vector<int32_t> remaining(static_cast<size_t>(n));
    std::vector<int32_t> room(static_cast<size_t>(n));
    int64_t tokens = 0;
    int64_t alone = 0;
    for (int32_t i = 0; i < n; ++i) {
      remaining[static_cast<size_t>(i)] = std::uniform_int_distribution<int32_t>(1, 300)(rng);
      room[static_cast<size_t>(i)] = std::uniform_int_distribution<int32_t>(0, 50)(rng);
      tokens += remaining[static_cast<size_t>(i)];
      alone += (remaining[static_cast<size_t>(i)] + n_ubatch - 1) / n_ubatch;
    }
    const Outcome o = run_plan(remaining, room, n_ubatch);
    EXPECT_LE(o.blocks * kMicroBatchCostTokens + tokens + o.padding, alone * kMicroBatchCostTokens + tokens)
        << "trial " << trial << " n_ubatch " << n_ubatch << " " << ::testing::PrintToString(remaining) << " room "
        << ::testing::PrintToString(room);
  }
}

}  // namespace
}  // namespace jouleval::engine
