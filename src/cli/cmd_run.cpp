// `jouleval run`: one model (optionally quantized on the fly to several precisions), one or more
// tasks, one placement, measured and stored. A sweep of one model, configured from the command line.
#include <fmt/format.h>

#include <memory>

#include "cli/command.h"
#include "cli/measure_options.h"
#include "cli/run_support.h"
#include "engine/gguf_info.h"
#include "engine/quantize.h"
#include "report/table.h"
#include "sweep/plan.h"
#include "tasks/task_id.h"
#include "util/error.h"

namespace jouleval::cli {

Command add_run_command(CLI::App& root) {
  struct Options {
    sweep::SweepConfig config;
    energy::MonitorOptions monitor;
    std::string model;
    std::string precisions;
    std::string tasks;
    std::string placement;
    std::string kv = "f16";
    std::string data;
    std::string db = "jouleval.db";
    std::optional<int> shots;
    SweepRunOptions run;
  };
  auto o = std::make_shared<Options>();
  Command command;
  command.app = root.add_subcommand(
      "run",
      "Evaluate one model on one or more tasks inside energy measurement windows and store the results.\n"
      "Each (precision, task) is a cell: idle baseline, unmeasured warm-up, then --repetitions measured\n"
      "windows. Results go to the database (resumable: finished cells are not run again).\n\n"
      "Examples:\n"
      "  jouleval run --model qwen.gguf --task mmlu,hellaswag --data ../shared/datasets --limit 200\n"
      "  jouleval run --model m.gguf --precision fp16,int8,int4 --task gsm8k --data DIR --limit 50\n"
      "  jouleval run --model synth:tiny --task all --samples --repetitions 1");
  CLI::App& app = *command.app;
  app.add_option("-m,--model", o->model, "GGUF model file, or synth:PRESET for a synthetic model")->required();
  app.add_option(
         "-t,--task", o->tasks,
         "Tasks, comma-separated: mmlu, arc_challenge, hellaswag, truthfulqa_mc1, truthfulqa_mc2, gsm8k, or all")
      ->required();
  app.add_option("-p,--precision", o->precisions,
                 "Precisions, comma-separated (fp32 fp16 bf16 int8 int6 int5 int4 or GGUF types; quantized on the fly "
                 "and cached next to the model). Default: the model's own type");
  app.add_option("-d,--data", o->data, "Benchmark data directory (layout of shared/datasets or upstream names)");
  app.add_flag("--samples", o->config.use_samples, "Use the built-in sample items instead of data files");
  app.add_option("-n,--limit", o->config.limit,
                 "Items per task in all (0 = all; the first N, except MMLU: N in all, spread over the subjects\n"
                 "in proportion to their size)")
      ->capture_default_str();
  app.add_option("--shots", o->shots, "Few-shot examples (overrides the preset)");
  app.add_option("--preset", o->config.shot_preset, "Shot preset: lm-eval, leaderboard or demo (GSM8K answers of at most 32 tokens)")->capture_default_str();
  app.add_option("--seed", o->config.seed, "Few-shot selection seed")->capture_default_str();
  app.add_option("--placement", o->placement, "gpu, cpu or partial:N (default: gpu when compiled in, else cpu)");
  app.add_option("--kv", o->kv, "KV cache type: f16, q8_0 or q4_0")
      ->check(CLI::IsMember({"f16", "q8_0", "q4_0"}))
      ->capture_default_str();
  app.add_option("--db", o->db, "Results database")->capture_default_str();
  app.add_option("--log-items", o->run.log_items, "Also write per-item records to this JSONL file");
  app.add_flag("--json", o->run.json, "Print the results as JSON on stdout");
  app.add_flag("-q,--quiet", o->run.quiet, "No progress output");
  add_evaluation_options(app, o->config);
  add_measure_options(app, o->monitor);

  command.run = [o] {
    sweep::SweepConfig& c = o->config;
    c.database = o->db;
    c.data_dir = o->data;
    if (c.data_dir.empty() && !c.use_samples) {
      throw util::Error("run: give --data DIR (benchmark files) or --samples (built-in items)",
                        util::ErrorKind::kUsage);
    }
    sweep::ModelSpec spec = sweep::parse_model_spec(o->model, std::filesystem::path(o->db).parent_path() / "models");
    c.models = {spec};
    c.tasks = tasks::parse_task_list(o->tasks);
    if (o->shots) {
      for (auto t : c.tasks) c.task_settings[t].shots = *o->shots;
    }
    c.placements = {o->placement.empty() ? default_placement() : o->placement};
    c.kv_types = {o->kv};
    if (!o->precisions.empty()) {
      c.precisions.clear();
      for (const auto& p : report::split_list(o->precisions)) c.precisions.push_back(sweep::canonical_precision(p));
    } else if (spec.synth_preset.empty()) {
      const engine::GgufSummary summary = engine::read_gguf_summary(spec.path);
      c.precisions = {sweep::canonical_precision(engine::file_type_name(summary.file_type))};
    } else {
      c.precisions = {sweep::canonical_precision(spec.synth_weight_type)};
    }
    check_options(c);
    o->run.command_line = "jouleval run --model " + o->model + " --task " + o->tasks;
    return run_configured_sweep(c, o->monitor, o->run);
  };
  return command;
}

}  // namespace jouleval::cli
