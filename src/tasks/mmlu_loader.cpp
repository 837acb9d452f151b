// MMLU: headerless CSV per subject.
#include <fmt/format.h>

#include "tasks/csv_reader.h"
#include "tasks/datasets.h"
#include "tasks/hellaswag_text.h"
#include "tasks/input_checks.h"
#include "tasks/source.h"

namespace jouleval::tasks {

std::string mmlu_subject_from_filename(std::string_view filename) {
  std::string_view stem = filename;
  if (auto slash = stem.find_last_of("/\\"); slash != std::string_view::npos) stem.remove_prefix(slash + 1);
  if (auto dot = stem.rfind('.'); dot != std::string_view::npos) stem = stem.substr(0, dot);
  for (std::string_view suffix : {"_test", "_dev", "_val"}) {
    if (stem.size() > suffix.size() && stem.substr(stem.size() - suffix.size()) == suffix) {
      stem.remove_suffix(suffix.size());
      break;
    }
  }
  return std::string(stem);
}

std::vector<MmluRow> parse_mmlu_csv(std::string_view text, std::string_view source, std::string_view subject) {
  static constexpr const char* kFieldNames[6] = {"question", "A", "B", "C", "D", "answer"};
  text = check_file_text(text, source);
  std::vector<CsvRecord> records = parse_csv(text, source);
  std::vector<MmluRow> rows;
  rows.reserve(records.size());
  for (CsvRecord& rec : records) {
    SourcePos pos{source, rec.line};
    if (rec.fields.size() != 6) {
      throw_bad_input(pos, "", fmt::format("expected 6 fields (question,A,B,C,D,answer), got {}", rec.fields.size()));
    }
    size_t item_bytes = 0;
    for (int f = 0; f < 5; ++f) {
      check_text_field(pos, kFieldNames[f], rec.fields[f]);
      item_bytes += rec.fields[f].size();
    }
    check_item_bytes(pos, item_bytes);
    std::string_view answer = strip_ascii(rec.fields[5]);
    if (answer.size() != 1 || answer[0] < 'A' || answer[0] > 'D') {
      throw_bad_input(pos, "answer", fmt::format("expected one of A, B, C, D, got '{}'", excerpt(rec.fields[5])));
    }
    MmluRow row;
    row.subject = std::string(subject);
    row.index = static_cast<int>(rows.size());
    row.question = std::move(rec.fields[0]);
    for (int c = 0; c < 4; ++c) row.choices[c] = std::move(rec.fields[c + 1]);
    row.gold = answer[0] - 'A';
    rows.push_back(std::move(row));
  }
  require_items(rows.size(), source);
  return rows;
}

}  // namespace jouleval::tasks
