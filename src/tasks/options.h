// What to load for a task (data directory or built-in samples), how many items (limit), how many
// few-shot examples (explicit or from a preset) and how they are chosen (sampler, seed).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tasks/task_id.h"

namespace jouleval::tasks {

struct TaskOptions {
  std::filesystem::path data_dir;  // root of the datasets (see docs/tasks.md "Discovery")
  bool use_samples = false;        // use the built-in sample items instead of files
  int limit = 0;                   // <= 0: all items; else at most this many (selection.h)
  std::optional<int> shots;        // explicit few-shot count; overrides the preset
  std::string preset = "lm-eval";  // "lm-eval", "leaderboard" or "demo" (see preset_shots)
  uint64_t seed = 1234;            // few-shot draw seed (lm-eval's fewshot_random_seed)
  // How the examples are chosen (docs/tasks.md "Few-shot"): "lm-eval" (each task's lm-eval sampler)
  // or "first_n" (the first k rows of the task's few-shot pool for every document; seed unused).
  std::string fewshot_sampler = "lm-eval";
};

// Names of the few-shot samplers: "lm-eval" (the default) and "first_n".
const std::vector<std::string>& fewshot_samplers();

// Throws util::Error(kUsage) naming `sampler` and the accepted names unless it is one of
// fewshot_samplers().
void check_fewshot_sampler(std::string_view sampler);

// Names of the shot presets.
const std::vector<std::string>& shot_presets();

// Shots of `preset` for `task`: lm-eval = harness defaults (0, GSM8K 5); leaderboard = MMLU 5,
// ARC 25, HellaSwag 10, TruthfulQA 0, GSM8K 5; demo = lm-eval's. Throws util::Error(kUsage) on an
// unknown preset.
int preset_shots(std::string_view preset, TaskId task);

// At most how many tokens a GSM8K answer may have under `preset`: 256 (lm-eval's gsm8k.yaml) for
// lm-eval and leaderboard; 32 for demo, which `jouleval demo` uses to finish in seconds on a small
// CPU (a shorter answer is a different measurement: the preset is part of a cell's identity).
// Throws util::Error(kUsage) on an unknown preset.
int preset_max_new_tokens(std::string_view preset);

// The shot count to use: options.shots if set, else the preset's. Throws util::Error(kUsage) for a
// negative count, for few-shot TruthfulQA (it has no few-shot pool; its primer is fixed) or for an
// unknown few-shot sampler.
int resolve_shots(const TaskOptions& options, TaskId task);

}  // namespace jouleval::tasks
