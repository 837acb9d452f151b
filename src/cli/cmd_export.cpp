// `jouleval export DB --format csv|jsonl|markdown|latex [--table summary|items|precision|models]
// [--columns a,b] [-o FILE]`: the summary table (one row per cell), the per-item records or the
// precision comparisons. The output path is checked before the database is read; the file is
// written whole or not at all (an existing one is replaced only when the new one is complete).
#include <fmt/format.h>

#include <memory>

#include "cli/command.h"
#include "report/export.h"
#include "report/latency.h"
#include "report/load.h"
#include "report/model_compare.h"
#include "report/phases.h"
#include "report/precision.h"
#include "report/summary.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/terminal_text.h"

namespace jouleval::cli {

namespace {

report::Table table_of(report::ExportTable which, const report::Summary& summary, const report::Results& results) {
  switch (which) {
    case report::ExportTable::kItems:
      return report::items_table(results.cells, results.machines);
    case report::ExportTable::kPrecision:
      return report::precision_table(summary);
    case report::ExportTable::kModels:
      return report::model_table(summary);
    case report::ExportTable::kPhases:
      return report::phases_table(results.cells, results.machines);
    case report::ExportTable::kLatency:
      return report::latency_table(results.cells, results.machines);
    case report::ExportTable::kSummary:
      break;
  }
  return report::summary_table(summary);
}

// The compact columns of the formats for people (Markdown, LaTeX).
std::vector<std::string> default_keys(report::ExportTable which, report::ExportFormat format,
                                      const report::Summary& summary, const report::Table& full) {
  switch (which) {
    case report::ExportTable::kSummary:
      return format == report::ExportFormat::kLatex ? report::latex_default_columns(summary)
                                                    : report::markdown_default_columns(summary);
    case report::ExportTable::kPrecision:
      return report::precision_export_columns(full);
    case report::ExportTable::kItems:
    case report::ExportTable::kModels:
    case report::ExportTable::kPhases:
    case report::ExportTable::kLatency:
      break;
  }
  return full.default_columns;
}

std::string default_caption(report::ExportTable which) {
  switch (which) {
    case report::ExportTable::kItems:
      return "Scored items per configuration";
    case report::ExportTable::kPrecision:
      return "Energy and accuracy of each precision against its reference precision";
    case report::ExportTable::kModels:
      return "Each model against the baseline model on the cells they share";
    case report::ExportTable::kPhases:
      return "Phases of generation per repetition and meter";
    case report::ExportTable::kLatency:
      return "Latency under load of endpoint generation cells per repetition";
    case report::ExportTable::kSummary:
      break;
  }
  return "Energy and accuracy per configuration";
}

// The cells a table's rows stand for (its cell_id, reference_cell_id and baseline_cell_id columns), for
// the caption.
std::vector<int64_t> cell_ids(const report::Table& table) {
  std::vector<int64_t> ids;
  for (const char* key : {"cell_id", "reference_cell_id", "baseline_cell_id"}) {
    const auto i = table.column_index(key);
    if (!i) continue;
    for (const auto& row : table.rows)
      if (const int64_t* id = std::get_if<int64_t>(&row[*i])) ids.push_back(*id);
  }
  return ids;
}

}  // namespace

Command add_export_command(CLI::App& root) {
  struct Options {
    std::string db = "jouleval.db";
    std::string format = "csv";
    std::string table;
    bool items = false;
    std::string columns;
    std::string output;
    std::string caption;
    bool list_columns = false;
  };
  auto o = std::make_shared<Options>();
  Command command;
  command.app = root.add_subcommand(
      "export",
      "Export the summary table, per-item records or precision comparisons as CSV, JSONL, Markdown or LaTeX.");
  command.app->add_option("db", o->db, "Results database (opened read-only)")->capture_default_str();
  command.app->add_option("--format", o->format, "csv | jsonl | markdown | latex")->capture_default_str();
  command.app->add_option(
      "--table", o->table,
      "summary (one row per cell, the default) | items (per-item records) | precision (each "
      "precision against its reference) | models (each model against the baseline model) | phases (prefill, "
      "decode, steady state of generation cells) | latency (endpoint generation cells: TTFT, ITL, end-to-end "
      "percentiles, throughput, goodput)");
  command.app->add_flag("--items", o->items, "Per-item records (same as --table items)");
  command.app->add_option("--columns", o->columns,
                          "Comma-separated column keys (default: all for csv/jsonl, a compact set for markdown/latex)");
  command.app->add_flag("--list-columns", o->list_columns,
                        "Print the column keys and labels of the table, then exit (no database needed)");
  command.app->add_option("--caption", o->caption,
                          "First sentence of the caption (LaTeX) or of the note under the table (Markdown); "
                          "default: what the table holds");
  command.app->add_option("-o,--output", o->output,
                          "File to write (default: standard output; an existing file is replaced)");
  command.run = [o] {
    return [&] {
      const auto format = report::parse_export_format(o->format);
      report::ExportTable which = report::ExportTable::kSummary;
      if (!o->table.empty()) which = report::parse_export_table(o->table);
      if (o->items) {
        if (!o->table.empty() && which != report::ExportTable::kItems)
          throw util::Error(fmt::format("--items conflicts with --table {}", o->table), util::ErrorKind::kUsage);
        which = report::ExportTable::kItems;
      }
      // Every option is checked before the database is opened (its columns do not depend on it).
      const std::vector<std::string> keys_given = report::split_list(o->columns);
      const report::Table shape = table_of(which, {}, {});
      if (o->list_columns) {
        for (const auto& c : shape.columns) fmt::print("{:<26} {}\n", c.key, c.label);
        return 0;
      }
      if (!keys_given.empty()) report::select_columns(shape, keys_given);
      if (!o->output.empty()) util::check_output_path(o->output, util::Existing::kReplace, "-o");
      // The opt-in 1 Hz columns need the stored power timelines; load them only when asked for.
      const bool items = which == report::ExportTable::kItems;
      const bool timeline = which == report::ExportTable::kSummary && report::summary_columns_need_timeline(keys_given);
      const report::Results results = report::load_results(o->db, items, timeline);
      const report::Summary summary = report::build_summary(results.cells, results.machines);
      const report::Table full = table_of(which, summary, results);
      const bool for_people = format == report::ExportFormat::kMarkdown || format == report::ExportFormat::kLatex;
      std::vector<std::string> keys = keys_given;
      if (keys.empty() && for_people) keys = default_keys(which, format, summary, full);
      const report::Table table = keys.empty() ? full : report::select_columns(full, keys);
      report::ExportOptions options;
      options.caption = o->caption.empty() ? default_caption(which) : o->caption;
      options.label = which == report::ExportTable::kItems       ? "tab:jouleval-items"
                      : which == report::ExportTable::kPrecision ? "tab:jouleval-precision"
                      : which == report::ExportTable::kModels    ? "tab:jouleval-models"
                      : which == report::ExportTable::kPhases    ? "tab:jouleval-phases"
                      : which == report::ExportTable::kLatency   ? "tab:jouleval-latency"
                                                                 : "tab:jouleval";
      if (which != report::ExportTable::kItems && !full.rows.empty())
        options.notes = report::caption_notes(summary, cell_ids(full));
      const std::string text = report::export_table(table, format, options);
      if (o->output.empty()) {
        // Markdown and LaTeX escape control characters, JSON Lines escapes them; CSV stays exact.
        fmt::print("{}", text);
        return 0;
      }
      util::write_file_atomically(o->output, text, util::Existing::kReplace, "-o");
      return 0;
    }();
  };
  return command;
}

}  // namespace jouleval::cli
