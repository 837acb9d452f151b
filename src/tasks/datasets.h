// The records of each benchmark as they come out of the data files (before any prompt is built),
// and the parsers that read them from text in each benchmark's native format.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace jouleval::tasks {

struct MmluRow {
  std::string subject;  // file stem without the split suffix, e.g. "abstract_algebra"
  int index = 0;        // 0-based row within its file
  std::string question;
  std::array<std::string, 4> choices;
  int gold = 0;  // 0..3 for A..D
};

struct ArcRow {
  std::string id;
  std::string stem;
  std::vector<std::string> labels;  // "A".."E" or "1".."5"
  std::vector<std::string> texts;
  int gold = 0;  // index of answerKey among labels
};

struct HellaswagRow {
  std::string id;       // "ind" of the JSONL, else the 0-based item number
  std::string context;  // preprocessed "activity_label: ctx"
  std::vector<std::string> endings;
  int gold = 0;
};

struct TruthfulqaRow {
  std::string question;
  std::vector<std::string> mc1_choices;
  int mc1_gold = 0;  // index of the choice marked 1
  std::vector<std::string> mc2_choices;
  std::vector<int> mc2_labels;  // 1 = true, 0 = false, file order
};

struct Gsm8kRow {
  std::string question;
  std::string answer;  // worked solution ending in "#### N"
};

// Every parser checks the whole text before returning (docs/tasks.md "Malformed data" and "Limits"):
// on malformed input it throws util::Error(ErrorKind::kBadInput) naming `source`, the line and the
// field, and it never returns an empty vector (a text without items is an error). `source` is only
// used in messages. A byte order mark at the very start of `text` is skipped.

// MMLU: a headerless 6-column CSV (question,A,B,C,D,answer letter) of one subject.
std::vector<MmluRow> parse_mmlu_csv(std::string_view text, std::string_view source, std::string_view subject);

// "abstract_algebra_test.csv" -> "abstract_algebra" (strips the extension and a _test/_dev/_val suffix).
std::string mmlu_subject_from_filename(std::string_view filename);

// ARC: JSONL with id, question{stem, choices[{text,label}]}, answerKey.
std::vector<ArcRow> parse_arc_jsonl(std::string_view text, std::string_view source);

// HellaSwag: the original JSONL (activity_label, ctx_a, ctx_b, endings, label), preprocessed as lm-eval.
std::vector<HellaswagRow> parse_hellaswag_jsonl(std::string_view text, std::string_view source);

// HellaSwag: llama.cpp's 6-lines-per-item text (context, gold 0-3, four endings), already preprocessed.
std::vector<HellaswagRow> parse_hellaswag_text(std::string_view text, std::string_view source);

// TruthfulQA: mc_task.json, an array of {question, mc1_targets{text:0/1}, mc2_targets{text:0/1}}.
std::vector<TruthfulqaRow> parse_truthfulqa_json(std::string_view text, std::string_view source);

// GSM8K: JSONL with question and answer (which must contain "#### ").
std::vector<Gsm8kRow> parse_gsm8k_jsonl(std::string_view text, std::string_view source);

}  // namespace jouleval::tasks
