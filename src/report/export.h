// Writing a report::Table as CSV, JSON Lines, Markdown or LaTeX (booktabs, sized for a
// two-column ACM sigconf paper). Unavailable values are empty / null / "unavailable" / "--" (a value
// an older database did not record: "not recorded" / "n/r"). Opt-in columns (Column::opt_in) are
// left out unless the table was made by select_columns naming them. CSV and JSON Lines keep text
// and numbers exactly (JSON escapes control characters), one column each; Markdown and LaTeX, meant
// for people, escape control characters visibly (util/terminal_text.h), write numbers by
// report/number_format.h (Column::decimals; identity fields as stored), write a value and the ends
// of its 95% interval (Column::interval_of), when the table has all three, as one cell
// "value ± half-width", and end with a caption: the LaTeX \caption, a note line under the
// Markdown table. The caption is ExportOptions::caption, then ExportOptions::notes, then what the
// marks mean (±, a value without ±, --, n/r, *), only for the marks the table shows.
#pragma once

#include <string>
#include <vector>

#include "report/table.h"

namespace jouleval::report {

enum class ExportFormat { kCsv, kJsonl, kMarkdown, kLatex };

// What an export holds: the summary (one row per finished cell), the per-item records, or the
// precision comparisons (report/precision.h: one row per precision against its reference), or the
// model comparisons (report/model_compare.h: one row per cell shared with the baseline model), or the
// phases of generation cells (report/phases.h: one row per repetition, meter and phase).
enum class ExportTable { kSummary, kItems, kPrecision, kModels, kPhases, kLatency };

// "summary" | "items" | "precision" | "models" | "phases"; throws util::Error (usage) otherwise.
ExportTable parse_export_table(const std::string& name);

// "csv" | "jsonl" | "markdown" (or "md") | "latex" (or "tex"); throws util::Error (usage) otherwise.
ExportFormat parse_export_format(const std::string& name);

struct ExportOptions {
  std::string caption;                  // first sentence of the caption (LaTeX: "Results" when empty)
  std::string label = "tab:jouleval";   // LaTeX \label
  std::vector<std::string> notes = {};  // sentences after it (summary.h caption_notes)
};

std::string export_csv(const Table& table);
std::string export_jsonl(const Table& table);
std::string export_markdown(const Table& table, const ExportOptions& options = {});
std::string export_latex(const Table& table, const ExportOptions& options = {});
std::string export_table(const Table& table, ExportFormat format, const ExportOptions& options = {});

// Escapes LaTeX specials (\ { } $ & % # _ ~ ^) and writes the few non-ASCII characters jouleval's own
// text uses in math mode (± × √ ² as $\pm$ $\times$ $\surd$ $^2$), which compile in any input encoding.
std::string latex_escape(const std::string& text);

}  // namespace jouleval::report
