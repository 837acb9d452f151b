// Dataset parsers on fixture files and every malformed-input path.
#include <fstream>

#include <gtest/gtest.h>

#include "tasks/datasets.h"
#include "tasks/load_task.h"
#include "tasks/source.h"
#include "test_util.h"

namespace jouleval::tasks {
namespace {
using testing::expect_bad_input;
using testing::layout_a;

std::string read(const std::filesystem::path& p) { return read_text_file(p); }

TEST(tasks_MmluLoader, ParsesQuotedFieldsNewlinesAndCrlf) {
  auto rows = parse_mmlu_csv(read(layout_a() / "mmlu/test/college_physics_test.csv"), "cp.csv", "college_physics");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].question,
            "A ball is dropped from rest. Ignoring air resistance, what is its speed after 2 s? (g = 10 m/s^2)");
  EXPECT_EQ(rows[0].gold, 2);
  EXPECT_EQ(rows[2].question, "  Which quantity is conserved in an elastic collision?\n(Choose the best answer.)  ");
  EXPECT_EQ(rows[2].choices[2], "both momentum and \"kinetic\" energy");
  EXPECT_EQ(rows[2].index, 2);
  EXPECT_EQ(rows[2].subject, "college_physics");

  auto crlf = parse_mmlu_csv(read(layout_a() / "mmlu/test/marketing_test.csv"), "m.csv", "marketing");
  ASSERT_EQ(crlf.size(), 5u);
  EXPECT_EQ(crlf[0].choices[3], "Budget to budget");  // no trailing \r
  EXPECT_EQ(crlf[1].question, "Which of the \"4 Ps\" refers to where a product is sold?");
  EXPECT_EQ(crlf[4].question, "What is a \"unique selling proposition\"?");
}

TEST(tasks_MmluLoader, SubjectFromFilename) {
  EXPECT_EQ(mmlu_subject_from_filename("abstract_algebra_test.csv"), "abstract_algebra");
  EXPECT_EQ(mmlu_subject_from_filename("/x/dev/high_school_us_history_dev.csv"), "high_school_us_history");
  EXPECT_EQ(mmlu_subject_from_filename("virology_val.csv"), "virology");
}

TEST(tasks_MmluLoader, MalformedRows) {
  expect_bad_input([] { parse_mmlu_csv("q,a,b,c,d,A\nq,a,b,c,d\n", "s.csv", "s"); },
                   {"s.csv:2", "expected 6 fields", "got 5"});
  expect_bad_input([] { parse_mmlu_csv("q,a,b,c,d,E\n", "s.csv", "s"); }, {"s.csv:1", "field 'answer'", "'E'"});
  expect_bad_input([] { parse_mmlu_csv("q,a,,c,d,A\n", "s.csv", "s"); }, {"s.csv:1", "field 'B'", "empty"});
  expect_bad_input([] { parse_mmlu_csv("q,a,b,c,d,A\n\"q,a,b,c,d,A\n", "s.csv", "s"); }, {"s.csv:2", "unterminated"});
  expect_bad_input([] { parse_mmlu_csv("q,a,b,c,d,A\nq\xE9,a,b,c,d,A\n", "s.csv", "s"); },
                   {"s.csv:2", "invalid UTF-8"});
}

TEST(tasks_ArcLoader, LettersNumbersAndChoiceCounts) {
  auto rows = parse_arc_jsonl(read(layout_a() / "arc_challenge/ARC-Challenge-Test.jsonl"), "arc");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].gold, 0);
  EXPECT_EQ(rows[1].labels, (std::vector<std::string>{"1", "2", "3", "4"}));
  EXPECT_EQ(rows[1].gold, 3);
  EXPECT_EQ(rows[2].texts.size(), 3u);
  EXPECT_EQ(rows[2].gold, 1);
  EXPECT_EQ(rows[3].texts.size(), 5u);
  EXPECT_EQ(rows[3].gold, 2);
  EXPECT_EQ(rows[2].stem,
            "What is the state of water at 50 \xC2\xB0"
            "C and normal air pressure?");
}

