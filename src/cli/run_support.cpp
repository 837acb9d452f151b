#include "cli/run_support.h"
#include "cli/exit_codes.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "cli/measure_options.h"
#include "cli/progress.h"
#include "cli/results_table.h"
#include "engine/backend.h"
#include "store/store.h"
#include "sweep/runner.h"
#include "tasks/options.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/json_text.h"

namespace jouleval::cli {

void add_evaluation_options(CLI::App& app, sweep::SweepConfig& c) {
  app.add_option("--repetitions", c.repetitions, "Measured repetitions per cell (mean, stddev, 95% CI)")
      ->capture_default_str()
      ->group("Evaluation");
  app.add_option("--idle", c.idle_seconds, "Seconds of idle baseline per loaded model (0 disables)")
      ->capture_default_str()
      ->group("Evaluation");
  app.add_option("--min-window", c.min_window_seconds,
                 "Repeat a task whose window would be shorter than this (seconds) inside one window,\n"
                 "so the meters can resolve it; per-task figures divide by the passes (0 disables)")
      ->capture_default_str()
      ->group("Evaluation");
  app.add_option("--cooldown", c.cooldown_seconds, "Seconds to pause between repetitions")
      ->capture_default_str()
      ->group("Evaluation");
  app.add_option("--warmup", c.warmup_requests, "Unmeasured warm-up requests after loading a model")
      ->capture_default_str()
      ->group("Evaluation");
  app.add_flag("--timeline", c.timeline, "Store the power timeline of every repetition")->group("Evaluation");
  app.add_option("--threads", c.threads, "CPU threads (0 = physical cores)")
      ->capture_default_str()
      ->group("Evaluation");
  app.add_option("--ctx", c.context_size, "KV cache size in tokens, shared by parallel sequences (0 = automatic)")
      ->capture_default_str()
      ->group("Evaluation");
  app.add_option("--parallel", c.max_sequences, "Parallel sequences per decode (0 = engine default)")
      ->capture_default_str()
      ->group("Evaluation");
  app.add_option("--lanes", c.scoring_lanes,
                 "Scoring contexts that take turns on packs, so the host reads one pack's logits while\n"
                 "the device runs the next (0 = 2 with placement gpu, else 1)")
      ->capture_default_str()
      ->group("Evaluation");
  app.add_option("--batch", c.batch_size,
                 "Tokens per decode call (0 = 4096 with placement gpu when the GPU and host have room,\n"
                 "else 2048)")
      ->capture_default_str()
      ->group("Evaluation");
  app.add_option("--ubatch", c.ubatch_size,
                 "Tokens per device micro-batch (0 = 2048 with placement gpu when the GPU and host have\n"
                 "room, else 512)")
      ->capture_default_str()
      ->group("Evaluation");
  app.add_option("--flash-attn", c.flash_attention, "Flash attention: auto, on or off")
      ->capture_default_str()
      ->group("Evaluation");
}

CLI::Option* add_fewshot_sampler_option(CLI::App& app, std::string& sampler) {
  return app
      .add_option("--fewshot-sampler", sampler,
                  "How few-shot examples are chosen: lm-eval (each task's lm-eval sampler) or first_n (the\n"
                  "first k of the pool for every item, so all prompts share one preamble); part of the cell")
      ->check(CLI::IsMember(tasks::fewshot_samplers()));
}

void check_options(const sweep::SweepConfig& config) {
  static const std::map<std::string, std::string> kOption = {{"repetitions", "--repetitions"},
                                                             {"precisions", "--precision"},
                                                             {"idle_seconds", "--idle"},
                                                             {"cooldown_seconds", "--cooldown"},
                                                             {"min_window_seconds", "--min-window"},
                                                             {"warmup_requests", "--warmup"},
                                                             {"threads", "--threads"},
                                                             {"context_size", "--ctx"},
                                                             {"max_sequences", "--parallel"},
                                                             {"scoring_lanes", "--lanes"},
                                                             {"batch_size", "--batch"},
                                                             {"ubatch_size", "--ubatch"},
                                                             {"flash_attention", "--flash-attn"},
                                                             {"limit", "--limit"},
                                                             {"seed", "--seed"},
                                                             {"shot_preset", "--preset"},
                                                             {"fewshot_sampler", "--fewshot-sampler"},
                                                             {"placements", "--placement"}};
  sweep::validate_config(config, {[](const std::string& field) {
                                    if (auto it = kOption.find(field); it != kOption.end()) return it->second;
                                    // tasks.NAME.shots: the --shots option (alias --num_fewshot)
                                    if (field.size() > 6 && field.compare(field.size() - 6, 6, ".shots") == 0)
                                      return std::string("--shots/--num_fewshot");
                                    return field;
                                  },
                                  util::ErrorKind::kUsage});
}

std::string default_placement() {
  auto backends = engine::compiled_backends();
  bool gpu = std::any_of(backends.begin(), backends.end(), [](const std::string& b) { return b != "CPU"; });
  return gpu ? "gpu" : "cpu";
}

std::string joined_command_line(int argc, const char* const* argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) out += (i ? " " : "") + std::string(argv[i]);
  return out;
}

