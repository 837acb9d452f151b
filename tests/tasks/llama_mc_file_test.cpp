// llama-perplexity task files: written for hand-built and fixture tasks, read back by a small reader
// that follows llama.cpp's own (tools/perplexity/perplexity.cpp), and every rejected input.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tasks/llama_mc_file.h"
#include "tasks/load_task.h"
#include "tasks/task.h"
#include "test_util.h"

namespace jouleval::tasks {
namespace {
using testing::expect_bad_input;
using testing::layout_a;

// ---- an independent reader, step by step as llama-perplexity reads the file -------------------------

// deserialize_string: uint32 size, then that many bytes.
bool read_string(std::istream& in, std::string& s) {
  uint32_t size = 0;
  if (in.read(reinterpret_cast<char*>(&size), sizeof(size)).fail()) return false;
  s.resize(size);
  return size == 0 || !in.read(s.data(), size).fail();
}

// multiple_choice_answers::deserialize: uint32 n (<= 100), n strings, then n ints.
struct Answers {
  std::vector<std::string> answers;
  std::vector<int> labels;
  bool read(std::istream& in) {
    uint32_t n = 0;
    in.read(reinterpret_cast<char*>(&n), sizeof(n));
    if (in.fail() || n > 100) return false;
    answers.resize(n);
    labels.resize(n);
    for (auto& a : answers) {
      if (!read_string(in, a)) return false;
    }
    if (n > 0) in.read(reinterpret_cast<char*>(labels.data()), n * sizeof(int));
    return !in.fail();
  }
};

struct McTask {
  uint32_t offset = 0;  // where the reader found it
  std::string question;
  Answers mc1, mc2;
};

struct McFile {
  std::vector<uint32_t> task_pos;
  std::vector<McTask> tasks;
  bool at_end = false;  // every byte consumed
};

// multiple_choice_score: uint32 n_task, uint32 task_pos[n_task], then the tasks in order.
McFile read_mc_file(const std::string& bytes) {
  static_assert(sizeof(int) == 4, "llama-perplexity's labels are 4-byte ints");
  McFile f;
  std::istringstream in(bytes);
  uint32_t n_task = 0;
  in.read(reinterpret_cast<char*>(&n_task), sizeof(n_task));
  EXPECT_FALSE(in.fail());
  EXPECT_GT(n_task, 0u);
  f.task_pos.resize(n_task);
  in.read(reinterpret_cast<char*>(f.task_pos.data()), n_task * sizeof(uint32_t));
  EXPECT_FALSE(in.fail());
  for (uint32_t i = 0; i < n_task; ++i) {
    McTask t;
    t.offset = static_cast<uint32_t>(in.tellg());
    EXPECT_TRUE(read_string(in, t.question) && t.mc1.read(in) && t.mc2.read(in)) << "task " << i;
    f.tasks.push_back(std::move(t));
  }
  in.peek();
  f.at_end = in.eof();
  return f;
}

// The --multiple-choice-tasks path: seek to task_pos[i] and read one task.
McTask read_mc_task_at(const std::string& bytes, uint32_t pos) {
  std::istringstream in(bytes);
  in.seekg(pos, std::ios::beg);
  McTask t;
  EXPECT_TRUE(read_string(in, t.question) && t.mc1.read(in) && t.mc2.read(in)) << "at " << pos;
  return t;
}

// hellaswag_score: lines split on '\n', six per task (context, gold, four endings).
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line, '\n')) lines.push_back(line);
  return lines;
}

// ---- fixtures -----------------------------------------------------------------------------------------

ChoiceItem item(std::string id, std::string context, std::vector<std::string> choices, int gold) {
  ChoiceItem it;
  it.id = std::move(id);
  it.context = std::move(context);
  it.choices = std::move(choices);
  it.gold = gold;
  return it;
}

std::vector<ChoiceItem> hand_built() {
  return {
      item("q0", "The following are multiple choice questions.\n\nWhat is 2+2?\nA. 3\nB. 4\nC. 5\nD. 6\nAnswer:",
           {"A", "B", "C", "D"}, 1),
      item("q1", "Question: Which is \\frac{1}{2} in caf\xC3\xA9 terms?\nAnswer:", {"one half", "caf\xC3\xA9", "\n"},
           2),
      item("q2", "x", {"y", "yy"}, 0),
  };
}

