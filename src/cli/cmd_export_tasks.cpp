// `jouleval export-tasks`: writes the items `jouleval run` would score (same selection, order and
// prompts) as a task file of llama.cpp's llama-perplexity, plus a sidecar naming each item, so the
// peer can be run on exactly our questions and compared (bench/peer_agreement.py).
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/run_support.h"
#include "engine/scoring_tokens.h"
#include "engine/vocab.h"
#include "sweep/config.h"
#include "sweep/plan.h"
#include "tasks/llama_mc_file.h"
#include "tasks/load_task.h"
#include "tasks/task_id.h"
#include "util/error.h"

namespace jouleval::cli {
namespace {

struct ExportTasksOptions {
  std::string task;
  std::string format = "llama-mc";
  std::string data;
  bool use_samples = false;
  int limit = 0;
  std::optional<int> shots;
  std::string preset = "lm-eval";
  uint64_t seed = 1234;
  std::string fewshot_sampler = "lm-eval";
  std::string output;
  std::string model;  // --format tokens: the GGUF whose tokenizer gives the token ids
  int32_t window = 0;
  bool quiet = false;
};

// Tasks each format can hold. truthfulqa_mc2 is left out on purpose: llama-perplexity reads an mc2
// block but scores only mc1 (one correct answer), so it has no counterpart of our mc2 metric.
const std::vector<tasks::TaskId>& supported_tasks(const std::string& format) {
  static const std::vector<tasks::TaskId> kMc = {tasks::TaskId::kMmlu, tasks::TaskId::kArcChallenge,
                                                 tasks::TaskId::kHellaswag, tasks::TaskId::kTruthfulqaMc1};
  static const std::vector<tasks::TaskId> kHellaswag = {tasks::TaskId::kHellaswag};
  static const std::vector<tasks::TaskId> kTokens = {tasks::TaskId::kMmlu, tasks::TaskId::kArcChallenge,
                                                     tasks::TaskId::kHellaswag, tasks::TaskId::kTruthfulqaMc1,
                                                     tasks::TaskId::kTruthfulqaMc2};
  if (format == "tokens") return kTokens;
  return format == "llama-hellaswag" ? kHellaswag : kMc;
}

std::string names(const std::vector<tasks::TaskId>& ids) {
  std::string out;
  for (auto id : ids) out += fmt::format("{}{}", out.empty() ? "" : ", ", tasks::task_name(id));
  return out;
}

tasks::TaskId checked_task(const ExportTasksOptions& o) {
  if (o.format != "llama-mc" && o.format != "llama-hellaswag" && o.format != "tokens") {
    throw util::Error(fmt::format("--format {}: unsupported (use llama-mc, llama-hellaswag or tokens)", o.format),
                      util::ErrorKind::kBadInput);
  }
  if (o.format == "tokens" && o.model.empty()) {
    throw util::Error("--format tokens: give --model FILE.gguf (its tokenizer gives the token ids)",
                      util::ErrorKind::kUsage);
  }
  if (o.format != "tokens" && !o.model.empty()) {
    throw util::Error(fmt::format("--model: only used by --format tokens (not --format {})", o.format),
                      util::ErrorKind::kUsage);
  }
  const auto& supported = supported_tasks(o.format);
  for (auto id : supported) {
    if (tasks::task_name(id) == o.task) return id;
  }
  std::string why;
  if (o.task == "truthfulqa_mc2") {
    why = "; llama-perplexity scores only single-answer (mc1) tasks";
  } else if (o.task == "gsm8k") {
    why = "; it is a generation task";
  }
  throw util::Error(
      fmt::format("--task {}: not supported by --format {} (supported: {}){}", o.task, o.format, names(supported), why),
      util::ErrorKind::kBadInput);
}

// The task exactly as `jouleval run --task T --data DIR --limit N --shots K --preset P --seed S
// --fewshot-sampler F` loads
// it: the same SweepConfig fields and the same task_options() the sweep runner uses.
tasks::Task load_like_run(const ExportTasksOptions& o, tasks::TaskId id) {
  sweep::SweepConfig config;
  config.data_dir = o.data;
  config.use_samples = o.use_samples;
  config.limit = o.limit;
  config.shot_preset = o.preset;
  config.seed = o.seed;
  config.fewshot_sampler = o.fewshot_sampler;
  config.tasks = {id};
  if (o.shots) config.task_settings[id].shots = *o.shots;
  return tasks::load_task(id, sweep::task_options(config, sweep::task_cell(config, id)));
}

// --format tokens: one JSON line per loglikelihood request, in the order `jouleval run` scores them.
std::string tokens_jsonl(const tasks::Task& task, const std::vector<engine::ScoredTokens>& scored) {
  std::string out;
  const auto& items = task.choice_items();
  const auto& ranges = task.item_ranges();
  for (size_t i = 0; i < items.size(); ++i) {
    for (size_t r = ranges[i].begin; r < ranges[i].end; ++r) {
      const engine::ScoredTokens& t = scored[r];
      nlohmann::json line = {{"request", r},
                             {"item_id", items[i].id},
                             {"choice", r - ranges[i].begin},
                             {"gold", items[i].gold},
                             {"tokens", t.tokens},
                             {"continuation_begin", t.continuation_begin},
                             {"n_truncated", t.n_truncated}};
      if (!items[i].labels.empty()) line["label"] = items[i].labels[r - ranges[i].begin];
      out += line.dump() + "\n";
    }
  }
  return out;
}

int write_tokens(const ExportTasksOptions& o, const tasks::Task& task) {
  const engine::Vocab vocab = engine::Vocab::load(o.model);
  const int32_t window = o.window > 0 ? o.window : std::numeric_limits<int32_t>::max() - 1;
  const auto scored = engine::scoring_tokens(vocab, task.loglikelihood_requests(), window);
  const std::string text = tokens_jsonl(task, scored);
  tasks::write_task_file(o.output, text);
  if (!o.quiet) {
    int64_t fed = 0;
    for (const auto& t : scored) fed += static_cast<int64_t>(t.tokens.size()) - 1;
    fmt::print("wrote {} requests of {} {} items ({}-shot, {} tokens fed if each is evaluated alone) to {}\n",
               scored.size(), task.choice_items().size(), task.name(), task.shots(), fed, o.output);
  }
  return 0;
}

}  // namespace

Command add_export_tasks_command(CLI::App& root) {
  auto o = std::make_shared<ExportTasksOptions>();
  Command command;
  command.app = root.add_subcommand(
      "export-tasks",
      "Write the items `jouleval run` would score as a task file of llama.cpp's llama-perplexity, so the peer\n"
      "evaluates exactly our questions with exactly our prompts (the same selection, order, few-shot\n"
      "examples and text: llama-perplexity scores question + \" \" + answer = our context + continuation).\n"
      "Also writes FILE.items.jsonl: per task, in file order, {\"index\", \"item_id\", \"gold\", \"n_choices\"}.\n\n"
      "Formats:\n"
      "  llama-mc         binary file for `llama-perplexity --multiple-choice -bf FILE` (mmlu, arc_challenge,\n"
      "                   hellaswag, truthfulqa_mc1). Tasks are scored in file order; do not pass\n"
      "                   --multiple-choice-tasks (it picks a random subset) nor -e (it rewrites backslashes).\n"
      "  llama-hellaswag  6-line text for `llama-perplexity --hellaswag -f FILE --hellaswag-tasks N`\n"
      "                   (hellaswag, 0-shot only). llama-perplexity shuffles these tasks, so only the final\n"
      "                   accuracy can be compared; prefer llama-mc for hellaswag.\n"
      "  tokens           JSON lines, one per loglikelihood request in scoring order, with the token ids\n"
      "                   jouleval scores (--model FILE.gguf gives the tokenizer; no weights are loaded):\n"
      "                   {\"request\", \"item_id\", \"choice\", \"gold\", \"tokens\", \"continuation_begin\",\n"
      "                   \"n_truncated\"}; all tokens but the last are fed, tokens from continuation_begin on\n"
      "                   are scored. Any loglikelihood task. For another implementation of the forward\n"
      "                   pass (bench/transformers_peer.py). No sidecar.\n"
      "llama-perplexity picks the answer with the highest MEAN log-probability per token, so its choices\n"
      "coincide with our `acc` on MMLU (one-token answers) but not in general on the other tasks\n"
      "(docs/tasks.md, \"llama-perplexity multiple-choice files\"). Compare with bench/peer_agreement.py.\n\n"
      "Examples:\n"
      "  jouleval export-tasks --task mmlu --data ../shared/datasets --limit 500 --shots 5 -o mmlu.bin\n"
      "  llama-perplexity -m model.gguf -bf mmlu.bin --multiple-choice -c 2048 > mmlu.log 2>&1\n"
      "  python3 bench/peer_agreement.py --log mmlu.log --items mmlu.bin.items.jsonl --db jouleval.db \\\n"
      "      --model model --precision fp16 --task mmlu");
  CLI::App& app = *command.app;
  app.add_option("-t,--task", o->task,
                 "Task: mmlu, arc_challenge, hellaswag or truthfulqa_mc1 (one; --format tokens: also truthfulqa_mc2)")
      ->required();
  app.add_option("--format", o->format,
                 "llama-mc (binary, --multiple-choice), llama-hellaswag (text, --hellaswag) or tokens (JSON lines)")
      ->capture_default_str();
  app.add_option("-m,--model", o->model, "--format tokens: the GGUF model whose tokenizer gives the token ids");
  app.add_option("--window", o->window,
                 "--format tokens: the most tokens a request feeds (left-truncated; 0 = no limit)")
      ->check(CLI::Range(0, 1 << 24))
      ->capture_default_str();
  app.add_option("-o,--output", o->output, "Task file to write; the sidecar goes to FILE.items.jsonl")->required();
  app.add_option("-d,--data", o->data, "Benchmark data directory (as for `jouleval run`)");
  app.add_flag("--samples", o->use_samples, "Use the built-in sample items instead of data files");
  app.add_option("-n,--limit", o->limit, "Items (0 = all; the same items as `jouleval run --limit`)")
      ->capture_default_str();
  app.add_option("--shots", o->shots, "Few-shot examples (overrides the preset; as for `jouleval run`)");
  app.add_option("--preset", o->preset, "Shot preset: lm-eval, leaderboard or demo")->capture_default_str();
  app.add_option("--seed", o->seed, "Few-shot selection seed")->capture_default_str();
  add_fewshot_sampler_option(app, o->fewshot_sampler)->capture_default_str();
  app.add_flag("-q,--quiet", o->quiet, "Print nothing on success");

  command.run = [o] {
    const tasks::TaskId id = checked_task(*o);
    if (o->data.empty() && !o->use_samples) {
      throw util::Error("export-tasks: give --data DIR (benchmark files) or --samples (built-in items)",
                        util::ErrorKind::kUsage);
    }
    const tasks::Task task = load_like_run(*o, id);
    if (o->format == "tokens") return write_tokens(*o, task);
    const auto& items = task.choice_items();
    const bool mc = o->format == "llama-mc";
    const std::string bytes = mc ? tasks::llama_mc_file_bytes(items) : tasks::llama_hellaswag_file_text(items);
    const std::string sidecar = o->output + ".items.jsonl";
    tasks::write_task_file(o->output, bytes);
    tasks::write_task_file(sidecar, tasks::llama_items_jsonl(items));
    if (o->quiet) return 0;

    size_t max_choices = 0;
    for (const auto& item : items) max_choices = std::max(max_choices, item.choices.size());
    fmt::print("wrote {} {} items ({}-shot) to {} ({} bytes, {}) and {}\n", items.size(), task.name(), task.shots(),
               o->output, bytes.size(), mc ? "llama-perplexity --multiple-choice" : "llama-perplexity --hellaswag",
               sidecar);
    if (mc) {
      fmt::print(
          "run: llama-perplexity -m MODEL.gguf -bf {} --multiple-choice{} > LOG 2>&1\n"
          "     (-np must be at least the most choices of an item, {}; raise -c if a task does not fit)\n",
          o->output, max_choices > 4 ? fmt::format(" -np {}", max_choices) : "", max_choices);
    } else {
      fmt::print("run: llama-perplexity -m MODEL.gguf -f {} --hellaswag --hellaswag-tasks {} > LOG 2>&1\n", o->output,
                 items.size());
    }
    return 0;
  };
  return command;
}

}  // namespace jouleval::cli