int run_configured_sweep(const sweep::SweepConfig& config, const energy::MonitorOptions& monitor_options,
                         const SweepRunOptions& options) {
  // Everything that can be checked is checked before a file is created or a meter opened.
  const sweep::PreparedSweep prepared = sweep::prepare_sweep(config, options.only_cell);
  if (!options.log_items.empty()) util::check_output_path(options.log_items, util::Existing::kReplace, "--log-items");

  ProgressPrinter printer = ProgressPrinter::for_stderr(options.quiet);
  if (config.database.has_parent_path()) std::filesystem::create_directories(config.database.parent_path());
  store::Store store(config.database);
  energy::MonitorOptions mo = monitor_options;
  mo.timeline = mo.timeline || config.timeline;
  energy::Monitor monitor(mo);
  printer.message("meters:\n" + describe_meters(monitor));

  sweep::RunOptions run_options;
  run_options.command_line = options.command_line;
  run_options.log_items = options.log_items;
  run_options.time_budget_seconds = options.time_budget_seconds;
  const sweep::SweepResult result = sweep::run_sweep(prepared, monitor, store, printer, run_options);

  std::vector<results::Cell> cells;
  for (int64_t id : result.cell_ids) {
    if (auto cell = store.cell(id)) cells.push_back(*cell);
  }
  if (options.on_cells) {
    std::vector<results::Cell> with_items;
    for (int64_t id : result.cell_ids) {
      if (auto cell = store.cell(id, store::CellQuery{true, false})) with_items.push_back(std::move(*cell));
    }
    options.on_cells(with_items);
  }
  if (options.json) {
    nlohmann::json j = {{"database", config.database.string()},
                        {"cells_done", result.cells_done},
                        {"cells_already_done", result.cells_already_done},
                        {"cells_skipped", result.cells_skipped},
                        {"cells_failed", result.cells_failed},
                        {"complete", !result.stopped_at_budget},
                        {"cells_remaining", result.cells_remaining},
                        {"results", results_table_json(cells, store.machines())}};
    fmt::print("{}\n", util::json_text(j, 2));
  } else {
    fmt::print("\n{}", results_table_text(cells, store.machines()));
    fmt::print("results stored in {} ({} new, {} already done, {} skipped, {} failed)\n", config.database.string(),
               result.cells_done, result.cells_already_done, result.cells_skipped, result.cells_failed);
  }
  if (result.stopped_at_budget) {
    printer.message(
        fmt::format("time budget of {:.0f} s reached: {} cell(s) not finished; finished repetitions are "
                    "stored, run the same command again to resume",
                    options.time_budget_seconds, result.cells_remaining));
    return exit_code(util::ErrorKind::kIncomplete);
  }
  if (result.cells_failed > 0) {
    printer.message(
        fmt::format("{} cell(s) failed: see the reasons above (stored with each cell)", result.cells_failed));
    return exit_code(util::ErrorKind::kFailure);
  }
  if (result.first_skip_kind) {
    printer.message(fmt::format("{} cell(s) skipped: they have no result (reasons above)", result.cells_skipped));
    return exit_code(*result.first_skip_kind);
  }
  return kExitOk;
}

}  // namespace jouleval::cli
