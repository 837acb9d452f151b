// Deployment recommendation: candidate configurations (every identity field but the workload ones:
// machine, model, precision, KV type, placement, engine settings; aggregated over the workloads it
// ran), the constraints each meets, and the best one by an objective. docs/report.md
// "Recommendations".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/identity.h"
#include "results/records.h"

namespace jouleval::report {

enum class Objective { kEnergy, kEor, kTweor, kThroughput };
Objective parse_objective(const std::string& name);  // energy | eor | tweor | throughput
std::string objective_name(Objective objective);     // the objective's quantity, with its unit

struct Constraints {
  std::string scenario;                          // datacenter | enterprise | edge | "" (explicit)
  std::optional<double> min_accuracy_retention;  // fraction of the reference precision's score
  std::optional<double> max_power_w;
  std::optional<double> max_memory_gb;
  std::optional<double> max_latency_ms_per_token;
  Objective objective = Objective::kEor;
  std::optional<std::string> task;  // only this task
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
  std::optional<double> power_w;    // peak if measured, else average
  std::string power_basis;          // "peak" | "average"
  std::optional<double> memory_gb;  // max(peak GPU memory, model file size)
  std::optional<double> latency_ms_per_token;
  std::string latency_basis;  // "per generated token" | "per processed token"
  bool estimated = false, random_weights = false;
  std::vector<ConstraintCheck> checks;
  bool eligible = false;
  std::optional<double> objective;
};

struct Recommendation {
  Constraints constraints;
  std::vector<std::string> tasks;
  std::vector<Candidate> candidates;  // eligible first, each group best objective first
  std::optional<size_t> chosen;       // index into candidates
  std::string message;                // why this one, or which constraints excluded the best
};

Recommendation recommend(const std::vector<results::Cell>& cells, const std::vector<results::Machine>& machines,
                         const Constraints& constraints);

// The decision matrix and message for a terminal (text from the database escaped, util/terminal_text.h).
std::string format_recommendation(const Recommendation& rec);
nlohmann::json recommendation_json(const Recommendation& rec);
// recommendation_json as indented text that is safe on a terminal and still exact JSON.
std::string recommendation_text_json(const Recommendation& rec);

}  // namespace jouleval::report
