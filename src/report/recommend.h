// Deployment recommendation: candidate configurations (every identity field but the workload ones:
// machine, model, precision, KV type, placement, engine settings; aggregated over the workloads it
// ran), the constraints each meets, and the best one by an objective. docs/report.md
// "Recommendations".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/model_compare.h"
#include "results/identity.h"
#include "results/records.h"

namespace jouleval::report {

enum class Objective { kEnergy, kEor, kTweor, kThroughput, kAccuracy };
Objective parse_objective(const std::string& name);  // energy | eor | tweor | throughput | accuracy
std::string objective_name(Objective objective);     // the objective's quantity, with its unit
bool needs_energy(Objective objective);              // energy, eor, tweor

struct Constraints {
  std::string scenario;                          // datacenter | enterprise | edge | "" (explicit)
  std::optional<double> min_accuracy_retention;  // fraction of the reference precision's score
  std::optional<double> max_power_w;
  std::optional<double> max_memory_gb;
  std::optional<double> max_latency_ms_per_token;
  Objective objective = Objective::kEor;
  // Only these tasks, models and machines (empty: all). A machine is named by its label
  // ("hostname / GPU name"), hostname, id or an id prefix of 8 characters or more.
  std::vector<std::string> tasks, models, machines;
};

// Scenario defaults (datacenter >= 98%, enterprise >= 99%, edge >= 95% with a power or memory cap),
// overridden by the explicit values already set in `explicit_constraints`. Throws util::Error
// (usage) for an unknown scenario or edge without a cap.
Constraints apply_scenario(const std::string& scenario, Constraints explicit_constraints, bool retention_given);

struct ConstraintCheck {
  std::string name;  // e.g. "accuracy retention >= 98%"
  bool passed = false;
  std::string detail;  // the candidate's value
};

struct Candidate {
  std::string model, precision, kv_type, placement, machine_id, machine_label;
  std::vector<results::IdentityField> identity;  // the configuration: identity fields without the workload ones
  std::string label;                             // tells the candidates apart (report/identify.h)
  // Workloads aggregated: the task, with limit, shots, preset or seed where they differ among the
  // cells of that task ("mmlu · limit=500").
  std::vector<std::string> tasks;
  int items = 0;
  std::optional<double> score;            // mean headline score over the tasks
  std::optional<double> reference_score;  // same, of the reference precision
  std::optional<double> retention;        // sum(score) / sum(reference score)
  // Every cell's reference is itself (no other precision with the same settings was measured).
  bool own_reference = false;
  std::vector<std::string> mixed_versions;  // "workload: mixed versions: ..." of cells that mix versions
  std::optional<double> worst_retention;    // lowest per-task ratio
  std::optional<double> j_per_question, s_per_question, eor_item, tweor_item, tokens_per_s;
  std::optional<double> power_w;  // peak if measured, else average
  std::string power_basis;        // "peak" | "average"
  // The measured peak memory: GPU peak memory for a GPU or partial placement, the host's peak
  // resident memory (highest of its cells; absent unless every repetition recorded it) for a CPU
  // placement. Absent when not recorded ("not recorded": a database before schema version 4 for
  // the host, a run where the GPU memory could not be read).
  std::optional<double> memory_gb;
  std::string memory_basis;                             // "GPU peak" | "host peak RSS"
  std::optional<double> gpu_memory_gb, host_memory_gb;  // both, where recorded
  std::optional<double> latency_ms_per_token;
  std::string latency_basis;  // "per generated token" | "per processed token"
  bool estimated = false, random_weights = false;
  std::vector<ConstraintCheck> checks;
  bool eligible = false;
  std::optional<double> objective;
};

struct Recommendation {
  Constraints constraints;
  // The objective ranked by: the requested one, or, when it needs energy and no candidate has an
  // energy reading, tokens/s (accuracy when time is missing too).
  Objective objective = Objective::kEor;
  bool energy_measured = true;          // some candidate has an energy reading
  std::vector<std::string> no_energy;   // without energy: the meters' reasons ("rapl (cpu): ...")
  std::vector<ModelComparison> models;  // each model against the baseline model (report/model_compare.h)
  std::vector<std::string> tasks;
  std::vector<Candidate> candidates;  // eligible first, each group best objective first
  std::optional<size_t> chosen;       // index into candidates
  std::string message;                // why this one, or which constraints excluded the best
};

// Throws util::Error (usage) naming the option and the value when a task, model or machine of the
// constraints is not in the results, listing the known ones.
Recommendation recommend(const std::vector<results::Cell>& cells, const std::vector<results::Machine>& machines,
                         const Constraints& constraints);

// The decision matrix and message for a terminal (text from the database escaped, util/terminal_text.h).
std::string format_recommendation(const Recommendation& rec);
nlohmann::json recommendation_json(const Recommendation& rec);
// recommendation_json as indented text that is safe on a terminal and still exact JSON.
std::string recommendation_text_json(const Recommendation& rec);

}  // namespace jouleval::report
