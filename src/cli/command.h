// A subcommand of the `jouleval` program: its CLI11 definition and the function that runs it.
// Each cmd_*.cpp defines one add_*_command(); main.cpp registers them all. The run function
// returns the process exit code; it may throw util::Error (mapped to its exit code by main).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace jouleval::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_run_command(CLI::App& root);
Command add_sweep_command(CLI::App& root);
Command add_synth_command(CLI::App& root);
Command add_quantize_command(CLI::App& root);
Command add_meter_command(CLI::App& root);
Command add_report_command(CLI::App& root);
Command add_recommend_command(CLI::App& root);
Command add_merge_command(CLI::App& root);
Command add_export_command(CLI::App& root);
Command add_export_tasks_command(CLI::App& root);
Command add_demo_command(CLI::App& root);
Command add_version_command(CLI::App& root);

// A subcommand that exists in --help but is not implemented yet: prints so and exits with 2.
Command not_implemented_command(CLI::App& root, const std::string& name, const std::string& description);

}  // namespace jouleval::cli
