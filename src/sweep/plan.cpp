#include "sweep/plan.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/quantize.h"
#include "tasks/options.h"
#include "util/error.h"

namespace jouleval::sweep {

std::string canonical_precision(const std::string& precision) {
  const engine::Precision& p = engine::resolve_precision(precision);
  return p.alias.empty() ? p.type_name : p.alias;
}

std::string reference_precision(const std::vector<std::string>& precisions) {
  std::vector<std::string> canon;
  for (const auto& p : precisions) canon.push_back(canonical_precision(p));
  for (const char* preferred : {"fp16", "bf16", "fp32"}) {
    if (std::find(canon.begin(), canon.end(), preferred) != canon.end()) return preferred;
  }
  return "";
}

PlannedCell task_cell(const SweepConfig& config, tasks::TaskId task) {
  PlannedCell cell;
  cell.task = task;
  cell.limit = config.limit_for(task);
  tasks::TaskOptions options;
  options.preset = config.shot_preset;
  options.shots = config.shots_for(task);
  cell.shots = tasks::resolve_shots(options, task);
  return cell;
}

std::vector<PlannedCell> selected_cells(const SweepConfig& config, std::optional<size_t> only_cell) {
  std::vector<PlannedCell> plan = plan_cells(config);
  if (!only_cell) return plan;
  if (*only_cell >= plan.size()) {
    throw util::Error(fmt::format("--cell {}: the sweep has {} cells (0 to {})", *only_cell, plan.size(),
                                  plan.empty() ? 0 : plan.size() - 1),
                      util::ExitCode::kUsage);
  }
  return {plan[*only_cell]};
}

std::vector<PlannedCell> plan_cells(const SweepConfig& config) {
  // Reference precision first, then the others in configured order.
  std::vector<std::string> precisions;
  for (const auto& p : config.precisions) {
    std::string c = canonical_precision(p);
    if (std::find(precisions.begin(), precisions.end(), c) == precisions.end()) precisions.push_back(c);
  }
  const std::string reference = reference_precision(precisions);
  std::stable_partition(precisions.begin(), precisions.end(), [&](const std::string& p) { return p == reference; });

  std::vector<PlannedCell> cells;
  for (size_t m = 0; m < config.models.size(); ++m) {
    for (const auto& placement : config.placements) {
      for (const auto& kv : config.kv_types) {
        for (const auto& precision : precisions) {
          for (auto task : config.tasks) {
            PlannedCell cell = task_cell(config, task);
            cell.model_index = m;
            cell.precision = precision;
            cell.kv_type = kv;
            cell.placement = placement;
            cells.push_back(cell);
          }
        }
      }
    }
  }
  return cells;
}

tasks::TaskOptions task_options(const SweepConfig& config, const PlannedCell& cell) {
  tasks::TaskOptions options;
  options.data_dir = config.data_dir;
  options.use_samples = config.use_samples;
  options.limit = cell.limit;
  options.shots = cell.shots;
  options.preset = config.shot_preset;
  options.seed = config.seed;
  return options;
}

store::CellKey cell_key(const SweepConfig& config, const PlannedCell& cell, const std::string& model_label,
                        const std::string& model_sha256) {
  store::CellKey key;
  key.model = model_label;
  key.model_sha256 = model_sha256;
  key.precision = cell.precision;
  key.kv_type = cell.kv_type;
  key.placement = cell.placement;
  key.task = std::string(tasks::task_name(cell.task));
  key.limit = cell.limit;
  key.shots = cell.shots;
  key.threads = config.threads;
  return key;
}

}  // namespace jouleval::sweep
