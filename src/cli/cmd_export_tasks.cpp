// `jouleval export-tasks`: writes the items `jouleval run` would score (same selection, order and
// prompts) as a task file of llama.cpp's llama-perplexity, plus a sidecar naming each item, so the
// peer can be run on exactly our questions and compared (bench/peer_agreement.py).
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "cli/command.h"
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
  std::string output;
  bool quiet = false;
};

// Tasks each format can hold. truthfulqa_mc2 is left out on purpose: llama-perplexity reads an mc2
// block but scores only mc1 (one correct answer), so it has no counterpart of our mc2 metric.
const std::vector<tasks::TaskId>& supported_tasks(const std::string& format) {
  static const std::vector<tasks::TaskId> kMc = {tasks::TaskId::kMmlu, tasks::TaskId::kArcChallenge,
                                                 tasks::TaskId::kHellaswag, tasks::TaskId::kTruthfulqaMc1};
  static const std::vector<tasks::TaskId> kHellaswag = {tasks::TaskId::kHellaswag};
  return format == "llama-hellaswag" ? kHellaswag : kMc;
}

std::string names(const std::vector<tasks::TaskId>& ids) {
  std::string out;
  for (auto id : ids) out += fmt::format("{}{}", out.empty() ? "" : ", ", tasks::task_name(id));
  return out;
}

tasks::TaskId checked_task(const ExportTasksOptions& o) {
  if (o.format != "llama-mc" && o.format != "llama-hellaswag") {
    throw util::Error(fmt::format("--format {}: unsupported (use llama-mc or llama-hellaswag)", o.format),
                      util::ErrorKind::kBadInput);
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

// The task exactly as `jouleval run --task T --data DIR --limit N --shots K --preset P --seed S` loads
// it: the same SweepConfig fields and the same task_options() the sweep runner uses.
tasks::Task load_like_run(const ExportTasksOptions& o, tasks::TaskId id) {
  sweep::SweepConfig config;
  config.data_dir = o.data;
  config.use_samples = o.use_samples;
  config.limit = o.limit;
  config.shot_preset = o.preset;
  config.seed = o.seed;
  config.tasks = {id};
  if (o.shots) config.task_settings[id].shots = *o.shots;
  return tasks::load_task(id, sweep::task_options(config, sweep::task_cell(config, id)));
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
      "llama-perplexity picks the answer with the highest MEAN log-probability per token, so its choices\n"
      "coincide with our `acc` on MMLU (one-token answers) but not in general on the other tasks\n"
      "(docs/tasks.md, \"llama-perplexity multiple-choice files\"). Compare with bench/peer_agreement.py.\n\n"
      "Examples:\n"
      "  jouleval export-tasks --task mmlu --data ../shared/datasets --limit 500 --shots 5 -o mmlu.bin\n"
      "  llama-perplexity -m model.gguf -bf mmlu.bin --multiple-choice -c 2048 > mmlu.log 2>&1\n"
      "  python3 bench/peer_agreement.py --log mmlu.log --items mmlu.bin.items.jsonl --db jouleval.db \\\n"
      "      --model model --precision fp16 --task mmlu");
  CLI::App& app = *command.app;
  app.add_option("-t,--task", o->task, "Task: mmlu, arc_challenge, hellaswag or truthfulqa_mc1 (one)")->required();
  app.add_option("--format", o->format, "llama-mc (binary, --multiple-choice) or llama-hellaswag (text, --hellaswag)")
      ->capture_default_str();
  app.add_option("-o,--output", o->output, "Task file to write; the sidecar goes to FILE.items.jsonl")->required();
  app.add_option("-d,--data", o->data, "Benchmark data directory (as for `jouleval run`)");
  app.add_flag("--samples", o->use_samples, "Use the built-in sample items instead of data files");
  app.add_option("-n,--limit", o->limit, "Items (0 = all; the same items as `jouleval run --limit`)")
      ->capture_default_str();
  app.add_option("--shots", o->shots, "Few-shot examples (overrides the preset; as for `jouleval run`)");
  app.add_option("--preset", o->preset, "Shot preset: lm-eval, leaderboard or demo")->capture_default_str();
  app.add_option("--seed", o->seed, "Few-shot selection seed")->capture_default_str();
  app.add_flag("-q,--quiet", o->quiet, "Print nothing on success");

  command.run = [o] {
    const tasks::TaskId id = checked_task(*o);
    if (o->data.empty() && !o->use_samples) {
      throw util::Error("export-tasks: give --data DIR (benchmark files) or --samples (built-in items)",
                        util::ErrorKind::kUsage);
    }
    const tasks::Task task = load_like_run(*o, id);
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
