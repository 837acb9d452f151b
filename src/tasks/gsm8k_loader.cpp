// GSM8K: JSONL records {question, answer}.
#include <fmt/format.h>

#include "tasks/datasets.h"
#include "tasks/gsm8k_answer.h"
#include "tasks/input_checks.h"
#include "tasks/json_fields.h"
#include "tasks/jsonl.h"

namespace jouleval::tasks {
namespace {

// A decimal number: -?[0-9]+(\.[0-9]+)?
bool is_decimal_number(std::string_view s) {
  if (s.starts_with('-')) s.remove_prefix(1);
  size_t i = 0;
  auto digits = [&] {
    size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > from;
  };
  if (!digits()) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

}  // namespace

std::vector<Gsm8kRow> parse_gsm8k_jsonl(std::string_view text, std::string_view source) {
  std::vector<Gsm8kRow> rows;
  for_each_jsonl_record(text, source, [&](const nlohmann::json& rec, const SourcePos& pos) {
    Gsm8kRow row;
    row.question = require_string(rec, "question", pos);
    row.answer = require_string(rec, "answer", pos);
    check_text_field(pos, "question", row.question);
    check_text_field(pos, "answer", row.answer);
    check_item_bytes(pos, row.question.size() + row.answer.size());
    const size_t marker = row.answer.rfind("#### ");
    if (marker == std::string::npos) throw_bad_input(pos, "answer", "has no final '#### <number>' line");
    // The reference that exact_match compares is what normalize_answer keeps: it must be a number,
    // or no output could ever match it.
    if (!is_decimal_number(normalize_answer(row.answer))) {
      throw_bad_input(pos, "answer",
                      fmt::format("the final '#### ' is not followed by a number (got '{}')",
                                  excerpt(std::string_view(row.answer).substr(marker + 5))));
    }
    rows.push_back(std::move(row));
  });
  require_items(rows.size(), source);
  return rows;
}

}  // namespace jouleval::tasks
