// The cells of a sweep: the matrix of models × placements × KV types × precisions × tasks, in the
// order they run (the reference precision of each model first, so fidelity can be computed as soon
// as a quantized cell finishes), and the store key of each cell.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "results/records.h"
#include "sweep/config.h"
#include "tasks/options.h"

namespace jouleval::sweep {

struct PlannedCell {
  size_t model_index = 0;  // into SweepConfig::models
  std::string precision;   // as configured (alias or GGUF type name)
  std::string kv_type;
  std::string placement;
  tasks::TaskId task = tasks::TaskId::kMmlu;
  int limit = 0;
  int shots = 0;
  int concurrency = 0;      // an endpoint's cell: requests in flight (docs/endpoint.md); else 0
  double arrival_rate = 0;  // an endpoint's cell: Poisson arrivals per second; 0 = closed loop
};

// The identity fields of the cells of an endpoint (docs/endpoint.md "Cells"): precision "served",
// KV type "server", placement "endpoint:HOST:PORT". In-process cells never have these values.
inline constexpr const char* kServedPrecision = "served";
inline constexpr const char* kServedKvType = "server";
std::string endpoint_placement(const endpoint::EndpointOptions& options);

// All cells of `config` (with an endpoint: one per task), grouped so that consecutive cells share a loaded model.
std::vector<PlannedCell> plan_cells(const SweepConfig& config);

// plan_cells(config), or only its cell number `only_cell` (0-based, as --dry-run lists them); throws
// util::Error (usage) when there is no such cell.
std::vector<PlannedCell> selected_cells(const SweepConfig& config, std::optional<size_t> only_cell);

// A cell's task part as the sweep plans it: the task, its item limit and its resolved shots (the
// model, precision, KV type and placement fields keep their defaults).
PlannedCell task_cell(const SweepConfig& config, tasks::TaskId task);

// Canonical spelling of a precision for cell keys: the alias when there is one ("int8"), else the
// GGUF type name ("Q5_K_S").
std::string canonical_precision(const std::string& precision);

// How to load the task of a planned cell (data or samples, limit, shots, preset, seed, sampler).
tasks::TaskOptions task_options(const SweepConfig& config, const PlannedCell& cell);

// The identity of a planned cell: the hashes of the source model and of the file evaluated are
// supplied by the caller; everything else comes from the configuration.
results::CellKey cell_key(const SweepConfig& config, const PlannedCell& cell, const std::string& model_label,
                          const std::string& model_sha256, const std::string& file_sha256);

}  // namespace jouleval::sweep
