// Malformed benchmark data is rejected when it is loaded (docs/tasks.md "Malformed data" and
// "Limits"): util::Error(kBadInput) naming the file, the line and the field. One test per behaviour,
// each over every format it applies to.
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "tasks/datasets.h"
#include "tasks/load_task.h"
#include "test_util.h"

namespace jouleval::tasks {
namespace {
namespace fs = std::filesystem;
using testing::expect_bad_input;

const std::string kBom = "\xEF\xBB\xBF";

std::string arc_line(const std::string& id, const std::string& stem = "s", const std::string& a = "x",
                     const std::string& b = "y") {
  return fmt::format(R"({{"id":"{}","question":{{"stem":"{}","choices":[{{"text":"{}","label":"A"}},)"
                     R"({{"text":"{}","label":"B"}}]}},"answerKey":"A"}})",
                     id, stem, a, b);
}

std::string hs_line(const std::string& ind, const std::string& ending0 = "e0") {
  return fmt::format(R"({{"ind":{},"activity_label":"A","ctx_a":"x","ctx_b":"y","endings":["{}","e1"],"label":0}})",
                     ind, ending0);
}

const std::string kHsItem = "ctx\n1\na\nb\nc\nd\n";
const std::string kGsmLine = R"({"question":"q","answer":"2+2=4\n#### 4"})";
const std::string kTqaItem = R"({"question":"q","mc1_targets":{"a":1,"b":0},"mc2_targets":{"a":1,"b":0}})";

std::string tqa_file(const std::string& second_item) { return "[\n" + kTqaItem + ",\n" + second_item + "\n]\n"; }

// A data directory of its own per test, removed at the end.
class TempData {
 public:
  explicit TempData(const std::string& name)
      : root_(fs::temp_directory_path() / fmt::format("jouleval_reject_{}_{}", name, ::getpid())) {
    fs::remove_all(root_);
  }
  ~TempData() { fs::remove_all(root_); }
  void write(const fs::path& rel, const std::string& text) const {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel, std::ios::binary) << text;
  }
  TaskOptions options(int shots) const {
    TaskOptions o;
    o.data_dir = root_;
    o.shots = shots;
    return o;
  }

 private:
  fs::path root_;
};

// A single BOM at the very start of a file is skipped by every format (and not kept in the text).
TEST(tasks_LoadersReject, BomAtFileStartIsSkipped) {
  auto mmlu = parse_mmlu_csv(kBom + "q,a,b,c,d,A\n", "m.csv", "m");
  ASSERT_EQ(mmlu.size(), 1u);
  EXPECT_EQ(mmlu[0].question, "q");
  auto arc = parse_arc_jsonl(kBom + arc_line("a"), "a.jsonl");
  ASSERT_EQ(arc.size(), 1u);
  EXPECT_EQ(arc[0].id, "a");
  auto hs = parse_hellaswag_text(kBom + kHsItem, "h.txt");
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].context, "ctx");
  EXPECT_EQ(parse_hellaswag_jsonl(kBom + hs_line("1"), "h.jsonl").size(), 1u);
  EXPECT_EQ(parse_truthfulqa_json(kBom + "[" + kTqaItem + "]", "t.json").size(), 1u);
  auto gsm = parse_gsm8k_jsonl(kBom + kGsmLine, "g.jsonl");
  ASSERT_EQ(gsm.size(), 1u);
  EXPECT_EQ(gsm[0].question, "q");
}

