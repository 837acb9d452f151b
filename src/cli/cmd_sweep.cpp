// `jouleval sweep --config sweep.toml`: the matrix of models × precisions × KV types × placements ×
// tasks, resumable; `--dry-run` lists the cells and the work they hold.
#include <fmt/format.h>

#include <memory>

#include "cli/command.h"
#include "cli/measure_options.h"
#include "cli/run_support.h"
#include "sweep/dry_run.h"

namespace jouleval::cli {

Command add_sweep_command(CLI::App& root) {
  struct Options {
    std::string config_file;
    bool dry_run = false;
    energy::MonitorOptions monitor;
    SweepRunOptions run;
    std::optional<std::string> db;
  };
  auto o = std::make_shared<Options>();
  Command command;
  command.app = root.add_subcommand(
      "sweep",
      "Run the matrix of models x precisions x KV types x placements x tasks from a TOML config; resumable.\n"
      "A killed sweep started again continues at the first unfinished cell, without duplicates.\n"
      "Cells that cannot run (model too big, unsupported type) are recorded as skipped and the sweep goes on.\n"
      "Config format: docs/sweep.md (example: bench/sweep-example.toml).");
  CLI::App& app = *command.app;
  app.add_option("-c,--config", o->config_file, "Sweep configuration (TOML)")->required()->check(CLI::ExistingFile);
  app.add_flag("--dry-run", o->dry_run, "List the cells and an estimate of their work; measure nothing");
  app.add_option("--db", o->db, "Results database (overrides sweep.database)");
  app.add_option("--log-items", o->run.log_items, "Also write per-item records to this JSONL file");
  app.add_flag("--json", o->run.json, "Print the results (or the dry-run plan) as JSON on stdout");
  app.add_flag("-q,--quiet", o->run.quiet, "No progress output");
  app.add_option("--time-budget", o->run.time_budget_seconds,
                 "Seconds this call may use: no model load or repetition is started that would end later\n"
                 "(judged by the cell's previous repetition); exits with code 5 when work remains, and the\n"
                 "same command resumes. For machines that allow only short commands.")
      ->check(CLI::PositiveNumber);
  add_measure_options(app, o->monitor);
  command.run = [o] {
    sweep::SweepConfig config = sweep::load_sweep_config(o->config_file);
    if (o->db) config.database = *o->db;
    if (o->dry_run) {
      const sweep::DryRun plan = sweep::dry_run(config);
      if (o->run.json) {
        fmt::print("{}\n", sweep::dry_run_json(plan).dump(2));
      } else {
        fmt::print("{}", sweep::dry_run_text(plan));
      }
      return 0;
    }
    o->run.command_line = "jouleval sweep --config " + o->config_file;
    return run_configured_sweep(config, o->monitor, o->run);
  };
  return command;
}

}  // namespace jouleval::cli