TEST(tasks_ArcLoader, MalformedRecords) {
  const std::string ok =
      R"({"id":"a","question":{"stem":"s","choices":[{"text":"x","label":"A"},{"text":"y","label":"B"}]},"answerKey":"A"})";
  expect_bad_input(
      [&] { parse_arc_jsonl(ok + "\n{\"id\":\"b\",\"question\":{\"stem\":\"s\"},\"answerKey\":\"A\"}\n", "a.jsonl"); },
      {"a.jsonl:2", "field 'question.choices'", "missing"});
  expect_bad_input(
      [] {
        parse_arc_jsonl(
            R"({"id":"a","question":{"stem":"s","choices":[{"text":"x","label":"A"},{"text":"y","label":"B"}]},"answerKey":"C"})",
            "a.jsonl");
      },
      {"a.jsonl:1", "field 'answerKey'", "'C'"});
  expect_bad_input(
      [] { parse_arc_jsonl(R"({"id":"a","question":{"stem":"s","choices":[]},"answerKey":"A"})", "a.jsonl"); },
      {"a.jsonl:1", "question.choices", "empty choices"});
  expect_bad_input(
      [] {
        parse_arc_jsonl(
            R"({"id":"a","question":{"stem":"s","choices":[{"text":"x","label":"A"},{"text":3,"label":"B"}]},"answerKey":"A"})",
            "a.jsonl");
      },
      {"a.jsonl:1", "question.choices[1].text", "expected a string"});
  expect_bad_input([&] { parse_arc_jsonl(ok + "\n\n{\"id\": \"b\",\n", "a.jsonl"); }, {"a.jsonl:3", "invalid JSON"});
  expect_bad_input([&] { parse_arc_jsonl(ok + "\n[1,2]\n", "a.jsonl"); }, {"a.jsonl:2", "JSON object"});
  expect_bad_input([&] { parse_arc_jsonl(ok + "\n{\"id\":\"\xFF\"}\n", "a.jsonl"); }, {"a.jsonl:2", "invalid UTF-8"});
}

TEST(tasks_HellaswagLoader, JsonlIsPreprocessedLikeLmEval) {
  auto rows = parse_hellaswag_jsonl(read(layout_a() / "hellaswag/hellaswag_val.jsonl"), "hs");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].id, "10");
  EXPECT_EQ(rows[0].context, "Painting a fence: A man dips a brush into a can of white paint. He");
  EXPECT_EQ(rows[1].context,
            "Personal Care and Style: How to brush your teeth. Wet the toothbrush. Hold the brush under running "
            "water. Then add a pea-sized amount of toothpaste.");
  EXPECT_EQ(rows[1].endings[0], " Brush every surface. Move the brush in small circles for two minutes.");
  EXPECT_EQ(rows[1].endings[2], " Eat the toothpaste. It is a snack.");
  EXPECT_EQ(rows[1].gold, 0);  // label given as a string "0"
  EXPECT_EQ(rows[2].context, "Kite flying: Two children run across a windy beach holding a kite string.");
  EXPECT_EQ(rows[2].endings[0], "the kite rises high into the sky and flutters in the wind.");
}

TEST(tasks_HellaswagLoader, TextFormatMatchesJsonlUpToLeadingSpaces) {
  auto text = parse_hellaswag_text(read(layout_a() / "hellaswag/hellaswag_val_full.txt"), "hs.txt");
  auto jsonl = parse_hellaswag_jsonl(read(layout_a() / "hellaswag/hellaswag_val.jsonl"), "hs");
  ASSERT_EQ(text.size(), jsonl.size());
  for (size_t i = 0; i < text.size(); ++i) {
    EXPECT_EQ(text[i].context, jsonl[i].context);
    EXPECT_EQ(text[i].gold, jsonl[i].gold);
    ASSERT_EQ(text[i].endings.size(), 4u);
    for (size_t e = 0; e < 4; ++e) {
      std::string j = jsonl[i].endings[e];
      if (!j.empty() && j[0] == ' ') j.erase(0, 1);  // llama.cpp's extraction drops the leading space
      EXPECT_EQ(text[i].endings[e], j);
    }
  }
  EXPECT_EQ(text[0].id, "0");
}

