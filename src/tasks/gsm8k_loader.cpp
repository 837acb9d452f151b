// GSM8K: JSONL records {question, answer}.
#include "tasks/datasets.h"
#include "tasks/json_fields.h"
#include "tasks/jsonl.h"

namespace jouleval::tasks {

std::vector<Gsm8kRow> parse_gsm8k_jsonl(std::string_view text, std::string_view source) {
  std::vector<Gsm8kRow> rows;
  for_each_jsonl_record(text, source, [&](const nlohmann::json& rec, const SourcePos& pos) {
    Gsm8kRow row;
    row.question = require_string(rec, "question", pos);
    row.answer = require_string(rec, "answer", pos);
    if (row.question.empty()) throw_bad_input(pos, "question", "empty");
    if (row.answer.find("#### ") == std::string::npos) {
      throw_bad_input(pos, "answer", "has no final '#### <number>' line");
    }
    rows.push_back(std::move(row));
  });
  return rows;
}

}  // namespace jouleval::tasks