// Checks that `bytes` holds exactly `items`, and that the text llama-perplexity evaluates for each
// answer (question + " " + answer) is our request's context + continuation.
void expect_mc_file_holds(const std::string& bytes, const std::vector<ChoiceItem>& items) {
  const McFile f = read_mc_file(bytes);
  ASSERT_EQ(f.tasks.size(), items.size());
  EXPECT_TRUE(f.at_end) << "trailing bytes after the last task";
  const Task task = Task::multiple_choice(TaskId::kArcChallenge, 0, items);
  const auto& requests = task.loglikelihood_requests();
  for (size_t i = 0; i < items.size(); ++i) {
    const McTask& t = f.tasks[i];
    EXPECT_EQ(f.task_pos[i], t.offset) << "task " << i;
    EXPECT_EQ(t.question, items[i].context);
    EXPECT_EQ(t.mc1.answers, items[i].choices);
    ASSERT_EQ(t.mc1.labels.size(), items[i].choices.size());
    for (size_t c = 0; c < t.mc1.labels.size(); ++c) {
      EXPECT_EQ(t.mc1.labels[c], static_cast<int>(c) == items[i].gold ? 1 : 0) << "task " << i << " answer " << c;
    }
    EXPECT_TRUE(t.mc2.answers.empty());
    EXPECT_TRUE(t.mc2.labels.empty());
    const RequestRange range = task.item_ranges()[i];
    ASSERT_EQ(range.end - range.begin, t.mc1.answers.size());
    for (size_t c = 0; c < t.mc1.answers.size(); ++c) {
      const auto& r = requests[range.begin + c];
      EXPECT_EQ(t.question + " " + t.mc1.answers[c], r.context + r.continuation) << "task " << i << " answer " << c;
    }
    const McTask seeked = read_mc_task_at(bytes, f.task_pos[i]);
    EXPECT_EQ(seeked.question, t.question);
    EXPECT_EQ(seeked.mc1.answers, t.mc1.answers);
    EXPECT_EQ(seeked.mc1.labels, t.mc1.labels);
  }
}

// ---- multiple choice ----------------------------------------------------------------------------------

TEST(tasks_LlamaMcFile, HandBuiltTasksReadBackExactly) {
  const auto items = hand_built();
  const std::string bytes = llama_mc_file_bytes(items);
  expect_mc_file_holds(bytes, items);
}

TEST(tasks_LlamaMcFile, ExactBytesOfOneTask) {
  // n_task=1, task_pos[0]=8, question "Q:" (len 2), mc1 n=2: "a", "bc", labels 0, 1; mc2 n=0.
  const std::string bytes = llama_mc_file_bytes({item("i", "Q:", {"a", "bc"}, 1)});
  const unsigned char expected[] = {1, 0,   0, 0, 8, 0, 0,   0,   2, 0, 0, 0, 'Q', ':', 2, 0, 0, 0, 1, 0, 0,
                                    0, 'a', 2, 0, 0, 0, 'b', 'c', 0, 0, 0, 0, 1,   0,   0, 0, 0, 0, 0, 0};
  ASSERT_EQ(bytes.size(), sizeof(expected));
  EXPECT_EQ(std::memcmp(bytes.data(), expected, sizeof(expected)), 0);
}

TEST(tasks_LlamaMcFile, FixtureTasksAsRunLoadsThem) {
  for (TaskId id : {TaskId::kMmlu, TaskId::kArcChallenge, TaskId::kHellaswag, TaskId::kTruthfulqaMc1}) {
    TaskOptions options;
    options.data_dir = layout_a();
    const Task task = load_task(id, options);
    SCOPED_TRACE(std::string(task_name(id)));
    ASSERT_GT(task.n_items(), 0);
    expect_mc_file_holds(llama_mc_file_bytes(task.choice_items()), task.choice_items());
  }
  // Few-shot contexts (multi-line) too.
  TaskOptions options;
  options.data_dir = layout_a();
  options.shots = 2;
  const Task arc = load_task(TaskId::kArcChallenge, options);
  expect_mc_file_holds(llama_mc_file_bytes(arc.choice_items()), arc.choice_items());
}

