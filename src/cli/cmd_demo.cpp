// `jouleval demo`: the out-of-the-box job. Synthesizes a tiny random-weight model with a real
// tokenizer, evaluates the built-in sample items of every task at two precisions (fp16 and int8),
// measures with whatever meters exist (saying which are unavailable), stores the results and
// writes the HTML report. It uses the "demo" shot preset (GSM8K answers of at most 32 tokens instead
// of 256) so that it ends in well under 30 s on two CPU cores; the preset is part of every cell's
// identity, so these cells never stand in for a real run's.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "cli/command.h"
#include "cli/measure_options.h"
#include "cli/run_support.h"
#include "report/assets.h"
#include "report/html.h"
#include "report/load.h"
#include "tasks/task.h"
#include "util/atomic_file.h"
#include "util/paths.h"

namespace jouleval::cli {

Command add_demo_command(CLI::App& root) {
  struct Options {
    std::string out = "jouleval-demo";
    int repetitions = 3;
    double idle = 2.0;
    std::string placement;
    energy::MonitorOptions monitor;
    SweepRunOptions run;
  };
  auto o = std::make_shared<Options>();
  Command command;
  command.app = root.add_subcommand(
      "demo",
      "Out-of-the-box demo: synthesize a tiny model, evaluate built-in samples at two precisions, measure, report.\n"
      "Needs no GPU, no model download and no data files. Writes OUT/jouleval.db and OUT/report.html.\n"
      "Takes a few seconds on two CPU cores: GSM8K answers stop at 32 tokens (256 in a real run; the cells\n"
      "say preset=demo).\n"
      "The model has random weights: its accuracy is chance level; the energy and speed numbers are real\n"
      "measurements of the work done (or 'unavailable' where this machine has no meter).");
  CLI::App& app = *command.app;
  app.add_option("-o,--out", o->out, "Output directory")->capture_default_str();
  app.add_option("--repetitions", o->repetitions, "Measured repetitions per cell")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--idle", o->idle, "Seconds of idle baseline per loaded model")->capture_default_str();
  app.add_option("--placement", o->placement,
                 "gpu, cpu, partial:N or gpus:I[,I...][:layer|:row|:tensor] (default: gpu when compiled in, else cpu)");
  app.add_flag("--json", o->run.json, "Print the results as JSON on stdout");
  app.add_flag("-q,--quiet", o->run.quiet, "No progress output");
  add_measure_options(app, o->monitor);
  command.run = [o] {
    const std::filesystem::path out = o->out;
    std::filesystem::create_directories(out);
    sweep::SweepConfig c;
    c.database = out / "jouleval.db";
    c.use_samples = true;
    c.models = {sweep::parse_model_spec("synth:tiny:f16", out / "models")};
    c.precisions = {"fp16", "int8"};
    c.kv_types = {"f16"};
    try {
      c.placements = {sweep::canonical_placement(o->placement.empty() ? default_placement() : o->placement, "")};
    } catch (const util::Error& e) {
      throw util::Error(fmt::format("--placement: {}", e.what()), util::ErrorKind::kUsage);
    }
    c.tasks = tasks::parse_task_list("all");
    c.shot_preset = "demo";
    c.repetitions = o->repetitions;
    c.idle_seconds = o->idle;
    c.timeline = true;
    c.warmup_requests = 4;
    c.context_size = 4096;
    check_options(c);
    o->run.command_line = "jouleval demo --out " + o->out;
    if (!o->run.quiet && !o->run.json) {
      fmt::print(
          "demo: a tiny random-weight model (accuracy is chance level), the built-in sample items of every task, "
          "fp16 and int8, {} repetitions; GSM8K answers stop at {} tokens ({} in a real run)\n",
          o->repetitions, tasks::kDemoMaxNewTokens, tasks::kGsm8kMaxNewTokens);
    }
    const int rc = run_configured_sweep(c, o->monitor, o->run);

    const std::filesystem::path html_path = out / "report.html";
    report::Results results = report::load_results(c.database, /*with_items=*/false, /*with_timeline=*/true);
    report::ReportInput input;
    input.cells = std::move(results.cells);
    input.machines = std::move(results.machines);
    input.title = "jouleval demo (tiny random-weight model, built-in sample items)";
    input.source = c.database.string();
    input.generated_at = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                                     std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
    const std::string html = report::render_html(input, report::load_js_assets(util::share_dir() / "js"));
    util::write_file_atomically(html_path, html, util::Existing::kReplace, "demo report");
    if (!o->run.json) {
      fmt::print("report written to {}\n", html_path.string());
      fmt::print("next: jouleval export {} --format markdown   |   jouleval recommend {} --scenario datacenter\n",
                 c.database.string(), c.database.string());
    }
    return rc;
  };
  return command;
}

}  // namespace jouleval::cli
