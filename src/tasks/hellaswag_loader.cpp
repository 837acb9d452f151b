// HellaSwag: the original JSONL and llama.cpp's 6-line text format.
#include <fmt/format.h>

#include "tasks/datasets.h"
#include "tasks/hellaswag_text.h"
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
    throw_bad_input(pos, "label", fmt::format("expected an index 0..{}, got {}", n_choices - 1, v.dump()));
  }
  return static_cast<int>(label);
}

}  // namespace

std::vector<HellaswagRow> parse_hellaswag_jsonl(std::string_view text, std::string_view source) {
  std::vector<HellaswagRow> rows;
  for_each_jsonl_record(text, source, [&](const nlohmann::json& rec, const SourcePos& pos) {
    HellaswagRow row;
    auto ind = rec.find("ind");
    row.id =
        ind == rec.end() ? std::to_string(rows.size()) : (ind->is_string() ? ind->get<std::string>() : ind->dump());
    std::string activity = require_string(rec, "activity_label", pos);
    std::string ctx_a = require_string(rec, "ctx_a", pos);
    std::string ctx_b = require_string(rec, "ctx_b", pos);
    row.context = hellaswag_preprocess(activity + ": " + ctx_a + " " + python_capitalize(ctx_b));
    const nlohmann::json& endings = require_array(rec, "endings", pos);
    if (endings.empty()) throw_bad_input(pos, "endings", "empty choices");
    for (size_t e = 0; e < endings.size(); ++e) {
      if (!endings[e].is_string()) throw_bad_input(pos, fmt::format("endings[{}]", e), "expected a string");
      row.endings.push_back(hellaswag_preprocess(endings[e].get_ref<const std::string&>()));
      if (row.endings.back().empty()) throw_bad_input(pos, fmt::format("endings[{}]", e), "empty");
    }
    row.gold = parse_label(require_field(rec, "label", pos), row.endings.size(), pos);
    rows.push_back(std::move(row));
  });
  return rows;
}

std::vector<HellaswagRow> parse_hellaswag_text(std::string_view text, std::string_view source) {
  require_utf8(text, source);
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
    if (strip_ascii(lines[base]).empty()) throw_bad_input({source, line0}, "context", "empty");
    row.context = std::string(lines[base]);
    std::string_view label = lines[base + 1];
    if (label.size() != 1 || label[0] < '0' || label[0] > '3') {
      throw_bad_input({source, line0 + 1}, "label", fmt::format("expected 0, 1, 2 or 3, got '{}'", label));
    }
    row.gold = label[0] - '0';
    for (size_t e = 0; e < 4; ++e) {
      std::string_view ending = lines[base + 2 + e];
      if (strip_ascii(ending).empty()) {
        throw_bad_input({source, line0 + 2 + static_cast<int>(e)}, fmt::format("ending {}", e), "empty");
      }
      row.endings.emplace_back(ending);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace jouleval::tasks
