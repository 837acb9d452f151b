// `jouleval run`: one model (optionally quantized on the fly to several precisions), one or more
// tasks, one placement, measured and stored. A sweep of one model, configured from the command line.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>

#include "cli/command.h"
#include "cli/lm_eval_output.h"
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
    std::string endpoint;
    std::string served_model;
    std::string concurrency = "8";
    std::string arrival_rate;
    double request_timeout = 600;
    std::string endpoint_api = "completions";
    std::optional<double> slo_ttft_ms;
    std::optional<double> slo_itl_ms;
    std::string precisions;
    std::string tasks;
    std::string placement;
    std::string split;
    std::string kv = "f16";
    std::string data;
    std::string db = "jouleval.db";
    std::optional<int> shots;
    std::string limit = "0";
    std::string output_path;
    bool log_samples = false;
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
      "  jouleval run --model synth:tiny --task all --samples --repetitions 1\n"
      "  jouleval run --endpoint http://127.0.0.1:8080 --served-model qwen --task gsm8k --data DIR   # a server\n"
      "  jouleval run --model m.gguf --tasks arc_challenge,hellaswag --num_fewshot 0 --limit 0.1 \\\n"
      "      --data DIR --output_path results --log_samples      # lm-evaluation-harness style (docs/lm-eval.md)");
  CLI::App& app = *command.app;
  auto* model = app.add_option("-m,--model", o->model, "GGUF model file, or synth:PRESET for a synthetic model");
  auto* endpoint =
      app.add_option("--endpoint", o->endpoint,
                     "Evaluate through this OpenAI-compatible server instead of a model file: http://HOST:PORT\n"
                     "(llama-server, vLLM, ...; docs/endpoint.md). The energy meters must be on this machine")
          ->excludes(model);
  app.add_option("--served-model", o->served_model, "With --endpoint: the name of the model it serves (required)")
      ->needs(endpoint);
  auto* concurrency = app.add_option("--concurrency", o->concurrency,
                                     "With --endpoint: requests in flight at once (1..1024); a list (1,8,32) "
                                     "measures one cell\nper level and task. With --arrival-rate: the cap on "
                                     "requests in flight (default 1024)")
                          ->needs(endpoint)
                          ->capture_default_str();
  auto* arrival_rate =
      app.add_option(
             "--arrival-rate", o->arrival_rate,
             "With --endpoint: send the requests as Poisson arrivals of R requests per second (0 < R <= 10000)\n"
             "instead of a closed loop; a list (1,4) measures one cell per rate and task")
          ->type_name("R[,R...]")
          ->needs(endpoint);
  app.add_option("--request-timeout", o->request_timeout, "With --endpoint: seconds allowed for each request")
      ->needs(endpoint)
      ->capture_default_str();
  app.add_option("--endpoint-api", o->endpoint_api,
                 "With --endpoint: completions (raw prompts to /v1/completions, the default) or chat (one user\n"
                 "turn per request to /v1/chat/completions, the server's chat template; generation tasks only)")
      ->needs(endpoint);
  app.add_option("--slo-ttft", o->slo_ttft_ms,
                 "With --endpoint: time-to-first-token objective in ms; goodput counts the requests meeting it\n"
                 "(default: none)")
      ->needs(endpoint);
  app.add_option("--slo-itl", o->slo_itl_ms,
                 "With --endpoint: inter-token latency objective in ms (a request's mean gap between tokens);\n"
                 "goodput counts the requests meeting it (default: none)")
      ->needs(endpoint);
  app.add_option(
         "-t,--task,--tasks", o->tasks,
         "Tasks, comma-separated: mmlu, arc_challenge, hellaswag, truthfulqa_mc1, truthfulqa_mc2, gsm8k, or all")
      ->required();
  app.add_option("-p,--precision", o->precisions,
                 "Precisions, comma-separated (fp32 fp16 bf16 int8 int6 int5 int4 or GGUF types; quantized on the fly "
                 "and cached next to the model). Default: the model's own type");
  app.add_option("-d,--data", o->data, "Benchmark data directory (layout of shared/datasets or upstream names)");
  app.add_flag("--samples", o->config.use_samples, "Use the built-in sample items instead of data files");
  app.add_option("-n,--limit", o->limit,
                 "Items per task: a count N (0 = all) or a fraction 0 < x < 1 of each task's items\n"
                 "(ceil(x * items), as lm-eval). A count keeps the first N items in file order, except\n"
                 "MMLU, where N is the total over all subjects, NOT N per subject as in lm-eval: it is spread\n"
                 "over the subjects in proportion to their size, each keeping its first items; a fraction\n"
                 "of MMLU is a fraction of all its items, spread the same way")
      ->type_name("N|FRACTION")
      ->capture_default_str();
  auto* shots = app.add_option("--shots", o->shots, "Few-shot examples (overrides the preset)");
  // lm-eval's name, a separate option so that a message names the one given.
  app.add_option("--num_fewshot", o->shots, "Same as --shots (lm-evaluation-harness's name)")->excludes(shots);
  app.add_option("--preset", o->config.shot_preset,
                 "Shot preset: lm-eval, leaderboard or demo (GSM8K answers of at most 32 tokens)")
      ->capture_default_str();
  app.add_option("--seed", o->config.seed, "Few-shot selection seed")->capture_default_str();
  add_fewshot_sampler_option(app, o->config.fewshot_sampler)->capture_default_str();
  app.add_option(
      "--placement", o->placement,
      "gpu, cpu, partial:N, or gpus:I[,I...][:layer|:row|:tensor] (GPU indices among the visible ones, as CUDA\n"
      "numbers them; e.g. gpus:0,1). Default: gpu when compiled in, else cpu");
  app.add_option("--split", o->split,
                 "How gpus:I,J,... splits the model: layer (default), row or tensor (tensor parallelism)")
      ->check(CLI::IsMember({"layer", "row", "tensor"}));
  app.add_option("--kv", o->kv, "KV cache type: f16, q8_0 or q4_0")
      ->check(CLI::IsMember({"f16", "q8_0", "q4_0"}))
      ->capture_default_str();
  app.add_option("--db", o->db, "Results database")->capture_default_str();
  app.add_option("--log-items", o->run.log_items, "Also write per-item records to this JSONL file");
  app.add_option("--output_path", o->output_path,
                 "Also write a results file laid out like lm-evaluation-harness's: DIR gives\n"
                 "DIR/<model>__<precision>/results_<date>.json; FILE.json gives FILE_<date>.json\n"
                 "(one precision only). Adds an energy block per task (docs/lm-eval.md)");
  app.add_flag("--log_samples", o->log_samples,
               "With --output_path: also write samples_<task>_<date>.jsonl beside the results file\n"
               "(per-item records, the schema of --log-items)");
  app.add_flag("--json", o->run.json, "Print the results as JSON on stdout (every metric with its stderr)");
  app.add_flag("-q,--quiet", o->run.quiet, "No progress output");
  add_evaluation_options(app, o->config);
  add_measure_options(app, o->monitor);

  command.run = [o, concurrency, arrival_rate] {
    const double start = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    sweep::SweepConfig& c = o->config;
    const LimitOption limit = parse_limit_option(o->limit);
    c.limit = limit.count;
    if (o->log_samples && o->output_path.empty()) {
      throw util::Error("--log_samples: needs --output_path (the samples files go beside the results file)",
                        util::ErrorKind::kUsage);
    }
    c.database = o->db;
    c.data_dir = o->data;
    if (c.data_dir.empty() && !c.use_samples) {
      throw util::Error("run: give --data DIR (benchmark files) or --samples (built-in items)",
                        util::ErrorKind::kUsage);
    }
    if (o->model.empty() && o->endpoint.empty())
      throw util::Error("run: give --model FILE (or synth:PRESET) or --endpoint URL --served-model NAME",
                        util::ErrorKind::kUsage);
    if (!o->endpoint.empty()) {
      if (o->served_model.empty())
        throw util::Error("--endpoint: give --served-model NAME (the model the server serves)",
                          util::ErrorKind::kUsage);
      for (const auto& [given, name] : {std::pair{!o->precisions.empty(), "--precision"},
                                        {!o->placement.empty(), "--placement"},
                                        {o->kv != "f16", "--kv"}})
        if (given)
          throw util::Error(fmt::format("{}: not with --endpoint (the server decides how its model runs)", name),
                            util::ErrorKind::kUsage);
    }
    const std::string model_name = o->endpoint.empty() ? o->model : o->served_model;
    sweep::ModelSpec spec;
    if (o->endpoint.empty()) {
      spec = sweep::parse_model_spec(o->model, std::filesystem::path(o->db).parent_path() / "models");
    } else {
      spec.label = o->served_model;
      std::string levels = o->concurrency;
      if (arrival_rate->count() > 0) {
        c.arrival_rates = sweep::parse_arrival_rates(o->arrival_rate, "--arrival-rate");
        // Poisson arrivals: --concurrency is the cap on requests in flight, all of them by default.
        if (concurrency->count() == 0) levels = std::to_string(endpoint::kMaxConcurrency);
      }
      c.concurrency_levels = sweep::parse_concurrency_levels(levels, "--concurrency");
      c.endpoint = endpoint::EndpointOptions{o->endpoint, o->served_model, c.concurrency_levels.front(),
                                             o->request_timeout, o->endpoint_api};
      c.slo = endpoint::Slo{o->slo_ttft_ms, o->slo_itl_ms};
      endpoint::check_slo(c.slo);
      endpoint::Client check(*c.endpoint);  // usage errors (URL, ranges) before anything else
    }
    c.models = {spec};
    c.tasks = tasks::parse_task_list(o->tasks);
    if (o->shots) {
      for (auto t : c.tasks) c.task_settings[t].shots = *o->shots;
    }
    try {
      c.placements = {sweep::canonical_placement(o->placement.empty() ? default_placement() : o->placement, o->split)};
    } catch (const util::Error& e) {
      throw util::Error(fmt::format("--placement{}: {}", o->split.empty() ? "" : "/--split", e.what()),
                        util::ErrorKind::kUsage);
    }
    c.kv_types = {o->kv};
    if (c.endpoint) {
      c.placements.clear();  // one cell per task (sweep::plan_cells)
      c.kv_types.clear();
      c.precisions.clear();
    } else if (!o->precisions.empty()) {
      c.precisions.clear();
      for (const auto& p : report::split_list(o->precisions)) c.precisions.push_back(sweep::canonical_precision(p));
    } else if (spec.synth_preset.empty()) {
      const engine::GgufSummary summary = engine::read_gguf_summary(spec.path);
      c.precisions = {sweep::canonical_precision(engine::file_type_name(summary.file_type))};
    } else {
      c.precisions = {sweep::canonical_precision(spec.synth_weight_type)};
    }
    // Items before any limit: the fraction's base and the "original" of the results file's n-samples.
    std::map<std::string, int> counts;
    if (limit.fraction || !o->output_path.empty()) counts = original_item_counts(c);
    if (limit.fraction) apply_limit_fraction(c, *limit.fraction, counts);
    check_options(c);
    // The hook lives in this call's copy of the run options and captures only this call's locals (a
    // hook stored in *o that captured o would keep the options alive for ever).
    SweepRunOptions run = o->run;
    std::optional<LmEvalOutput> output;
    if (!o->output_path.empty()) {
      output.emplace(o->output_path, std::max<size_t>(1, c.precisions.size()), o->log_samples, start);
      run.on_cells = [&output, &model = model_name, quiet = run.quiet, limit,
                      &counts](const std::vector<results::Cell>& cells) {
        for (const auto& file : output->write(cells, model, limit.as_given(), counts)) {
          if (!quiet) fmt::print(stderr, "wrote {}\n", file.string());
        }
      };
    }
    run.command_line = o->endpoint.empty() ? "jouleval run --model " + o->model + " --task " + o->tasks
                                           : "jouleval run --endpoint " + o->endpoint + " --served-model " +
                                                 o->served_model + " --task " + o->tasks;
    if (!o->endpoint.empty() && o->endpoint_api != endpoint::kCompletionsApi)
      run.command_line += " --endpoint-api " + o->endpoint_api;
    if (c.fewshot_sampler != sweep::SweepConfig().fewshot_sampler)
      run.command_line += " --fewshot-sampler " + c.fewshot_sampler;
    return run_configured_sweep(c, o->monitor, run);
  };
  return command;
}

}  // namespace jouleval::cli
