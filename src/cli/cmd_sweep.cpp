// `jouleval sweep --config sweep.toml`: the matrix of models × precisions × KV types × placements ×
// tasks, resumable; `--dry-run` lists the cells and the work they hold.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "cli/command.h"
#include "cli/measure_options.h"
#include "cli/progress.h"
#include "cli/run_support.h"
#include "sweep/dry_run.h"
#include "sweep/plan.h"
#include "sweep/runner.h"
#include "sweep/slurm.h"
#include "tasks/options.h"
#include "util/error.h"
#include "util/json_text.h"

namespace jouleval::cli {

namespace {

struct Options {
  std::string config_file;
  bool dry_run = false;
  energy::MonitorOptions monitor;
  SweepRunOptions run;
  std::optional<std::string> db;
  std::optional<std::string> fewshot_sampler;
  std::optional<size_t> cell;
  bool prepare_models = false;
  std::string emit_slurm;
  sweep::SlurmOptions slurm;
  std::string slurm_dir;
};

int emit_slurm(const sweep::SweepConfig& config, Options& o) {
  namespace fs = std::filesystem;
  sweep::SlurmOptions& so = o.slurm;
  std::error_code ec;
  so.jouleval = fs::canonical("/proc/self/exe", ec);
  if (ec) so.jouleval = "jouleval";
  so.config_file = fs::absolute(o.config_file);
  const fs::path shards = o.slurm_dir.empty()
                              ? so.config_file.parent_path() / (so.config_file.stem().string() + "-shards")
                              : fs::path(o.slurm_dir);
  so.shard_dir = fs::absolute(shards);
  // Slurm opens each task's --output file before the task starts: the log folder must exist now.
  fs::create_directories(so.shard_dir / "logs", ec);
  if (ec)
    throw util::Error(fmt::format("--slurm-dir: cannot create {}", (so.shard_dir / "logs").string()),
                      util::ErrorKind::kBadInput);
  const std::string script = sweep::slurm_script(config, so);
  std::ofstream out(o.emit_slurm);
  out << script;
  out.close();
  if (!out) throw util::Error(fmt::format("--emit-slurm: cannot write {}", o.emit_slurm), util::ErrorKind::kBadInput);
  fs::permissions(o.emit_slurm, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add, ec);
  fmt::print(stderr,
             "wrote {}: {} array tasks. Make the models once with `jouleval sweep --config {} --prepare-models`,\n"
             "then `sbatch {}`; afterwards `jouleval merge {}/cell-*.db -o all.db`\n",
             o.emit_slurm, sweep::plan_cells(config).size(), o.config_file, o.emit_slurm, so.shard_dir.string());
  return 0;
}

}  // namespace

Command add_sweep_command(CLI::App& root) {
  auto o = std::make_shared<Options>();
  Command command;
  command.app = root.add_subcommand(
      "sweep",
      "Run the matrix of models x precisions x KV types x placements x tasks from a TOML config; resumable.\n"
      "A killed sweep started again continues at the first unfinished cell, without duplicates.\n"
      "Cells that cannot run (model too big, unsupported type) are recorded as skipped and the sweep goes on.\n"
      "Several sweeps may share one database: each cell is claimed and measured once (a dead process's\n"
      "cells are taken over), and one process measures on a machine at a time.\n"
      "Exit codes: 0 every cell has a result, 1 a cell failed, 4 cells skipped for a missing resource,\n"
      "5 stopped at --time-budget. Config format: docs/sweep.md (example: bench/sweep-example.toml).");
  CLI::App& app = *command.app;
  app.add_option("-c,--config", o->config_file, "Sweep configuration (TOML)")->required()->check(CLI::ExistingFile);
  app.add_flag("--dry-run", o->dry_run, "List the cells and an estimate of their work; measure nothing");
  app.add_option("--db", o->db, "Results database (overrides sweep.database)");
  app.add_option("--fewshot-sampler", o->fewshot_sampler,
                 "How few-shot examples are chosen (overrides sweep.fewshot_sampler): lm-eval (each task's\n"
                 "lm-eval sampler) or first_n (the first k of the pool for every item, so all prompts share one\n"
                 "preamble); part of the cell")
      ->check(CLI::IsMember(tasks::fewshot_samplers()));
  app.add_option("--log-items", o->run.log_items, "Also write per-item records to this JSONL file");
  app.add_flag("--json", o->run.json, "Print the results (or the dry-run plan) as JSON on stdout");
  app.add_flag("-q,--quiet", o->run.quiet, "No progress output");
  app.add_option("--time-budget", o->run.time_budget_seconds,
                 "Seconds this call may use: no model load or repetition is started that would end later\n"
                 "(judged by the cell's previous repetition); exits with code 5 when work remains, and the\n"
                 "same command resumes. For machines that allow only short commands.")
      ->check(CLI::PositiveNumber);
  app.add_option("--cell", o->cell, "Run only this cell (0-based index in the plan that --dry-run lists)");
  app.add_flag("--prepare-models", o->prepare_models,
               "Only synthesize and quantize the model files the sweep needs; measure nothing");
  app.add_option("--emit-slurm", o->emit_slurm,
                 "Write a Slurm job-array script to this file (one cell per array task, each with its own\n"
                 "results database; combine them with `jouleval merge`), then exit")
      ->group("Cluster");
  app.add_option("--slurm-dir", o->slurm_dir, "Where the array tasks write cell-N.db and logs (default: CONFIG-shards)")
      ->group("Cluster");
  app.add_option("--slurm-partition", o->slurm.partition, "#SBATCH --partition (default: the cluster's)")
      ->group("Cluster");
  app.add_option("--slurm-time", o->slurm.time_limit, "#SBATCH --time per array task")
      ->capture_default_str()
      ->group("Cluster");
  app.add_option("--slurm-cpus", o->slurm.cpus_per_task,
                 "#SBATCH --cpus-per-task (default: the sweep's threads, else 8)")
      ->group("Cluster");
  add_measure_options(app, o->monitor);
  command.run = [o] {
    sweep::SweepConfig config = sweep::load_sweep_config(o->config_file);
    if (o->db) config.database = *o->db;
    if (o->fewshot_sampler) config.fewshot_sampler = *o->fewshot_sampler;
    if (!o->emit_slurm.empty()) return emit_slurm(config, *o);
    if (o->prepare_models) {
      ProgressPrinter printer = ProgressPrinter::for_stderr(o->run.quiet);
      const int unusable = sweep::prepare_models(config, printer);
      return unusable > 0 ? 1 : 0;
    }
    if (o->dry_run) {
      const sweep::DryRun plan = sweep::dry_run(config);
      if (o->run.json) {
        fmt::print("{}\n", util::json_text(sweep::dry_run_json(plan), 2));
      } else {
        fmt::print("{}", sweep::dry_run_text(plan));
      }
      return 0;
    }
    o->run.command_line = "jouleval sweep --config " + o->config_file;
    if (o->fewshot_sampler) o->run.command_line += " --fewshot-sampler " + *o->fewshot_sampler;
    o->run.only_cell = o->cell;
    if (o->cell) sweep::selected_cells(config, o->cell);  // checked before the database and meters open
    return run_configured_sweep(config, o->monitor, o->run);
  };
  return command;
}

}  // namespace jouleval::cli
