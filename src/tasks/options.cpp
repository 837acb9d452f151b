#include "tasks/options.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "tasks/task.h"
#include "util/error.h"

namespace jouleval::tasks {

const std::vector<std::string>& shot_presets() {
  static const std::vector<std::string> kPresets = {"lm-eval", "leaderboard", "demo"};
  return kPresets;
}

const std::vector<std::string>& fewshot_samplers() {
  static const std::vector<std::string> kSamplers = {"lm-eval", "first_n"};
  return kSamplers;
}

void check_fewshot_sampler(std::string_view sampler) {
  const auto& names = fewshot_samplers();
  if (std::find(names.begin(), names.end(), sampler) != names.end()) return;
  throw util::Error(fmt::format("unknown few-shot sampler '{}' (valid: {})", sampler, fmt::join(names, ", ")),
                    util::ErrorKind::kUsage);
}

namespace {

[[noreturn]] void unknown_preset(std::string_view preset) {
  throw util::Error(fmt::format("unknown shot preset '{}' (valid: lm-eval, leaderboard, demo)", preset),
                    util::ErrorKind::kUsage);
}

}  // namespace

int preset_shots(std::string_view preset, TaskId task) {
  if (preset == "lm-eval" || preset == "demo") return task == TaskId::kGsm8k ? 5 : 0;
  if (preset == "leaderboard") {
    switch (task) {
      case TaskId::kMmlu:
        return 5;
      case TaskId::kArcChallenge:
        return 25;
      case TaskId::kHellaswag:
        return 10;
      case TaskId::kTruthfulqaMc1:
      case TaskId::kTruthfulqaMc2:
        return 0;
      case TaskId::kGsm8k:
        return 5;
    }
  }
  unknown_preset(preset);
}

int preset_max_new_tokens(std::string_view preset) {
  if (preset == "lm-eval" || preset == "leaderboard") return kGsm8kMaxNewTokens;
  if (preset == "demo") return kDemoMaxNewTokens;
  unknown_preset(preset);
}

int resolve_shots(const TaskOptions& options, TaskId task) {
  check_fewshot_sampler(options.fewshot_sampler);
  int shots = options.shots ? *options.shots : preset_shots(options.preset, task);
  if (shots < 0) {
    throw util::Error(fmt::format("{}: shots must be >= 0, got {}", task_name(task), shots), util::ErrorKind::kUsage);
  }
  if (shots > 0 && (task == TaskId::kTruthfulqaMc1 || task == TaskId::kTruthfulqaMc2)) {
    throw util::Error(fmt::format("{}: few-shot is not supported (the task's fixed six-pair primer is its only "
                                  "context; use 0 shots)",
                                  task_name(task)),
                      util::ErrorKind::kUsage);
  }
  return shots;
}

}  // namespace jouleval::tasks