// A BOM at the start of any later record is what joining two files gives: an error at its line.
TEST(tasks_LoadersReject, BomAtStartOfLaterRecord) {
  expect_bad_input([] { parse_mmlu_csv("q,a,b,c,d,A\n" + kBom + "q,a,b,c,d,A\n", "m.csv", "m"); },
                   {"m.csv:2", "field 'question'", "U+FEFF"});
  expect_bad_input([] { parse_arc_jsonl(arc_line("a") + "\n" + kBom + arc_line("b") + "\n", "a.jsonl"); },
                   {"a.jsonl:2", "U+FEFF"});
  expect_bad_input([] { parse_hellaswag_jsonl(hs_line("1") + "\n" + kBom + hs_line("2") + "\n", "h.jsonl"); },
                   {"h.jsonl:2", "U+FEFF"});
  expect_bad_input([] { parse_hellaswag_text(kHsItem + kBom + kHsItem, "h.txt"); },
                   {"h.txt:7", "field 'context'", "U+FEFF"});
  expect_bad_input([] { parse_gsm8k_jsonl(kGsmLine + "\n" + kBom + kGsmLine + "\n", "g.jsonl"); },
                   {"g.jsonl:2", "U+FEFF"});
  expect_bad_input([] { parse_truthfulqa_json("[" + kTqaItem + ",\n" + kBom + kTqaItem + "]", "t.json"); },
                   {"t.json:2", "invalid JSON"});
}

// A BOM that begins a field (raw or as a JSON escape) is an error too.
TEST(tasks_LoadersReject, BomAtStartOfField) {
  expect_bad_input([] { parse_mmlu_csv("q,a," + kBom + "b,c,d,A\n", "m.csv", "m"); },
                   {"m.csv:1", "field 'B'", "U+FEFF"});
  expect_bad_input([] { parse_arc_jsonl(arc_line("a") + "\n" + arc_line("b", "s", "x", "\\ufeffy"), "a.jsonl"); },
                   {"a.jsonl:2", "field 'question.choices[1].text'", "U+FEFF"});
  expect_bad_input([] { parse_hellaswag_text(kHsItem + "ctx\n1\na\nb\n" + kBom + "c\nd\n", "h.txt"); },
                   {"h.txt:11", "field 'ending 2'", "U+FEFF"});
  expect_bad_input(
      [] {
        parse_truthfulqa_json(
            tqa_file(R"({"question":"q","mc1_targets":{"a":1,"\ufeffb":0},"mc2_targets":{"a":1,"b":0}})"), "t.json");
      },
      {"t.json:3", "mc1_targets", "U+FEFF"});
  expect_bad_input([] { parse_gsm8k_jsonl(R"({"question":"\ufeffq","answer":"#### 4"})", "g.jsonl"); },
                   {"g.jsonl:1", "field 'question'", "U+FEFF"});
}

// Inside a field's text a U+FEFF is text: the real MMLU has two such questions, and lm-eval scores
// them as they are.
TEST(tasks_LoadersReject, BomInsideTextIsKept) {
  auto rows = parse_mmlu_csv("\"q?\n" + kBom + "\nmore\",a,b,c,d,A\n", "m.csv", "m");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].question, "q?\n" + kBom + "\nmore");
}

TEST(tasks_LoadersReject, OneChoiceItem) {
  expect_bad_input(
      [] {
        parse_arc_jsonl(
            arc_line("a") + "\n" +
                R"({"id":"b","question":{"stem":"s","choices":[{"text":"x","label":"A"}]},"answerKey":"A"})",
            "a.jsonl");
      },
      {"a.jsonl:2", "field 'question.choices'", "at least 2"});
  expect_bad_input(
      [] {
        parse_hellaswag_jsonl(
            hs_line("1") + "\n" + R"({"activity_label":"A","ctx_a":"x","ctx_b":"y","endings":["e"],"label":0})",
            "h.jsonl");
      },
      {"h.jsonl:2", "field 'endings'", "at least 2"});
  expect_bad_input(
      [] {
        parse_truthfulqa_json(tqa_file(R"({"question":"q","mc1_targets":{"a":1},"mc2_targets":{"a":1,"b":0}})"),
                              "t.json");
      },
      {"t.json:3", "field 'mc1_targets'", "at least 2"});
}

