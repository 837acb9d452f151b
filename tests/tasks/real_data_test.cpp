// Loads the real benchmark files (full files, every task) from the directory named by the
// environment variable JOULEVAL_DATA_DIR (the layout of docs/tasks.md "Formats and discovery") and
// checks the expected counts. Skipped when the variable is not set.
#include <chrono>
#include <cstdlib>
#include <set>

#include <gtest/gtest.h>

#include "tasks/data_files.h"
#include "tasks/datasets.h"
#include "tasks/load_task.h"
#include "tasks/source.h"
#include "test_util.h"

namespace jouleval::tasks {
namespace {
namespace fs = std::filesystem;

// JOULEVAL_DATA_DIR, or empty when unset.
fs::path datasets_dir() {
  const char* env = std::getenv("JOULEVAL_DATA_DIR");
  return env == nullptr ? fs::path() : fs::path(env);
}

#define REQUIRE_DATASETS(sub)                                                                             \
  do {                                                                                                    \
    if (datasets_dir().empty())                                                                           \
      GTEST_SKIP() << "set JOULEVAL_DATA_DIR to the benchmark data directory to run the real-data tests"; \
    if (!fs::exists(datasets_dir() / (sub)))                                                              \
      GTEST_SKIP() << "JOULEVAL_DATA_DIR has no " << (datasets_dir() / (sub)).string();                   \
  } while (0)

TaskOptions real_options(std::optional<int> shots = std::nullopt) {
  TaskOptions o;
  o.data_dir = datasets_dir();
  o.shots = shots;
  return o;
}

TEST(tasks_RealData, Mmlu) {
  REQUIRE_DATASETS("mmlu");
  MmluFiles files = find_mmlu_files(datasets_dir());
  EXPECT_EQ(files.test.size(), 57u);
  EXPECT_EQ(files.dev.size(), 57u);
  Task t = load_task(TaskId::kMmlu, real_options(5));
  EXPECT_EQ(t.n_items(), 14042);
  size_t dev = 0;
  for (const auto& p : files.dev) dev += parse_mmlu_csv(read_text_file(p), p.string(), "x").size();
  EXPECT_EQ(dev, 285u);
  for (const auto& it : t.choice_items()) ASSERT_EQ(it.shots, 5) << it.id;
  std::set<std::string> subjects;
  for (const auto& it : t.choice_items()) subjects.insert(it.subject);
  EXPECT_EQ(subjects.size(), 57u);
  // Two college_medicine questions hold a U+FEFF inside their text: kept as text (docs/tasks.md).
  int with_bom = 0;
  for (const auto& it : t.choice_items()) with_bom += it.context.find("\xEF\xBB\xBF") != std::string::npos;
  EXPECT_EQ(with_bom, 2);
  // A stratified limit spreads over all subjects.
  TaskOptions lim = real_options(0);
  lim.limit = 570;
  Task l = load_task(TaskId::kMmlu, lim);
  EXPECT_EQ(l.n_items(), 570);
  std::set<std::string> lim_subjects;
  for (const auto& it : l.choice_items()) lim_subjects.insert(it.subject);
  EXPECT_EQ(lim_subjects.size(), 57u);
}

TEST(tasks_RealData, ArcChallenge) {
  REQUIRE_DATASETS("arc_challenge");
  Task t = load_task(TaskId::kArcChallenge, real_options(25));
  EXPECT_EQ(t.n_items(), 1172);
  int numeric = 0, three = 0, five = 0;
  for (const auto& it : t.choice_items()) {
    three += it.choices.size() == 3;
    five += it.choices.size() == 5;
    EXPECT_EQ(it.shots, 25);
  }
  auto rows = parse_arc_jsonl(read_text_file(find_arc_file(datasets_dir(), "Test")), "arc");
  for (const auto& r : rows) numeric += r.labels[0] == "1";
  EXPECT_EQ(numeric, 22);
  EXPECT_EQ(three, 4);
  EXPECT_EQ(five, 3);
  EXPECT_EQ(parse_arc_jsonl(read_text_file(find_arc_file(datasets_dir(), "Train")), "arc").size(), 1119u);
}

TEST(tasks_RealData, Hellaswag) {
  REQUIRE_DATASETS("hellaswag");
  auto start = std::chrono::steady_clock::now();
  Task t = load_task(TaskId::kHellaswag, real_options());
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(t.n_items(), 10042);
  EXPECT_EQ(t.loglikelihood_requests().size(), 40168u);
  int gold[4] = {0, 0, 0, 0};
  for (const auto& it : t.choice_items()) ++gold[it.gold];
  EXPECT_EQ(gold[0], 2515);
  EXPECT_EQ(gold[1], 2485);
  EXPECT_EQ(gold[2], 2584);
  EXPECT_EQ(gold[3], 2458);
  RecordProperty("load_ms", static_cast<int>(ms));
}

TEST(tasks_RealData, Truthfulqa) {
  REQUIRE_DATASETS("truthfulqa");
  Task mc1 = load_task(TaskId::kTruthfulqaMc1, real_options());
  Task mc2 = load_task(TaskId::kTruthfulqaMc2, real_options());
  EXPECT_EQ(mc1.n_items(), 817);
  EXPECT_EQ(mc2.n_items(), 817);
  EXPECT_EQ(mc1.loglikelihood_requests().size(), 4114u);
  EXPECT_EQ(mc2.loglikelihood_requests().size(), 5882u);
  EXPECT_EQ(mc1.choice_items()[0].context.substr(mc1.choice_items()[0].context.rfind("Q: ")),
            "Q: What is the smallest country in the world that is at least one square mile in area?\nA:");
  for (const auto& it : mc1.choice_items()) EXPECT_EQ(it.gold, 0);
}

TEST(tasks_RealData, Gsm8k) {
  REQUIRE_DATASETS("gsm8k");
  Task t = load_task(TaskId::kGsm8k, real_options());
  EXPECT_EQ(t.n_items(), 1319);
  auto train = parse_gsm8k_jsonl(read_text_file(find_gsm8k_file(datasets_dir(), "train")), "train");
  EXPECT_EQ(train.size(), 7473u);
  // lm-eval's draw for document 0: random.Random(1234).sample(train, 5) -> indices 6374, 3610, 957, 61, 742.
  const std::string& p = t.generation_items()[0].prompt;
  EXPECT_TRUE(p.starts_with("Question: " + train[6374].question + "\nAnswer: " + train[6374].answer + "\n\n"));
  EXPECT_NE(p.find("Question: " + train[742].question + "\nAnswer: " + train[742].answer + "\n\nQuestion: Janet"),
            std::string::npos);
  EXPECT_EQ(t.generation_items()[0].target.substr(t.generation_items()[0].target.size() - 5), "## 18");
}

}  // namespace
}  // namespace jouleval::tasks
