// The six task identifiers, their canonical names, and parsing of comma-separated task lists.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jouleval::tasks {

enum class TaskId { kMmlu, kArcChallenge, kHellaswag, kTruthfulqaMc1, kTruthfulqaMc2, kGsm8k };

// All tasks, in the canonical order used by listings and reports.
const std::vector<TaskId>& all_tasks();

// Canonical name: "mmlu", "arc_challenge", "hellaswag", "truthfulqa_mc1", "truthfulqa_mc2", "gsm8k".
std::string_view task_name(TaskId id);

// Parses one canonical name; throws util::Error(kUsage) listing the valid names if unknown.
TaskId parse_task_name(std::string_view name);

// Parses "mmlu,gsm8k" (spaces around names allowed, duplicates removed, order kept). "all" expands
// to every task. Throws util::Error(kUsage) on an unknown or empty name.
std::vector<TaskId> parse_task_list(std::string_view list);

}  // namespace jouleval::tasks
