// The `jouleval` program: parses the command line and runs one subcommand. All logic lives in the
// library; this file only maps errors to messages and exit codes.
#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <vector>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/terminal.h"
#include "util/error.h"

namespace {

constexpr const char* kDescription =
    "jouleval evaluates language models on standard benchmarks (MMLU, ARC-Challenge, HellaSwag,\n"
    "TruthfulQA, GSM8K) while measuring the energy the work costs, across precisions and hardware.\n"
    "Start with `jouleval demo` (no GPU or model needed), then `jouleval run --help`.";

// Prints an error on stderr; a stderr that cannot be written (full, closed) must not turn the
// error into an abort: the exit code still tells.
void report_error(const char* what, const char* message) noexcept {
  try {
    std::fflush(stdout);
    fmt::print(stderr, "jouleval: {}: {}\n", what, jouleval::cli::terminal_safe(message));
  } catch (...) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace jouleval;
  // Child processes (a measured command, an external meter's command) are waited for: a SIGCHLD
  // ignored by whoever started jouleval would make the kernel reap them first.
  std::signal(SIGCHLD, SIG_DFL);
  CLI::App app{kDescription, "jouleval"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every subcommand");
  app.footer(
      "Environment:\n"
      "  CUDA_VISIBLE_DEVICES     the GPUs llama.cpp and the energy meters see (placement gpus:I counts among them)\n"
      "  JOULEVAL_NVML_LIBRARY    NVML library to load (as --nvml-library)\n"
      "  JOULEVAL_API_KEY         bearer token sent to an --endpoint server\n"
      "  JOULEVAL_MEASURE_LOCK    the host's measurement lock file (docs/sweep.md \"Several processes, one "
      "database\")\n"
      "  JOULEVAL_SHARE_DIR       tokenizer files and charting scripts (default: share/jouleval of the build or "
      "install)\n"
      "  JOULEVAL_LLAMA_LOG=1     show llama.cpp's own log\n"
      "  JOULEVAL_DEVICE_ARGMAX=on|off|auto, JOULEVAL_PREFILL_BLOCKS=on|off, JOULEVAL_MOVE_SEQUENCES=on|off\n"
      "                           generation's A/B switches (docs/engine.md); on a GPU they change the generated\n"
      "                           tokens: recorded with each generation cell, which a run with other values refuses\n"
      "\n"
      "Exit codes: 0 ok, 1 failure, 2 usage error or not implemented, 3 bad input data, 4 resource unavailable,\n5 "
      "stopped at --time-budget (run the same command again to resume).");

  std::vector<cli::Command> commands = {
      cli::add_run_command(app),       cli::add_sweep_command(app),   cli::add_synth_command(app),
      cli::add_quantize_command(app),  cli::add_meter_command(app),   cli::add_report_command(app),
      cli::add_recommend_command(app), cli::add_merge_command(app),   cli::add_export_command(app),
      cli::add_demo_command(app),      cli::add_version_command(app), cli::add_export_tasks_command(app),
  };

  // An unknown command word is named (CLI11 would only say that a subcommand is required).
  if (argc > 1 && argv[1][0] != '-') {
    std::string names;
    bool known = false;
    for (const auto& command : commands) {
      known = known || command.app->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + command.app->get_name();
    }
    if (!known) {
      fmt::print(stderr, "jouleval: error: unknown command '{}'; the commands are: {} (jouleval --help)\n",
                 cli::terminal_safe(argv[1]), names);
      return cli::exit_code(util::ErrorKind::kUsage);
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with exit code 0; every other parse error is a usage error
    // (CLI11's own codes, 100 and up, are not jouleval's).
    const int rc = app.exit(e);
    return rc == 0 ? cli::kExitOk : cli::exit_code(util::ErrorKind::kUsage);
  }

  try {
    for (auto& command : commands) {
      if (command.app->parsed()) return command.run();
    }
  } catch (const util::Error& e) {
    report_error("error", e.what());
    return cli::exit_code(e.kind());
  } catch (const std::exception& e) {
    report_error("internal error", e.what());
    return cli::exit_code(util::ErrorKind::kFailure);
  }
  return cli::exit_code(util::ErrorKind::kUsage);
}
