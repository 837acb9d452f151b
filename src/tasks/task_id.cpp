#include "tasks/task_id.h"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

#include "util/error.h"

namespace jouleval::tasks {
namespace {

constexpr std::array<std::pair<TaskId, std::string_view>, 6> kNames = {{
    {TaskId::kMmlu, "mmlu"},
    {TaskId::kArcChallenge, "arc_challenge"},
    {TaskId::kHellaswag, "hellaswag"},
    {TaskId::kTruthfulqaMc1, "truthfulqa_mc1"},
    {TaskId::kTruthfulqaMc2, "truthfulqa_mc2"},
    {TaskId::kGsm8k, "gsm8k"},
}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

const std::vector<TaskId>& all_tasks() {
  static const std::vector<TaskId> kAll = [] {
    std::vector<TaskId> v;
    for (const auto& [id, name] : kNames) v.push_back(id);
    return v;
  }();
  return kAll;
}

std::string_view task_name(TaskId id) {
  for (const auto& [tid, name] : kNames) {
    if (tid == id) return name;
  }
  return "unknown";
}

TaskId parse_task_name(std::string_view name) {
  for (const auto& [id, n] : kNames) {
    if (n == name) return id;
  }
  std::string valid;
  for (const auto& [id, n] : kNames) valid += fmt::format("{}{}", valid.empty() ? "" : ", ", n);
  throw util::Error(fmt::format("unknown task '{}' (valid tasks: {}, or 'all')", name, valid), util::ErrorKind::kUsage);
}

std::vector<TaskId> parse_task_list(std::string_view list) {
  std::vector<TaskId> out;
  auto add = [&out](TaskId id) {
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  };
  size_t pos = 0;
  while (true) {
    size_t comma = list.find(',', pos);
    std::string_view part =
        trim(list.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    if (part.empty()) {
      throw util::Error(fmt::format("empty task name in task list '{}'", list), util::ErrorKind::kUsage);
    }
    if (part == "all") {
      for (TaskId id : all_tasks()) add(id);
    } else {
      add(parse_task_name(part));
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

}  // namespace jouleval::tasks
