#include "sweep/plan.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/quantize.h"
#include "results/precision.h"
#include "tasks/options.h"
#include "util/error.h"

namespace jouleval::sweep {

std::string canonical_precision(const std::string& precision) {
  const engine::Precision& p = engine::resolve_precision(precision);
  return p.alias.empty() ? p.type_name : p.alias;
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
                      util::ErrorKind::kUsage);
  }
  return {plan[*only_cell]};
}

std::vector<PlannedCell> plan_cells(const SweepConfig& config) {
  if (config.endpoint) {
    // One cell per task: the served model, as it is served (docs/endpoint.md "Cells").
    std::vector<PlannedCell> cells;
    const std::string placement = endpoint_placement(*config.endpoint);
    const std::vector<int> levels =
        config.concurrency_levels.empty() ? std::vector<int>{config.endpoint->concurrency} : config.concurrency_levels;
    const std::vector<double> rates = config.arrival_rates.empty() ? std::vector<double>{0} : config.arrival_rates;
    for (int level : levels) {
      for (double rate : rates) {
        for (auto task : config.tasks) {
          PlannedCell cell = task_cell(config, task);
          cell.precision = kServedPrecision;
          cell.kv_type = kServedKvType;
          cell.placement = placement;
          cell.concurrency = level;
          cell.arrival_rate = rate;
          cells.push_back(cell);
        }
      }
    }
    return cells;
  }
  // Reference precision first, then the others in configured order.
  std::vector<std::string> precisions;
  for (const auto& p : config.precisions) {
    std::string c = canonical_precision(p);
    if (std::find(precisions.begin(), precisions.end(), c) == precisions.end()) precisions.push_back(c);
  }
  const std::string reference = results::reference_precision(precisions).value_or("");
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

std::string endpoint_placement(const endpoint::EndpointOptions& options) {
  return "endpoint:" + endpoint::Client(options).host();
}

tasks::TaskOptions task_options(const SweepConfig& config, const PlannedCell& cell) {
  tasks::TaskOptions options;
  options.data_dir = config.data_dir;
  options.use_samples = config.use_samples;
  options.limit = cell.limit;
  options.shots = cell.shots;
  options.preset = config.shot_preset;
  options.seed = config.seed;
  options.fewshot_sampler = config.fewshot_sampler;
  return options;
}

results::CellKey cell_key(const SweepConfig& config, const PlannedCell& cell, const std::string& model_label,
                          const std::string& model_sha256, const std::string& file_sha256) {
  results::CellKey key;
  key.model = model_label;
  key.model_sha256 = model_sha256;
  key.file_sha256 = file_sha256;
  key.precision = cell.precision;
  key.kv_type = cell.kv_type;
  key.placement = cell.placement;
  key.task = std::string(tasks::task_name(cell.task));
  key.limit = cell.limit;
  key.shots = cell.shots;
  key.preset = config.shot_preset;
  key.seed = config.seed;
  key.fewshot_sampler = config.fewshot_sampler;
  key.engine = config.engine_settings();
  if (cell.concurrency > 0) key.engine.max_sequences = cell.concurrency;
  key.engine.arrival_rate = cell.arrival_rate;
  return key;
}

}  // namespace jouleval::sweep
