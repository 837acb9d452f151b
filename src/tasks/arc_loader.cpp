// ARC: JSONL records of the AI2 release.
#include <algorithm>

#include <fmt/format.h>

#include "tasks/datasets.h"
#include "tasks/json_fields.h"
#include "tasks/jsonl.h"

namespace jouleval::tasks {

std::vector<ArcRow> parse_arc_jsonl(std::string_view text, std::string_view source) {
  std::vector<ArcRow> rows;
  for_each_jsonl_record(text, source, [&](const nlohmann::json& rec, const SourcePos& pos) {
    ArcRow row;
    row.id = require_string(rec, "id", pos);
    const nlohmann::json& question = require_object(rec, "question", pos);
    row.stem = require_string(question, "stem", pos, "question");
    const nlohmann::json& choices = require_array(question, "choices", pos, "question");
    if (choices.empty()) throw_bad_input(pos, "question.choices", "empty choices");
    if (choices.size() < 2) throw_bad_input(pos, "question.choices", "needs at least 2 choices");
    for (size_t c = 0; c < choices.size(); ++c) {
      std::string path = fmt::format("question.choices[{}]", c);
      std::string label = require_string(choices[c], "label", pos, path);
      std::string choice_text = require_string(choices[c], "text", pos, path);
      if (label.empty()) throw_bad_input(pos, path + ".label", "empty");
      if (std::find(row.labels.begin(), row.labels.end(), label) != row.labels.end()) {
        throw_bad_input(pos, path + ".label", fmt::format("duplicate label '{}'", label));
      }
      row.labels.push_back(std::move(label));
      row.texts.push_back(std::move(choice_text));
    }
    std::string key = require_string(rec, "answerKey", pos);
    auto it = std::find(row.labels.begin(), row.labels.end(), key);
    if (it == row.labels.end()) {
      throw_bad_input(pos, "answerKey", fmt::format("'{}' is not one of the choice labels", key));
    }
    row.gold = static_cast<int>(it - row.labels.begin());
    rows.push_back(std::move(row));
  });
  return rows;
}

}  // namespace jouleval::tasks
