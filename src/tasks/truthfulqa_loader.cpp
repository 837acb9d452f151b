// TruthfulQA: mc_task.json (targets are objects mapping choice text to 1/0, in file order).
#include <algorithm>

#include <fmt/format.h>

#include "tasks/datasets.h"
#include "tasks/input_checks.h"
#include "tasks/json_fields.h"

namespace jouleval::tasks {
namespace {

using OJson = nlohmann::ordered_json;

// Line on which each element of the top-level array starts (for error messages).
std::vector<int> element_lines(std::string_view text) {
  std::vector<int> lines;
  int line = 1, depth = 0;
  bool in_string = false, escape = false, expect_value = false;
  for (char c : text) {
    if (c == '\n') ++line;
    if (in_string) {
      if (escape) {
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (depth == 1 && expect_value && c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != ',') {
      lines.push_back(line);
      expect_value = false;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
      if (depth == 1) expect_value = true;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 1) {
      expect_value = true;
    }
  }
  return lines;
}

// Reads the targets object `key` of an item; returns the bytes of its choice texts.
size_t read_targets(const OJson& item, std::string_view key, const SourcePos& pos, std::vector<std::string>& choices,
                    std::vector<int>& labels) {
  const OJson& targets = require_object(item, key, pos);
  if (targets.empty()) throw_bad_input(pos, key, "empty choices");
  if (targets.size() < 2) throw_bad_input(pos, key, "needs at least 2 choices");
  size_t bytes = 0;
  for (auto it = targets.begin(); it != targets.end(); ++it) {
    check_text_field(pos, fmt::format("{} choice {}", key, choices.size()), it.key());
    const OJson& v = it.value();
    int label = -1;
    if (v.is_number_integer() && (v.get<long long>() == 0 || v.get<long long>() == 1)) label = v.get<int>();
    if (v.is_boolean()) label = v.get<bool>() ? 1 : 0;
    if (label < 0) {
      throw_bad_input(pos, fmt::format("{}[\"{}\"]", key, excerpt(it.key())),
                      fmt::format("expected 1 or 0, got {}", excerpt(v.dump())));
    }
    bytes += it.key().size();
    choices.push_back(it.key());
    labels.push_back(label);
  }
  return bytes;
}

}  // namespace

std::vector<TruthfulqaRow> parse_truthfulqa_json(std::string_view text, std::string_view source) {
  text = check_file_text(text, source);
  OJson doc = parse_json_text<OJson>(text, {source, 1});
  if (!doc.is_array()) throw_bad_input({source, 1}, "", "expected a JSON array of questions");
  std::vector<int> lines = element_lines(text);
  std::vector<TruthfulqaRow> rows;
  rows.reserve(doc.size());
  for (size_t i = 0; i < doc.size(); ++i) {
    SourcePos pos{source, i < lines.size() ? lines[i] : 0};
    const OJson& item = doc[i];
    if (!item.is_object()) throw_bad_input(pos, "", "expected an object per question");
    TruthfulqaRow row;
    row.question = require_string(item, "question", pos);
    check_text_field(pos, "question", row.question);
    size_t item_bytes = row.question.size();
    std::vector<int> mc1_labels;
    item_bytes += read_targets(item, "mc1_targets", pos, row.mc1_choices, mc1_labels);
    if (std::count(mc1_labels.begin(), mc1_labels.end(), 1) != 1) {
      throw_bad_input(pos, "mc1_targets", "expected exactly one choice marked 1");
    }
    row.mc1_gold = static_cast<int>(std::find(mc1_labels.begin(), mc1_labels.end(), 1) - mc1_labels.begin());
    item_bytes += read_targets(item, "mc2_targets", pos, row.mc2_choices, row.mc2_labels);
    if (std::count(row.mc2_labels.begin(), row.mc2_labels.end(), 1) == 0 ||
        std::count(row.mc2_labels.begin(), row.mc2_labels.end(), 0) == 0) {
      throw_bad_input(pos, "mc2_targets", "expected at least one choice marked 1 and one marked 0");
    }
    check_item_bytes(pos, item_bytes);
    rows.push_back(std::move(row));
  }
  require_items(rows.size(), source);
  return rows;
}

}  // namespace jouleval::tasks
