// HellaSwag: the original JSONL and llama.cpp's 6-line text format.
#include <fmt/format.h>

#include "tasks/datasets.h"
#include "tasks/hellaswag_text.h"
#include "tasks/input_checks.h"
#include "tasks/json_fields.h"
#include "tasks/jsonl.h"

namespace jouleval::tasks {
namespace {

// "label" is an integer in the original JSONL and a string in the Hugging Face copy.
int parse_label(const nlohmann::json& v, size_t n_choices, const SourcePos& pos) {
  long long label = -1;
  if (v.is_number_integer()) {
    label = v.get<long long>();
  } else if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() == 1 && s[0] >= '0' && s[0] <= '9') label = s[0] - '0';
  }
  if (label < 0 || label >= static_cast<long long>(n_choices)) {
    throw_bad_input(pos, "label", fmt::format("expected an index 0..{}, got {}", n_choices - 1, excerpt(v.dump())));
  }
  return static_cast<int>(label);
}

// The item id: "ind" (an integer, or a string as in some copies) if present, else the item number.
std::string parse_id(const nlohmann::json& rec, size_t item_number, const SourcePos& pos) {
  auto ind = rec.find("ind");
  if (ind == rec.end()) return std::to_string(item_number);
  if (ind->is_number_integer()) return ind->dump();
  if (!ind->is_string()) {
    throw_bad_input(pos, "ind", fmt::format("expected an integer or a string, got {}", ind->type_name()));
  }
  const std::string& id = ind->get_ref<const std::string&>();
  check_text_field(pos, "ind", id);
  return id;
}

}  // namespace

std::vector<HellaswagRow> parse_hellaswag_jsonl(std::string_view text, std::string_view source) {
  std::vector<HellaswagRow> rows;
  ItemIds ids;
  for_each_jsonl_record(text, source, [&](const nlohmann::json& rec, const SourcePos& pos) {
    HellaswagRow row;
    row.id = parse_id(rec, rows.size(), pos);
    std::string activity = require_string(rec, "activity_label", pos);
    std::string ctx_a = require_string(rec, "ctx_a", pos);
    std::string ctx_b = require_string(rec, "ctx_b", pos);
    check_text_field(pos, "activity_label", activity);
    check_text_field(pos, "ctx_a", ctx_a, Blank::kAllow);
    check_text_field(pos, "ctx_b", ctx_b, Blank::kAllow);  // may be empty (not both)
    if (is_blank(ctx_a) && is_blank(ctx_b)) throw_bad_input(pos, "ctx_a", "empty, and so is ctx_b");
    size_t item_bytes = activity.size() + ctx_a.size() + ctx_b.size();
    row.context = hellaswag_preprocess(activity + ": " + ctx_a + " " + python_capitalize(ctx_b));
    const nlohmann::json& endings = require_array(rec, "endings", pos);
    if (endings.empty()) throw_bad_input(pos, "endings", "empty choices");
    if (endings.size() < 2) throw_bad_input(pos, "endings", "needs at least 2 choices");
    for (size_t e = 0; e < endings.size(); ++e) {
      const std::string path = fmt::format("endings[{}]", e);
      if (!endings[e].is_string()) throw_bad_input(pos, path, "expected a string");
      const std::string& ending = endings[e].get_ref<const std::string&>();
      check_text_field(pos, path, ending, Blank::kAllow);
      item_bytes += ending.size();
      row.endings.push_back(hellaswag_preprocess(ending));
      // Blank, or only "[...]" tags, before preprocessing leaves nothing to score.
      if (is_blank(row.endings.back())) throw_bad_input(pos, path, "empty (or only white space and [tags])");
    }
    check_item_bytes(pos, item_bytes);
    row.gold = parse_label(require_field(rec, "label", pos), row.endings.size(), pos);
    ids.add(row.id, pos, "ind");
    rows.push_back(std::move(row));
  });
  require_items(rows.size(), source);
  return rows;
}

std::vector<HellaswagRow> parse_hellaswag_text(std::string_view text, std::string_view source) {
  text = check_file_text(text, source);
  std::vector<std::string_view> lines;
  lines.reserve(static_cast<size_t>(text.size() / 100) + 16);
  for_each_line(text, [&](int, std::string_view line) { lines.push_back(line); });
  if (lines.size() % 6 != 0) {
    int start = static_cast<int>(lines.size() / 6 * 6) + 1;
    throw_bad_input({source, start}, "",
                    fmt::format("incomplete item: the file has {} lines, not a multiple of 6 (context, label, "
                                "4 endings per item)",
                                lines.size()));
  }
  std::vector<HellaswagRow> rows;
  rows.reserve(lines.size() / 6);
  for (size_t base = 0; base < lines.size(); base += 6) {
    const int line0 = static_cast<int>(base) + 1;
    HellaswagRow row;
    row.id = std::to_string(rows.size());
    check_text_field({source, line0}, "context", lines[base]);
    size_t item_bytes = lines[base].size();
    row.context = std::string(lines[base]);
    std::string_view label = lines[base + 1];
    if (label.size() != 1 || label[0] < '0' || label[0] > '3') {
      throw_bad_input({source, line0 + 1}, "label", fmt::format("expected 0, 1, 2 or 3, got '{}'", excerpt(label)));
    }
    row.gold = label[0] - '0';
    for (size_t e = 0; e < 4; ++e) {
      std::string_view ending = lines[base + 2 + e];
      check_text_field({source, line0 + 2 + static_cast<int>(e)}, fmt::format("ending {}", e), ending);
      item_bytes += ending.size();
      row.endings.emplace_back(ending);
    }
    check_item_bytes({source, line0}, item_bytes);
    rows.push_back(std::move(row));
  }
  require_items(rows.size(), source);
  return rows;
}

}  // namespace jouleval::tasks