// Empty or white-space-only text (also Unicode spaces) in a question, choice or ending.
TEST(tasks_LoadersReject, BlankText) {
  expect_bad_input([] { parse_arc_jsonl(arc_line("a") + "\n" + arc_line("b", "s", "x", "  "), "a.jsonl"); },
                   {"a.jsonl:2", "field 'question.choices[1].text'", "empty"});
  expect_bad_input([] { parse_arc_jsonl(arc_line("a", "s", "", "y"), "a.jsonl"); },
                   {"a.jsonl:1", "field 'question.choices[0].text'", "empty"});
  expect_bad_input([] { parse_arc_jsonl(arc_line("a", "\\t\\n"), "a.jsonl"); },
                   {"a.jsonl:1", "field 'question.stem'", "empty"});
  expect_bad_input([] { parse_arc_jsonl(arc_line(" "), "a.jsonl"); }, {"a.jsonl:1", "field 'id'", "empty"});
  expect_bad_input([] { parse_mmlu_csv("q,a,b,c,d,A\nq,a,b,\xC2\xA0,d,A\n", "m.csv", "m"); },  // U+00A0
                   {"m.csv:2", "field 'C'", "empty"});
  expect_bad_input([] { parse_mmlu_csv("\xE3\x80\x80,a,b,c,d,A\n", "m.csv", "m"); },  // U+3000
                   {"m.csv:1", "field 'question'", "empty"});
  expect_bad_input([] { parse_hellaswag_text(kHsItem + "ctx\n1\na\nb\n\xE2\x80\x83\nd\n", "h.txt"); },  // U+2003
                   {"h.txt:11", "field 'ending 2'", "empty"});
  expect_bad_input([] { parse_hellaswag_jsonl(hs_line("1", " [title] "), "h.jsonl"); },
                   {"h.jsonl:1", "field 'endings[0]'", "empty"});
  expect_bad_input(
      [] {
        parse_truthfulqa_json(tqa_file(R"({"question":"q","mc1_targets":{"a":1," ":0},"mc2_targets":{"a":1,"b":0}})"),
                              "t.json");
      },
      {"t.json:3", "mc1_targets", "empty"});
  expect_bad_input(
      [] {
        parse_truthfulqa_json(tqa_file(R"({"question":" ","mc1_targets":{"a":1,"b":0},"mc2_targets":{"a":1,"b":0}})"),
                              "t.json");
      },
      {"t.json:3", "field 'question'", "empty"});
  expect_bad_input([] { parse_gsm8k_jsonl(kGsmLine + "\n" + R"({"question":"\n ","answer":"#### 4"})", "g.jsonl"); },
                   {"g.jsonl:2", "field 'question'", "empty"});
}

// nlohmann::json keeps the last of two equal keys; a loader must not lose a choice that way.
TEST(tasks_LoadersReject, DuplicateJsonKey) {
  expect_bad_input(
      [] {
        parse_truthfulqa_json("[\n" + kTqaItem + ",\n" +
                                  "{\"question\":\"q\",\n \"mc1_targets\":{\"a\":1,\n  \"b\":0,\n  \"b\":0},\n"
                                  " \"mc2_targets\":{\"a\":1,\"b\":0}}\n]",
                              "t.json");
      },
      {"t.json:6", "mc1_targets", "duplicate key \"b\"", "line 5"});
  expect_bad_input([] { parse_arc_jsonl(arc_line("a") + "\n" + R"({"id":"b","id":"c"})", "a.jsonl"); },
                   {"a.jsonl:2", "field 'id'", "duplicate key"});
  expect_bad_input(
      [] {
        parse_arc_jsonl(
            R"({"id":"b","question":{"stem":"s","choices":[{"text":"x","label":"A"},{"text":"y","text":"z","label":"B"}]},"answerKey":"A"})",
            "a.jsonl");
      },
      {"a.jsonl:1", "field 'question.choices[1].text'", "duplicate key"});
  expect_bad_input(
      [] { parse_hellaswag_jsonl(hs_line("1") + "\n" + hs_line("2").replace(1, 0, "\"label\":1,"), "h.jsonl"); },
      {"h.jsonl:2", "field 'label'", "duplicate key"});
  expect_bad_input([] { parse_gsm8k_jsonl(R"({"question":"q","answer":"#### 4","answer":"#### 5"})", "g.jsonl"); },
                   {"g.jsonl:1", "field 'answer'", "duplicate key"});
  // In a field the loader ignores too, with its path.
  expect_bad_input(
      [] { parse_gsm8k_jsonl(R"({"question":"q","answer":"#### 4","x":[1,[{"a b":1,"a b":2}]]})", "g.jsonl"); },
      {"g.jsonl:1", "field 'x[1][0][\"a b\"]'", "duplicate key"});
}

// The duplicate-key check costs memory linear in the nesting depth (a path per level would be
// quadratic: gigabytes at this depth).
TEST(tasks_LoadersReject, DeeplyNestedJson) {
  const size_t depth = 100000;
  const std::string line =
      R"({"question":"q","answer":"#### 4","x":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  EXPECT_EQ(parse_gsm8k_jsonl(line, "g.jsonl").size(), 1u);
}

// lm-eval compares the number after the last "#### "; without one the item can never be scored.
TEST(tasks_LoadersReject, Gsm8kAnswerWithoutNumber) {
  for (const std::string answer : {"2+2=4\\n#### ", "#### four", "#### 4 apples", "#### -", "#### ,"}) {
    expect_bad_input(
        [&] { parse_gsm8k_jsonl(kGsmLine + "\n" + R"({"question":"q","answer":")" + answer + "\"}", "g.jsonl"); },
        {"g.jsonl:2", "field 'answer'", "number"});
  }
  for (const std::string answer : {"#### 4", "#### -3", "#### 1,000", "#### 0.5", "#### 7."}) {
    EXPECT_EQ(parse_gsm8k_jsonl(R"({"question":"q","answer":")" + answer + "\"}", "g.jsonl").size(), 1u) << answer;
  }
  // The train file (the few-shot pool) is checked the same way.
  TempData d("gsm8k_train_answer");
  d.write("gsm8k/test.jsonl", kGsmLine + "\n");
  d.write("gsm8k/train.jsonl", kGsmLine + "\n" + R"({"question":"q","answer":"#### "})" + "\n");
  expect_bad_input([&] { load_task(TaskId::kGsm8k, d.options(5)); }, {"train.jsonl:2", "field 'answer'", "number"});
}

// A requested few-shot pool that is empty is an error naming the file, not a silent 0-shot run.
TEST(tasks_LoadersReject, EmptyFewShotPool) {
  {
    TempData d("gsm8k_train_empty");
    d.write("gsm8k/test.jsonl", kGsmLine + "\n");
    d.write("gsm8k/train.jsonl", "");
    expect_bad_input([&] { load_task(TaskId::kGsm8k, d.options(5)); }, {"train.jsonl", "no items"});
    EXPECT_EQ(load_task(TaskId::kGsm8k, d.options(0)).n_items(), 1);  // not read at 0 shots
  }
  {
    TempData d("arc_train_empty");
    d.write("arc_challenge/ARC-Challenge-Test.jsonl", arc_line("a") + "\n");
    d.write("arc_challenge/ARC-Challenge-Train.jsonl", "\n\n");
    expect_bad_input([&] { load_task(TaskId::kArcChallenge, d.options(25)); },
                     {"ARC-Challenge-Train.jsonl", "no items"});
  }
  {
    TempData d("mmlu_dev_empty");
    d.write("mmlu/test/x_test.csv", "q,a,b,c,d,A\n");
    d.write("mmlu/dev/x_dev.csv", "");
    expect_bad_input([&] { load_task(TaskId::kMmlu, d.options(5)); }, {"x_dev.csv", "no items"});
  }
  {
    // A subject without its dev file would silently get 0 shots.
    TempData d("mmlu_dev_missing");
    d.write("mmlu/test/x_test.csv", "q,a,b,c,d,A\n");
    d.write("mmlu/test/y_test.csv", "q,a,b,c,d,A\n");
    d.write("mmlu/dev/x_dev.csv", "q,a,b,c,d,A\n");
    expect_bad_input([&] { load_task(TaskId::kMmlu, d.options(5)); }, {"y_dev.csv", "subject 'y'"});
  }
}

TEST(tasks_LoadersReject, NulByte) {
  const std::string nul(1, '\0');
  expect_bad_input([&] { parse_mmlu_csv("q,a,b,c,d,A\nq" + nul + ",a,b,c,d,A\n", "m.csv", "m"); }, {"m.csv:2", "NUL"});
  expect_bad_input([&] { parse_arc_jsonl(arc_line("a") + "\n" + arc_line("b") + nul + "\n", "a.jsonl"); },
                   {"a.jsonl:2", "NUL"});
  expect_bad_input([&] { parse_hellaswag_text(kHsItem + "ctx\n1\na\nb" + nul + "\nc\nd\n", "h.txt"); },
                   {"h.txt:10", "NUL"});
  expect_bad_input([&] { parse_hellaswag_jsonl(hs_line("1") + "\n" + nul, "h.jsonl"); }, {"h.jsonl:2", "NUL"});
  expect_bad_input([&] { parse_truthfulqa_json("[\n" + kTqaItem + "\n]" + nul, "t.json"); }, {"t.json:3", "NUL"});
  expect_bad_input([&] { parse_gsm8k_jsonl(kGsmLine + "\n\n" + nul + kGsmLine, "g.jsonl"); }, {"g.jsonl:3", "NUL"});
  // Written as a JSON escape it reaches the text: also an error.
  expect_bad_input([] { parse_arc_jsonl(arc_line("a", "s\\u0000t"), "a.jsonl"); },
                   {"a.jsonl:1", "field 'question.stem'", "U+0000"});
  expect_bad_input(
      [] {
        parse_truthfulqa_json(
            tqa_file(R"({"question":"q","mc1_targets":{"a":1,"b\u0000":0},"mc2_targets":{"a":1,"b":0}})"), "t.json");
      },
      {"t.json:3", "mc1_targets", "U+0000"});
}

// Items of one file with the same id would collide in the results store after the run.
TEST(tasks_LoadersReject, DuplicateItemId) {
  expect_bad_input([] { parse_arc_jsonl(arc_line("a") + "\n" + arc_line("b") + "\n\n" + arc_line("a"), "a.jsonl"); },
                   {"a.jsonl:4", "field 'id'", "'a'", "line 1"});
  expect_bad_input([] { parse_hellaswag_jsonl(hs_line("7") + "\n" + hs_line("8") + "\n" + hs_line("7"), "h.jsonl"); },
                   {"h.jsonl:3", "field 'ind'", "'7'", "line 1"});
  // Without "ind" the id is the item number, which may collide with an explicit one.
  expect_bad_input(
      [] {
        parse_hellaswag_jsonl(
            hs_line("1") + "\n" + R"({"activity_label":"A","ctx_a":"x","ctx_b":"y","endings":["a","b"],"label":0})",
            "h.jsonl");
      },
      {"h.jsonl:2", "'1'", "line 1"});
}

// HellaSwag "ind" is an integer or a string; anything else (was: its JSON text) is not an id.
TEST(tasks_LoadersReject, HellaswagIndOfWrongType) {
  for (const std::string ind : {"{}", "[1]", "1.5", "true", "null"}) {
    expect_bad_input([&] { parse_hellaswag_jsonl(hs_line("1") + "\n" + hs_line(ind), "h.jsonl"); },
                     {"h.jsonl:2", "field 'ind'", "expected an integer or a string"});
  }
  expect_bad_input([&] { parse_hellaswag_jsonl(hs_line("\" \""), "h.jsonl"); }, {"h.jsonl:1", "field 'ind'", "empty"});
  EXPECT_EQ(parse_hellaswag_jsonl(hs_line("\"x7\""), "h.jsonl")[0].id, "x7");
  EXPECT_EQ(parse_hellaswag_jsonl(hs_line("7"), "h.jsonl")[0].id, "7");
}

// A field may hold at most 64 KiB (kMaxFieldBytes) and an item at most 256 KiB of text.
TEST(tasks_LoadersReject, OversizedItem) {
  const std::string limit(64 * 1024, 'x');
  const std::string over = limit + "y";
  EXPECT_EQ(parse_mmlu_csv(limit + ",a,b,c,d,A\n", "m.csv", "m").size(), 1u);
  expect_bad_input([&] { parse_mmlu_csv("q,a,b,c,d,A\n" + over + ",a,b,c,d,A\n", "m.csv", "m"); },
                   {"m.csv:2", "field 'question'", "65537 bytes", "65536"});
  expect_bad_input([&] { parse_arc_jsonl(arc_line("a") + "\n" + arc_line("b", over), "a.jsonl"); },
                   {"a.jsonl:2", "field 'question.stem'", "65536"});
  expect_bad_input([&] { parse_hellaswag_text(kHsItem + over + "\n1\na\nb\nc\nd\n", "h.txt"); },
                   {"h.txt:7", "field 'context'", "65536"});
  expect_bad_input([&] { parse_hellaswag_jsonl(hs_line("1", over), "h.jsonl"); },
                   {"h.jsonl:1", "field 'endings[0]'", "65536"});
  expect_bad_input(
      [&] {
        parse_truthfulqa_json(
            tqa_file(R"({"question":"q","mc1_targets":{"a":1,")" + over + R"(":0},"mc2_targets":{"a":1,"b":0}})"),
            "t.json");
      },
      {"t.json:3", "mc1_targets", "65536"});
  expect_bad_input([&] { parse_gsm8k_jsonl(R"({"question":"q","answer":")" + over + "\\n#### 4\"}", "g.jsonl"); },
                   {"g.jsonl:1", "field 'answer'", "65536"});
  // Five fields under the field limit, together over the item limit.
  const std::string big(60 * 1024, 'x');
  expect_bad_input([&] { parse_mmlu_csv(fmt::format("{0},{0},{0},{0},{0},A\n", big), "m.csv", "m"); },
                   {"m.csv:1", "262144"});
}

// An empty file, or one with no items, would score accuracy 0 on 0 items.
TEST(tasks_LoadersReject, FileWithoutItems) {
  for (const std::string& text : std::vector<std::string>{"", "\n\n", "  \r\n\t\n", kBom + "\n"}) {
    expect_bad_input([&] { parse_arc_jsonl(text, "a.jsonl"); }, {"a.jsonl", "no items"});
    expect_bad_input([&] { parse_hellaswag_jsonl(text, "h.jsonl"); }, {"h.jsonl", "no items"});
    expect_bad_input([&] { parse_gsm8k_jsonl(text, "g.jsonl"); }, {"g.jsonl", "no items"});
  }
  // CSV: only empty lines are skipped (a line of spaces is a record of one field).
  for (const std::string& text : std::vector<std::string>{"", "\n\n", "\r\n\r\n", kBom}) {
    expect_bad_input([&] { parse_mmlu_csv(text, "m.csv", "m"); }, {"m.csv", "no items"});
  }
  expect_bad_input([] { parse_hellaswag_text("", "h.txt"); }, {"h.txt", "no items"});
  expect_bad_input([] { parse_hellaswag_text(kBom, "h.txt"); }, {"h.txt", "no items"});
  expect_bad_input([] { parse_truthfulqa_json("[]", "t.json"); }, {"t.json", "no items"});
  expect_bad_input([] { parse_truthfulqa_json(" [\n]\n", "t.json"); }, {"t.json", "no items"});
  expect_bad_input([] { parse_truthfulqa_json("", "t.json"); }, {"t.json:1", "invalid JSON"});
  // Through load_task, for the test file of each task.
  TempData d("empty_test_files");
  d.write("gsm8k/test.jsonl", "\n");
  d.write("arc_challenge/ARC-Challenge-Test.jsonl", "");
  d.write("hellaswag/hellaswag_val.jsonl", "");
  d.write("truthfulqa/mc_task.json", "[]");
  expect_bad_input([&] { load_task(TaskId::kGsm8k, d.options(0)); }, {"test.jsonl", "no items"});
  expect_bad_input([&] { load_task(TaskId::kArcChallenge, d.options(0)); }, {"ARC-Challenge-Test.jsonl", "no items"});
  expect_bad_input([&] { load_task(TaskId::kHellaswag, d.options(0)); }, {"hellaswag_val.jsonl", "no items"});
  expect_bad_input([&] { load_task(TaskId::kTruthfulqaMc2, d.options(0)); }, {"mc_task.json", "no items"});
}

// A message quotes at most an excerpt of the offending value, and never bytes that are not UTF-8
// (expect_bad_input checks both for every test here).
TEST(tasks_LoadersReject, MessagesQuoteShortValidExcerpts) {
  const std::string big(100000, 'k');
  expect_bad_input(
      [&] {
        parse_arc_jsonl(
            R"({"id":"a","question":{"stem":"s","choices":[{"text":"x","label":"A"},{"text":"y","label":"B"}]},"answerKey":")" +
                big + "\"}",
            "a.jsonl");
      },
      {"a.jsonl:1", "field 'answerKey'", "kkk... (100000 bytes)"});
  expect_bad_input(
      [&] {
        std::string line = hs_line("1");
        line.replace(line.find("\"label\":0"), 9, "\"label\":\"" + big + "\"");
        parse_hellaswag_jsonl(line, "h.jsonl");
      },
      {"h.jsonl:1", "field 'label'", "bytes)"});
  expect_bad_input(
      [&] {
        parse_truthfulqa_json(
            tqa_file(R"({"question":"q","mc1_targets":{"a":1,"b":")" + big + R"("},"mc2_targets":{"a":1,"b":0}})"),
            "t.json");
      },
      {"t.json:3", "mc1_targets[\"b\"]", "bytes)"});
  expect_bad_input(
      [&] { parse_gsm8k_jsonl(R"({"question":"q","answer":"#### 4)" + big.substr(0, 60000) + "\"}", "g.jsonl"); },
      {"g.jsonl:1", "field 'answer'", "bytes)"});
  expect_bad_input([&] { parse_mmlu_csv("q,a,b,c,d," + big + "\n", "m.csv", "m"); }, {"m.csv:1", "field 'answer'"});
  // A multi-byte character after a closing quote is quoted whole.
  expect_bad_input([] { parse_mmlu_csv("\"q\"\xC3\xA9,a,b,c,d,A\n", "m.csv", "m"); },
                   {"m.csv:1", "column 1", "'\xC3\xA9'"});
  // nlohmann quotes the bytes it last read, here the first byte of a misplaced byte order mark.
  expect_bad_input([] { parse_truthfulqa_json("[" + kTqaItem + ",\n" + kBom + kTqaItem + "]", "t.json"); },
                   {"t.json:2", "invalid JSON", "\\xEF"});
}

// Classes that were already rejected, checked in the formats loaders_test.cpp does not cover.
TEST(tasks_LoadersReject, InvalidUtf8WrongTypesAndRanges) {
  expect_bad_input([] { parse_gsm8k_jsonl(kGsmLine + "\n{\"question\":\"\xC0\xAF\"}", "g.jsonl"); },
                   {"g.jsonl:2", "invalid UTF-8"});
  expect_bad_input([] { parse_truthfulqa_json("[\n" + kTqaItem + ",\n\"\xED\xA0\x80\"]", "t.json"); },
                   {"t.json:3", "invalid UTF-8"});
  expect_bad_input([] { parse_hellaswag_jsonl(hs_line("1") + "\n\"\xF4\x90\x80\x80\"", "h.jsonl"); },
                   {"h.jsonl:2", "invalid UTF-8"});
  expect_bad_input([] { parse_truthfulqa_json(tqa_file("[1]"), "t.json"); }, {"t.json:3", "object per question"});
  expect_bad_input([] { parse_gsm8k_jsonl(kGsmLine + "\n\"q\"", "g.jsonl"); }, {"g.jsonl:2", "JSON object"});
  expect_bad_input([] { parse_hellaswag_jsonl(hs_line("1") + "\nnull", "h.jsonl"); }, {"h.jsonl:2", "JSON object"});
  expect_bad_input(
      [] { parse_arc_jsonl(R"({"id":"a","question":{"stem":"s","choices":{}},"answerKey":"A"})", "a.jsonl"); },
      {"a.jsonl:1", "field 'question.choices'", "expected an array"});
  expect_bad_input(
      [] { parse_arc_jsonl(R"({"id":"a","question":{"stem":"s","choices":["x","y"]},"answerKey":"A"})", "a.jsonl"); },
      {"a.jsonl:1", "question.choices[0]", "expected a JSON object"});
  expect_bad_input(
      [] { parse_arc_jsonl(R"({"id":7,"question":{"stem":"s","choices":[]},"answerKey":"A"})", "a.jsonl"); },
      {"a.jsonl:1", "field 'id'", "expected a string"});
  expect_bad_input([] { parse_gsm8k_jsonl(R"({"question":"q","answer":["#### 4"]})", "g.jsonl"); },
                   {"g.jsonl:1", "field 'answer'", "expected a string"});
  for (const std::string label : {"-1", "2", "true", "1.0", "\"01\"", "\"\"", "null"}) {
    std::string line = hs_line("1");
    line.replace(line.find("\"label\":0"), 9, "\"label\":" + label);
    expect_bad_input([&] { parse_hellaswag_jsonl(line, "h.jsonl"); }, {"h.jsonl:1", "field 'label'"});
  }
  expect_bad_input(
      [] {
        parse_truthfulqa_json(tqa_file(R"({"question":"q","mc1_targets":{"a":2,"b":0},"mc2_targets":{"a":1,"b":0}})"),
                              "t.json");
      },
      {"t.json:3", "mc1_targets[\"a\"]", "expected 1 or 0"});
  expect_bad_input([] { parse_mmlu_csv("q,a,b,c,d,AB\n", "m.csv", "m"); }, {"m.csv:1", "field 'answer'"});
}

// A number beyond the range of a double anywhere in a record (found by fuzzing: nlohmann::json throws
// out_of_range, not parse_error, and it escaped as an internal error) is bad input naming the line.
TEST(tasks_LoadersReject, NumberBeyondDoubleRange) {
  expect_bad_input(
      [] { parse_gsm8k_jsonl(kGsmLine + "\n{\"question\":\"q\",\"answer\":\"#### 4\",\"x\":1e999}", "g.jsonl"); },
      {"g.jsonl:2", "number overflow"});
  expect_bad_input([] { parse_truthfulqa_json("[\n" + kTqaItem + ",\n-1e400]", "t.json"); },
                   {"t.json:1", "number overflow"});
  std::string line = hs_line("1");
  line.replace(line.find("\"label\":0"), 9, "\"label\":1e999");
  expect_bad_input([&] { parse_hellaswag_jsonl(line, "h.jsonl"); }, {"h.jsonl:1", "number overflow"});
}

}  // namespace
}  // namespace jouleval::tasks
