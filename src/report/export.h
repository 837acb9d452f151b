// Writing a report::Table as CSV, JSON Lines, Markdown or LaTeX (booktabs, sized for a
// two-column ACM sigconf paper). Unavailable values are empty / null / "unavailable" / "--" (a value
// an older database did not record: "not recorded" / "n/r"). Opt-in columns (Column::opt_in) are
// left out unless the table was made by select_columns naming them. CSV and JSON Lines keep text
// exactly (JSON escapes control characters); Markdown and LaTeX, meant for people, escape control
// characters visibly (util/terminal_text.h).
#pragma once

#include <string>

#include "report/table.h"

namespace jouleval::report {

enum class ExportFormat { kCsv, kJsonl, kMarkdown, kLatex };

// What an export holds: the summary (one row per finished cell), the per-item records, or the
// precision comparisons (report/precision.h: one row per precision against its reference), or the
// model comparisons (report/model_compare.h: one row per cell shared with the baseline model).
enum class ExportTable { kSummary, kItems, kPrecision, kModels };

// "summary" | "items" | "precision" | "models"; throws util::Error (usage) otherwise.
ExportTable parse_export_table(const std::string& name);

// "csv" | "jsonl" | "markdown" (or "md") | "latex" (or "tex"); throws util::Error (usage) otherwise.
ExportFormat parse_export_format(const std::string& name);

struct ExportOptions {
  std::string caption = "Results";  // LaTeX caption
  std::string label = "tab:jouleval";
};

std::string export_csv(const Table& table);
std::string export_jsonl(const Table& table);
std::string export_markdown(const Table& table);
std::string export_latex(const Table& table, const ExportOptions& options = {});
std::string export_table(const Table& table, ExportFormat format, const ExportOptions& options = {});

// Escapes LaTeX specials (\ { } $ & % # _ ~ ^).
std::string latex_escape(const std::string& text);

}  // namespace jouleval::report