TEST(tasks_LlamaMcFile, RejectsWhatLlamaPerplexityCannotTake) {
  expect_bad_input([] { llama_mc_file_bytes({}); }, {"no items"});
  expect_bad_input([] { llama_mc_file_bytes({item("a", "", {"x"}, 0)}); },
                   {"item 0", "'a'", "field 'context'", "empty"});
  expect_bad_input(
      [] {
        llama_mc_file_bytes({item("a", "c", {"x", "y"}, 0), item("b", "c", {}, 0)});
      },
      {"item 1", "'b'", "field 'choices'", "0 choice(s)", "at least 2"});
  expect_bad_input([] { llama_mc_file_bytes({item("a", "c", {"x"}, 0)}); }, {"field 'choices'", "1 choice(s)"});
  expect_bad_input(
      [] {
        llama_mc_file_bytes({item("a", "c", {"x", ""}, 0)});
      },
      {"item 0", "field 'choices[1]'", "empty"});
  expect_bad_input([] { llama_mc_file_bytes({item("a", "c", {"x", "y"}, 2)}); }, {"item 0", "field 'gold'", "2"});
  expect_bad_input([] { llama_mc_file_bytes({item("a", "c", {"x", "y"}, -1)}); }, {"field 'gold'", "-1"});
  std::vector<std::string> many(101, "x");
  expect_bad_input([&] { llama_mc_file_bytes({item("a", "c", many, 0)}); }, {"field 'choices'", "101", "100"});
  many.pop_back();  // 100 answers: the most llama-perplexity reads
  expect_mc_file_holds(llama_mc_file_bytes({item("a", "c", many, 99)}), {item("a", "c", many, 99)});
}

// ---- hellaswag text -----------------------------------------------------------------------------------

TEST(tasks_LlamaMcFile, HellaswagTextReadBackAsLlamaPerplexityReadsIt) {
  TaskOptions options;
  options.data_dir = layout_a();
  options.shots = 0;
  const Task task = load_task(TaskId::kHellaswag, options);
  const auto& items = task.choice_items();
  const std::string text = llama_hellaswag_file_text(items);
  const auto lines = lines_of(text);
  ASSERT_EQ(lines.size(), 6 * items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string& context = lines[6 * i];
    EXPECT_EQ(context, items[i].context);
    EXPECT_EQ(std::stoi(lines[6 * i + 1]), items[i].gold);
    for (size_t c = 0; c < 4; ++c) {
      const auto& r = task.loglikelihood_requests()[task.item_ranges()[i].begin + c];
      EXPECT_EQ(context + " " + lines[6 * i + 2 + c], r.context + r.continuation);
    }
  }
}

TEST(tasks_LlamaMcFile, HellaswagTextRejectsLineBreaksAndOtherCounts) {
  expect_bad_input(
      [] {
        llama_hellaswag_file_text({item("h", "a\n\nb", {"1", "2", "3", "4"}, 0)});
      },
      {"item 0", "'h'", "field 'context'", "line break"});
  expect_bad_input(
      [] {
        llama_hellaswag_file_text({item("h", "a", {"1", "2\n", "3", "4"}, 0)});
      },
      {"field 'choices[1]'", "line break"});
  expect_bad_input(
      [] {
        llama_hellaswag_file_text({item("h", "a", {"1", "2", "3"}, 0)});
      },
      {"field 'choices'", "exactly 4"});
  expect_bad_input([] { llama_hellaswag_file_text({}); }, {"no items"});
  TaskOptions options;
  options.data_dir = layout_a();
  options.shots = 1;
  const Task few_shot = load_task(TaskId::kHellaswag, options);
  expect_bad_input([&] { llama_hellaswag_file_text(few_shot.choice_items()); }, {"field 'context'", "line break"});
}

// ---- sidecar and files --------------------------------------------------------------------------------

TEST(tasks_LlamaMcFile, SidecarHasOneLinePerTaskInFileOrder) {
  const auto items = hand_built();
  const auto lines = lines_of(llama_items_jsonl(items));
  ASSERT_EQ(lines.size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const auto j = nlohmann::json::parse(lines[i]);
    EXPECT_EQ(j.size(), 4u);
    EXPECT_EQ(j.at("index"), i);
    EXPECT_EQ(j.at("item_id"), items[i].id);
    EXPECT_EQ(j.at("gold"), items[i].gold);
    EXPECT_EQ(j.at("n_choices"), items[i].choices.size());
  }
  EXPECT_EQ(lines[0], R"({"index":0,"item_id":"q0","gold":1,"n_choices":4})");
}

TEST(tasks_LlamaMcFile, WritesFilesAndNamesAnUnwritableOne) {
  const auto dir = std::filesystem::temp_directory_path() / "jouleval-llama-mc-test";
  std::filesystem::create_directories(dir);
  const std::string bytes = llama_mc_file_bytes(hand_built());
  write_task_file(dir / "t.bin", bytes);
  std::ifstream in(dir / "t.bin", std::ios::binary);
  const std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(back, bytes);
  expect_bad_input([&] { write_task_file(dir / "no-such-dir" / "t.bin", bytes); }, {"no-such-dir/t.bin", "cannot"});
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace jouleval::tasks
