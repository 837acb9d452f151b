// ARC: JSONL records of the AI2 release.
#include <algorithm>

#include <fmt/format.h>

#include "tasks/datasets.h"
#include "tasks/input_checks.h"
#include "tasks/json_fields.h"
#include "tasks/jsonl.h"

namespace jouleval::tasks {

std::vector<ArcRow> parse_arc_jsonl(std::string_view text, std::string_view source) {
  std::vector<ArcRow> rows;
  ItemIds ids;
  for_each_jsonl_record(text, source, [&](const nlohmann::json& rec, const SourcePos& pos) {
    ArcRow row;
    row.id = require_string(rec, "id", pos);
    check_text_field(pos, "id", row.id);
    const nlohmann::json& question = require_object(rec, "question", pos);
    row.stem = require_string(question, "stem", pos, "question");
    check_text_field(pos, "question.stem", row.stem);
    size_t item_bytes = row.stem.size();
    const nlohmann::json& choices = require_array(question, "choices", pos, "question");
    if (choices.empty()) throw_bad_input(pos, "question.choices", "empty choices");
    if (choices.size() < 2) throw_bad_input(pos, "question.choices", "needs at least 2 choices");
    for (size_t c = 0; c < choices.size(); ++c) {
      std::string path = fmt::format("question.choices[{}]", c);
      std::string label = require_string(choices[c], "label", pos, path);
      std::string choice_text = require_string(choices[c], "text", pos, path);
      check_text_field(pos, path + ".label", label);
      check_text_field(pos, path + ".text", choice_text);
      if (std::find(row.labels.begin(), row.labels.end(), label) != row.labels.end()) {
        throw_bad_input(pos, path + ".label", fmt::format("duplicate label '{}'", excerpt(label)));
      }
      item_bytes += choice_text.size();
      row.labels.push_back(std::move(label));
      row.texts.push_back(std::move(choice_text));
    }
    check_item_bytes(pos, item_bytes);
    std::string key = require_string(rec, "answerKey", pos);
    auto it = std::find(row.labels.begin(), row.labels.end(), key);
    if (it == row.labels.end()) {
      throw_bad_input(pos, "answerKey", fmt::format("'{}' is not one of the choice labels", excerpt(key)));
    }
    row.gold = static_cast<int>(it - row.labels.begin());
    ids.add(row.id, pos, "id");
    rows.push_back(std::move(row));
  });
  require_items(rows.size(), source);
  return rows;
}

}  // namespace jouleval::tasks
