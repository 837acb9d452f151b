// Limit selection (first N, stratified by largest remainders), CPython-compatible random draws.
#include <numeric>

#include <gtest/gtest.h>

#include "tasks/load_task.h"
#include "tasks/py_random.h"
#include "tasks/selection.h"
#include "test_util.h"

namespace jouleval::tasks {
namespace {

TEST(tasks_PyRandom, MatchesCPythonStream) {
  // Reference values from CPython 3.11: random.Random(1234).getrandbits(32) x3.
  PyRandom r(1234);
  EXPECT_EQ(r.getrandbits(32), 4150886329u);
  EXPECT_EQ(r.getrandbits(32), 3342196574u);
  EXPECT_EQ(r.getrandbits(32), 1892932127u);
  EXPECT_EQ(PyRandom(0).getrandbits(32), 3626764237u);
  EXPECT_EQ(PyRandom((1ull << 40) + 5).getrandbits(32), 2166296868u);  // two-word seed key
}

TEST(tasks_PyRandom, SampleMatchesCPython) {
  // random.Random(1234).sample(range(7473), 5), three times: lm-eval's GSM8K draws for docs 0..2.
  PyRandom r(1234);
  EXPECT_EQ(r.sample_indices(7473, 5), (std::vector<size_t>{6374, 3610, 957, 61, 742}));
  EXPECT_EQ(r.sample_indices(7473, 5), (std::vector<size_t>{7462, 6610, 4769, 286, 5501}));
  EXPECT_EQ(r.sample_indices(7473, 5), (std::vector<size_t>{5677, 687, 806, 6279, 2905}));
  // Small population: the pool-based branch.
  PyRandom s(1234);
  EXPECT_EQ(s.sample_indices(6, 5), (std::vector<size_t>{3, 0, 4, 5, 2}));
  EXPECT_EQ(s.sample_indices(6, 5), (std::vector<size_t>{5, 0, 4, 1, 3}));
  // k > 5 changes the set-size threshold: random.Random(42).sample(range(1119), 25).
  PyRandom t(42);
  EXPECT_EQ(t.sample_indices(1119, 25),
            (std::vector<size_t>{228, 51,  563,  501, 457, 285, 209, 1116, 178, 864, 65,  61, 191,
                                 447, 476, 1034, 54,  407, 859, 451, 919,  569, 13,  326, 865}));
}

TEST(tasks_Selection, FirstN) {
  EXPECT_EQ(select_first(5, 0).size(), 5u);
  EXPECT_EQ(select_first(5, -1).size(), 5u);
  EXPECT_EQ(select_first(5, 9).size(), 5u);
  EXPECT_EQ(select_first(5, 2), (std::vector<size_t>{0, 1}));
}

TEST(tasks_Selection, LargestRemainderAllocation) {
  // 10 over {5, 3, 2} of 10: exact.
  EXPECT_EQ(allocate_largest_remainder({5, 3, 2}, 10), (std::vector<size_t>{5, 3, 2}));
  // 4 over {3, 5}: 1.5 / 2.5 -> floors 1, 2; tie on .5 goes to the earlier group.
  EXPECT_EQ(allocate_largest_remainder({3, 5}, 4), (std::vector<size_t>{2, 2}));
  // 3 over {3, 5}: 1.125 / 1.875 -> 1, 1 + the leftover to the larger remainder.
  EXPECT_EQ(allocate_largest_remainder({3, 5}, 3), (std::vector<size_t>{1, 2}));
  // 5 over {100, 1, 1, 1}: 4.85, 0.05 x3 -> 4 + 1 to the first.
  EXPECT_EQ(allocate_largest_remainder({100, 1, 1, 1}, 5), (std::vector<size_t>{5, 0, 0, 0}));
  // Sums always to min(total, sum).
  std::vector<size_t> sizes = {100, 135, 152, 100, 265, 144, 7};
  for (size_t total : {1u, 2u, 17u, 100u, 500u, 1000u}) {
    auto q = allocate_largest_remainder(sizes, total);
    EXPECT_EQ(std::accumulate(q.begin(), q.end(), size_t{0}), std::min<size_t>(total, 903));
    for (size_t g = 0; g < sizes.size(); ++g) EXPECT_LE(q[g], sizes[g]);
  }
}

TEST(tasks_Selection, StratifiedTakesFirstItemsOfEachGroup) {
  EXPECT_EQ(select_stratified({3, 5}, 4), (std::vector<size_t>{0, 1, 3, 4}));
  EXPECT_EQ(select_stratified({3, 5}, 0).size(), 8u);
}

TEST(tasks_Selection, MmluLimitIsStratifiedAndDeterministic) {
  TaskOptions o;
  o.data_dir = testing::layout_a();
  o.limit = 3;
  Task a = load_task(TaskId::kMmlu, o);
  Task b = load_task(TaskId::kMmlu, o);
  ASSERT_EQ(a.n_items(), 3);
  std::vector<std::string> ids;
  for (const auto& it : a.choice_items()) ids.push_back(it.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"college_physics/0", "marketing/0", "marketing/1"}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(a.choice_items()[i].context, b.choice_items()[i].context);
}

TEST(tasks_Selection, FewshotDrawsSkipTheItemOnTheSameSplit) {
  auto draws = draw_fewshot(3, 5, 1234, {0, 1, 2}, true);  // capped at pool - 1 = 2
  for (size_t d = 0; d < 3; ++d) {
    EXPECT_EQ(draws[d].size(), 2u);
    for (size_t x : draws[d]) EXPECT_NE(x, d);
  }
  // Selecting a later document alone gives it the same draw as in the full run.
  auto full = draw_fewshot(7473, 5, 1234, {0, 1, 2}, false);
  auto only2 = draw_fewshot(7473, 5, 1234, {2}, false);
  EXPECT_EQ(only2[0], full[2]);
  EXPECT_EQ(full[2], (std::vector<size_t>{5677, 687, 806, 6279, 2905}));
  EXPECT_TRUE(draw_fewshot(10, 0, 1234, {0}, false)[0].empty());
}

// first_n: the pool's first k rows for every document; on the same split the first k+1 without the
// document itself; k capped at the pool (at the pool less one on the same split).
TEST(tasks_Selection, FirstNTakesThePoolsFirstRows) {
  using V = std::vector<std::vector<size_t>>;
  EXPECT_EQ(first_n_fewshot(10, 3, {0, 4, 9}, false), (V{{0, 1, 2}, {0, 1, 2}, {0, 1, 2}}));
  EXPECT_EQ(first_n_fewshot(2, 5, {7}, false), (V{{0, 1}}));
  EXPECT_EQ(first_n_fewshot(6, 2, {0, 1, 2, 5}, true), (V{{1, 2}, {0, 2}, {0, 1}, {0, 1}}));
  EXPECT_EQ(first_n_fewshot(3, 5, {0, 1, 2}, true), (V{{1, 2}, {0, 2}, {0, 1}}));
  EXPECT_EQ(first_n_fewshot(1, 1, {0}, true), (V{{}}));
  EXPECT_EQ(first_n_fewshot(10, 0, {0}, false), (V{{}}));
  EXPECT_EQ(first_n_fewshot(0, 3, {0}, false), (V{{}}));
  // fewshot_examples picks the sampler; the seed matters only to lm-eval's.
  EXPECT_EQ(fewshot_examples(7473, 5, {99, true}, {2}, false), (V{{0, 1, 2, 3, 4}}));
  EXPECT_EQ(fewshot_examples(7473, 5, {1234, false}, {2}, false), (V{{5677, 687, 806, 6279, 2905}}));
}

}  // namespace
}  // namespace jouleval::tasks