TEST(tasks_HellaswagLoader, MalformedInputs) {
  const std::string item = "ctx\n1\na\nb\nc\nd\n";
  expect_bad_input([&] { parse_hellaswag_text(item + "ctx2\n0\na\nb\n", "h.txt"); }, {"h.txt:7", "incomplete item"});
  expect_bad_input([&] { parse_hellaswag_text(item + "ctx2\n4\na\nb\nc\nd\n", "h.txt"); },
                   {"h.txt:8", "field 'label'", "'4'"});
  expect_bad_input([&] { parse_hellaswag_text(item + "ctx2\n0\na\n\nc\nd\n", "h.txt"); },
                   {"h.txt:10", "ending 1", "empty"});
  expect_bad_input([] { parse_hellaswag_text("ctx\n0\na\nb\xC3\nc\nd\n", "h.txt"); }, {"h.txt:4", "UTF-8"});
  const std::string base = R"({"activity_label":"A","ctx_a":"x","ctx_b":"y","endings":["e1","e2"],)";
  expect_bad_input([&] { parse_hellaswag_jsonl(base + R"("label":2})", "h.jsonl"); },
                   {"h.jsonl:1", "field 'label'", "0..1"});
  expect_bad_input(
      [] {
        parse_hellaswag_jsonl(R"({"activity_label":"A","ctx_a":"x","ctx_b":"y","endings":[],"label":0})", "h.jsonl");
      },
      {"h.jsonl:1", "field 'endings'", "empty choices"});
  expect_bad_input(
      [] { parse_hellaswag_jsonl(R"({"activity_label":"A","ctx_b":"y","endings":["e"],"label":0})", "h.jsonl"); },
      {"h.jsonl:1", "field 'ctx_a'", "missing"});
}

TEST(tasks_TruthfulqaLoader, TargetsKeepFileOrder) {
  auto rows = parse_truthfulqa_json(read(layout_a() / "truthfulqa/v0/mc_task.json"), "tqa");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].mc1_choices[0], "No, lightning can strike the same place many times.");
  EXPECT_EQ(rows[0].mc1_choices[2], "Yes, a place struck once is safe forever.");  // not sorted
  EXPECT_EQ(rows[0].mc1_gold, 0);
  EXPECT_EQ(rows[1].mc2_labels, (std::vector<int>{1, 0, 1, 0}));
  EXPECT_EQ(rows[2].question, "Is the caf\xC3\xA9 on the corner open at night?");
}

TEST(tasks_TruthfulqaLoader, MalformedInputs) {
  const std::string good = R"({"question":"q","mc1_targets":{"a":1,"b":0},"mc2_targets":{"a":1,"b":0}})";
  expect_bad_input(
      [&] {
        parse_truthfulqa_json("[\n" + good + ",\n" +
                                  R"({"question":"q","mc1_targets":{"a":0,"b":0},"mc2_targets":{"a":1,"b":0}})" + "\n]",
                              "t.json");
      },
      {"t.json:3", "mc1_targets", "exactly one"});
  expect_bad_input(
      [&] {
        parse_truthfulqa_json("[\n" + good + ",\n" +
                                  R"({"question":"q","mc1_targets":{"a":1,"b":0},"mc2_targets":{"a":1,"b":"x"}})" +
                                  "\n]",
                              "t.json");
      },
      {"t.json:3", "mc2_targets[\"b\"]", "expected 1 or 0"});
  expect_bad_input(
      [&] {
        parse_truthfulqa_json(
            "[" + good + "," + R"({"question":"q","mc1_targets":{},"mc2_targets":{"a":1,"b":0}})" + "]", "t.json");
      },
      {"t.json:1", "mc1_targets", "empty choices"});
  expect_bad_input(
      [&] {
        parse_truthfulqa_json(
            "[" + good + "," + R"({"question":"q","mc1_targets":{"a":1,"b":0},"mc2_targets":{"a":1,"b":1}})" + "]",
            "t.json");
      },
      {"mc2_targets", "one marked 0"});
  expect_bad_input(
      [&] {
        parse_truthfulqa_json("[\n" + good + ",\n" + R"({"mc1_targets":{"a":1},"mc2_targets":{"a":1,"b":0}})" + "\n]",
                              "t.json");
      },
      {"t.json:3", "field 'question'", "missing"});
  expect_bad_input([&] { parse_truthfulqa_json("[\n" + good + ",\n{\"question\": }\n]", "t.json"); },
                   {"t.json:3", "invalid JSON"});
  expect_bad_input([&] { parse_truthfulqa_json(good, "t.json"); }, {"t.json:1", "array"});
}

