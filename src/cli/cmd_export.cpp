// `jouleval export DB --format csv|jsonl|markdown|latex [--items] [--columns a,b] [-o FILE]`: the
// summary table (one row per cell) or the per-item records.
#include <fmt/format.h>

#include <fstream>
#include <memory>

#include "cli/command.h"
#include "report/export.h"
#include "report/load.h"
#include "report/summary.h"
#include "util/error.h"

namespace jouleval::cli {

Command add_export_command(CLI::App& root) {
  struct Options {
    std::string db = "jouleval.db";
    std::string format = "csv";
    bool items = false;
    std::string columns;
    std::string output;
    std::string caption = "Energy and accuracy per configuration";
    bool list_columns = false;
  };
  auto o = std::make_shared<Options>();
  Command command;
  command.app =
      root.add_subcommand("export", "Export the summary table or per-item records as CSV, JSONL, Markdown or LaTeX.");
  command.app->add_option("db", o->db, "Results database")->capture_default_str();
  command.app->add_option("--format", o->format, "csv | jsonl | markdown | latex")->capture_default_str();
  command.app->add_flag("--items", o->items, "Per-item records instead of the summary table");
  command.app->add_option("--columns", o->columns,
                          "Comma-separated column keys (default: all for csv/jsonl, a compact set for markdown/latex)");
  command.app->add_flag("--list-columns", o->list_columns, "Print the column keys and labels, then exit");
  command.app->add_option("--caption", o->caption, "LaTeX caption")->capture_default_str();
  command.app->add_option("-o,--output", o->output, "File to write (default: standard output)");
  command.run = [o] {
    const auto format = report::parse_export_format(o->format);
    // The opt-in 1 Hz columns need the stored power timelines; load them only when asked for.
    const bool timeline = !o->items && report::summary_columns_need_timeline(report::split_list(o->columns));
    const report::Results results = report::load_results(o->db, o->items, timeline);
    const report::Table full = o->items ? report::items_table(results.cells, results.machines)
                                        : report::summary_table(report::build_summary(results.cells, results.machines));
    if (o->list_columns) {
      for (const auto& c : full.columns) fmt::print("{:<26} {}\n", c.key, c.label);
      return 0;
    }
    std::vector<std::string> keys = report::split_list(o->columns);
    if (keys.empty()) {
      if (format == report::ExportFormat::kLatex && !o->items)
        keys = report::latex_default_columns();
      else if (format == report::ExportFormat::kMarkdown || format == report::ExportFormat::kLatex)
        keys = full.default_columns;
    }
    const report::Table table = keys.empty() ? full : report::select_columns(full, keys);
    const std::string text =
        report::export_table(table, format, {o->caption, o->items ? "tab:jouleval-items" : "tab:jouleval"});
    if (o->output.empty()) {
      fmt::print("{}", text);
      return 0;
    }
    std::ofstream out(o->output, std::ios::binary);
    if (!out || !(out << text)) throw util::Error(fmt::format("{}: cannot write the export", o->output));
    return 0;
  };
  return command;
}

}  // namespace jouleval::cli
