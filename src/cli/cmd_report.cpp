// `jouleval report DB -o report.html`: one self-contained HTML file (plots with the charting
// scripts inlined, sortable tables, machine fingerprints) that opens offline. The output path is
// checked before the database is read; the file is written whole or not at all (an existing one is
// replaced only when the new one is complete).
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "cli/command.h"
#include "report/html.h"
#include "report/load.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/paths.h"
#include "util/terminal_text.h"

namespace jouleval::cli {

Command add_report_command(CLI::App& root) {
  struct Options {
    std::string db = "jouleval.db";
    std::string output = "report.html";
    std::string title = "jouleval report";
  };
  auto o = std::make_shared<Options>();
  Command command;
  command.app =
      root.add_subcommand("report", "Write a self-contained HTML report (plots and tables) from a results database.");
  command.app->add_option("db", o->db, "Results database (opened read-only)")->capture_default_str();
  command.app->add_option("-o,--output", o->output, "HTML file to write (an existing file is replaced)")
      ->capture_default_str();
  command.app->add_option("--title", o->title, "Title of the report")->capture_default_str();
  command.run = [o] {
    return [&] {
      util::check_output_path(o->output, util::Existing::kReplace, "-o");
      const auto scripts = report::load_js_assets(util::share_dir() / "js");
      report::Results results = report::load_results(o->db, /*with_items=*/false, /*with_timeline=*/true);
      report::ReportInput input;
      input.cells = std::move(results.cells);
      input.machines = std::move(results.machines);
      input.title = o->title;
      input.source = o->db;
      input.generated_at = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                                       std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
      const std::string html = report::render_html(input, scripts);
      util::write_file_atomically(o->output, html, util::Existing::kReplace, "-o");
      fmt::print("wrote {} ({} cells, {:.1f} MB)\n", util::terminal_safe(o->output), input.cells.size(),
                 static_cast<double>(html.size()) / 1e6);
      return 0;
    }();
  };
  return command;
}

}  // namespace jouleval::cli