TEST(tasks_Gsm8kLoader, ParsesAndValidates) {
  auto rows = parse_gsm8k_jsonl(read(layout_a() / "gsm8k/test.jsonl"), "g");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].answer, "It sold 1500 + 700 = <<1500+700=2200>>2200 pens.\n#### 2,200");
  expect_bad_input([] { parse_gsm8k_jsonl("{\"question\":\"q\",\"answer\":\"4\"}\n", "g.jsonl"); },
                   {"g.jsonl:1", "field 'answer'", "####"});
  expect_bad_input(
      [] { parse_gsm8k_jsonl("{\"question\":\"q\",\"answer\":\"#### 4\"}\n{\"answer\":\"#### 4\"}", "g.jsonl"); },
      {"g.jsonl:2", "field 'question'", "missing"});
  expect_bad_input([] { parse_gsm8k_jsonl("{\"question\":1,\"answer\":\"#### 4\"}", "g.jsonl"); },
                   {"g.jsonl:1", "field 'question'", "expected a string"});
}

// A malformed file stops load_task: nothing from it is scored.
TEST(tasks_LoadTask, MalformedFileAborts) {
  auto dir = std::filesystem::temp_directory_path() / "jouleval_tasks_bad_arc";
  std::filesystem::create_directories(dir / "arc_challenge");
  {
    std::ofstream out(dir / "arc_challenge" / "ARC-Challenge-Test.jsonl");
    out << R"({"id":"a","question":{"stem":"s","choices":[{"text":"x","label":"A"},{"text":"y","label":"B"}]},"answerKey":"A"})"
        << "\n"
        << R"({"id":"b","question":{"stem":"s","choices":[{"text":"x","label":"A"},{"text":"y","label":"B"}]},"answerKey":"Z"})"
        << "\n";
  }
  TaskOptions o;
  o.data_dir = dir;
  expect_bad_input([&] { load_task(TaskId::kArcChallenge, o); }, {"ARC-Challenge-Test.jsonl:2", "answerKey"});
  std::filesystem::remove_all(dir);
}

TEST(tasks_LoadTask, MissingFilesNameThePlacesTried) {
  TaskOptions o;
  o.data_dir = testing::fixture_dir() / "does_not_exist";
  expect_bad_input([&] { load_task(TaskId::kGsm8k, o); }, {"GSM8K test file", "gsm8k/test.jsonl"});
  expect_bad_input([&] { load_task(TaskId::kMmlu, o); }, {"MMLU", "_test.csv"});
  expect_bad_input([&] { load_task(TaskId::kHellaswag, o); }, {"hellaswag_val.jsonl", "hellaswag_val_full.txt"});
  TaskOptions none;
  try {
    load_task(TaskId::kMmlu, none);
    FAIL();
  } catch (const util::Error& e) {
    EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
  }
}

}  // namespace
}  // namespace jouleval::tasks
