// What `run`, `sweep` and `demo` share: the evaluation options that map onto a SweepConfig, running a
// configured sweep with progress and printing its results table.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

#include "energy/monitor.h"
#include "sweep/config.h"

namespace jouleval::cli {

// Options for how cells are evaluated and measured (repetitions, idle, threads, context, ...). Their
// ranges are checked by check_options (sweep::validate_config), the same check a TOML file gets.
void add_evaluation_options(CLI::App& app, sweep::SweepConfig& config);

// --fewshot-sampler lm-eval|first_n into `sampler` (tasks::fewshot_samplers(); another value is a
// usage error naming the option).
CLI::Option* add_fewshot_sampler_option(CLI::App& app, std::string& sampler);

// sweep::validate_config with the settings named by their command-line options; usage error (exit 2).
void check_options(const sweep::SweepConfig& config);

// "gpu" when a GPU backend is compiled in, else "cpu".
std::string default_placement();

struct SweepRunOptions {
  bool json = false;
  bool quiet = false;
  std::string log_items;
  std::string command_line;
  double time_budget_seconds = 0;   // 0 = none; see sweep::RunOptions
  std::optional<size_t> only_cell;  // see sweep::prepare_sweep
  // Called before it is checked whether the run is complete, with the cells of the run (their
  // per-item records included): `run --output_path` writes its files there.
  std::function<void(const std::vector<results::Cell>&)> on_cells;
};

// Checks the sweep (tasks, model files) before anything is created, then opens the store and the
// monitor, tells which meters are unavailable, runs the sweep and prints the results table (or
// JSON). Returns the exit code: 0 when every planned cell has a result; 1 when a cell failed; when
// cells were skipped, the code of the first one's reason (4 a resource such as a GPU is unavailable,
// 2 a precision the model cannot be converted to, 3 a bad model file); 5 when the time budget
// stopped it before every cell was finished (README "Exit codes").
int run_configured_sweep(const sweep::SweepConfig& config, const energy::MonitorOptions& monitor_options,
                         const SweepRunOptions& options);

std::string joined_command_line(int argc, const char* const* argv);

}  // namespace jouleval::cli
