// Text and JSON renderings of a report::Recommendation (declared in report/recommend.h).
#include <fmt/format.h>

#include <algorithm>

#include "report/number_format.h"
#include "report/recommend.h"
#include "report/table.h"
#include "util/json_text.h"
#include "util/terminal_text.h"

namespace jouleval::report {
namespace {

std::string num(const std::optional<double>& v) { return v ? format_human(*v) : "unavailable"; }
std::string pct(const std::optional<double>& v) { return v ? fmt::format("{:.1f}%", 100.0 * *v) : "unavailable"; }
std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}
// "0.812 [0.78, 0.84]" (the interval when there is one).
std::string with_ci(const std::optional<double>& v, const std::optional<double>& lo, const std::optional<double>& hi) {
  if (!v) return "unavailable";
  std::string out = format_human(*v);
  if (lo && hi) out += fmt::format(" [{}, {}]", format_human(*lo), format_human(*hi));
  return out;
}
std::string points(const std::optional<double>& v, const std::optional<double>& se) {
  if (!v) return "unavailable";
  std::string out = fmt::format("{:+.1f} pts", 100.0 * *v);
  if (se) out += fmt::format(" (SE {:.1f})", 100.0 * *se);
  return out;
}

// Each model against the baseline model on the cells they share (report/model_compare.h).
std::string format_models(const std::vector<ModelComparison>& models) {
  if (models.empty()) return "";
  std::string out =
      "\nModel against model (cells identical except for the model; ratios model / baseline, 95% CI; accuracy "
      "difference with its standard error):\n";
  for (const auto& m : models) {
    out += fmt::format(
        "  {} vs {} on {} shared cell(s): accuracy {}; energy ratio {}; time ratio {}; EOR/item {} vs "
        "{}; TWEOR/item {} vs {}{}\n",
        m.model, m.baseline, m.cells.size(), points(m.accuracy_diff, m.accuracy_se),
        with_ci(m.energy_ratio, m.energy_ci_low, m.energy_ci_high),
        with_ci(m.time_ratio, m.time_ci_low, m.time_ci_high), num(m.eor_item), num(m.baseline_eor_item),
        num(m.tweor_item), num(m.baseline_tweor_item),
        m.random_weights ? " (accuracy is chance level: random-weight model)" : "");
    std::vector<std::string> shared;
    for (const auto& c : m.cells) shared.push_back(c.label);
    out += fmt::format("    cells: {}\n", join(shared));
  }
  return out;
}

nlohmann::json opt(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

}  // namespace

std::string format_recommendation(const Recommendation& rec) {
  const Constraints& k = rec.constraints;
  std::string out = "Constraints:";
  if (!k.scenario.empty()) out += fmt::format(" scenario {};", k.scenario);
  if (k.min_accuracy_retention)
    out += fmt::format(" accuracy retention >= {:.1f}%;", 100.0 * *k.min_accuracy_retention);
  if (k.max_power_w) out += fmt::format(" power <= {:g} W;", *k.max_power_w);
  if (k.max_memory_gb) out += fmt::format(" memory <= {:g} GB;", *k.max_memory_gb);
  if (k.max_latency_ms_per_token) out += fmt::format(" latency <= {:g} ms/token;", *k.max_latency_ms_per_token);
  if (!k.tasks.empty()) out += fmt::format(" task {};", join(k.tasks));
  if (!k.models.empty()) out += fmt::format(" model {};", join(k.models));
  if (!k.machines.empty()) out += fmt::format(" machine {};", join(k.machines));
  out += fmt::format(" objective {}", objective_name(rec.objective));
  if (rec.objective != k.objective)
    out += fmt::format(" (asked: {}; no energy was measured)", objective_name(k.objective));
  out += ".\n";
  std::string tasks;
  for (const auto& t : rec.tasks) tasks += (tasks.empty() ? "" : ", ") + t;
  out += fmt::format("Tasks: {}\n\nDecision matrix ({} candidates):\n", tasks.empty() ? "none" : tasks,
                     rec.candidates.size());
  out += fmt::format("{:<3} {:<40} {:>8} {:>9} {:>10} {:>10} {:>9} {:>9} {:>9}  {}\n", "", "configuration", "score",
                     "retention", "J/question", "objective", "power W", "mem GB", "ms/token", "constraints");
  for (size_t i = 0; i < rec.candidates.size(); ++i) {
    const Candidate& c = rec.candidates[i];
    std::string checks;
    for (const auto& ch : c.checks)
      checks += fmt::format("{}{} {}", checks.empty() ? "" : ", ", ch.passed ? "ok" : "FAIL", ch.name);
    const std::string& config = c.label;
    std::string score = num(c.score);
    if (c.random_weights) score += "(chance)";
    std::string energy = num(c.j_per_question);
    if (c.estimated && c.j_per_question) energy += "(est.)";
    out += fmt::format("{:<3} {:<40} {:>8} {:>9} {:>10} {:>10} {:>9} {:>9} {:>9}  {}\n",
                       rec.chosen && *rec.chosen == i ? "=>" : "", config, score, pct(c.retention), energy,
                       num(c.objective), num(c.power_w), c.memory_gb ? num(c.memory_gb) : "n/r",
                       num(c.latency_ms_per_token), checks);
  }
  const bool not_recorded =
      std::any_of(rec.candidates.begin(), rec.candidates.end(), [](const Candidate& c) { return !c.memory_gb; });
  out += "\nmem GB: the measured peak — GPU peak memory on a GPU, the host's peak resident memory (RSS) on the CPU";
  out += not_recorded ? "; n/r = not recorded (host RSS is recorded since schema version 4).\n" : ".\n";
  out += format_models(rec.models);
  out += "\n" + rec.message + "\n";
  return util::terminal_safe(out);
}

nlohmann::json recommendation_json(const Recommendation& rec) {
  const Constraints& k = rec.constraints;
  nlohmann::json j;
  j["constraints"] = {{"scenario", k.scenario},
                      {"min_accuracy_retention", opt(k.min_accuracy_retention)},
                      {"max_power_w", opt(k.max_power_w)},
                      {"max_memory_gb", opt(k.max_memory_gb)},
                      {"max_latency_ms_per_token", opt(k.max_latency_ms_per_token)},
                      {"objective", objective_name(k.objective)},
                      {"tasks", k.tasks},
                      {"models", k.models},
                      {"machines", k.machines}};
  j["objective"] = objective_name(rec.objective);
  j["energy_measured"] = rec.energy_measured;
  j["no_energy"] = rec.no_energy;
  j["tasks"] = rec.tasks;
  j["candidates"] = nlohmann::json::array();
  for (const auto& c : rec.candidates) {
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& ch : c.checks)
      checks.push_back({{"constraint", ch.name}, {"passed", ch.passed}, {"value", ch.detail}});
    nlohmann::json identity = nlohmann::json::object();
    for (const auto& f : c.identity) identity[f.key] = f.value;
    j["candidates"].push_back({{"label", c.label},
                               {"configuration", identity},
                               {"model", c.model},
                               {"precision", c.precision},
                               {"kv_type", c.kv_type},
                               {"placement", c.placement},
                               {"machine_id", c.machine_id},
                               {"machine", c.machine_label},
                               {"tasks", c.tasks},
                               {"items", c.items},
                               {"score", opt(c.score)},
                               {"reference_score", opt(c.reference_score)},
                               {"accuracy_retention", opt(c.retention)},
                               {"own_reference", c.own_reference},
                               {"mixed_versions", c.mixed_versions},
                               {"worst_task_retention", opt(c.worst_retention)},
                               {"j_per_question", opt(c.j_per_question)},
                               {"s_per_question", opt(c.s_per_question)},
                               {"eor_item", opt(c.eor_item)},
                               {"tweor_item", opt(c.tweor_item)},
                               {"tokens_per_s", opt(c.tokens_per_s)},
                               {"power_w", opt(c.power_w)},
                               {"power_basis", c.power_basis},
                               {"memory_gb", opt(c.memory_gb)},
                               {"memory_basis", c.memory_gb ? c.memory_basis : c.memory_basis + " not recorded"},
                               {"gpu_memory_gb", opt(c.gpu_memory_gb)},
                               {"host_memory_gb", opt(c.host_memory_gb)},
                               {"latency_ms_per_token", opt(c.latency_ms_per_token)},
                               {"latency_basis", c.latency_basis},
                               {"energy_estimated", c.estimated},
                               {"random_weights", c.random_weights},
                               {"checks", checks},
                               {"eligible", c.eligible},
                               {"objective", opt(c.objective)}});
  }
  j["model_comparisons"] = nlohmann::json::array();
  for (const auto& m : rec.models) {
    nlohmann::json cells = nlohmann::json::array();
    for (const auto& c : m.cells)
      cells.push_back({{"cell", c.label},
                       {"accuracy_diff", opt(c.accuracy_diff)},
                       {"accuracy_se", opt(c.accuracy_se)},
                       {"energy_ratio", opt(c.energy_ratio)},
                       {"energy_ratio_ci", {opt(c.energy_ci_low), opt(c.energy_ci_high)}},
                       {"time_ratio", opt(c.time_ratio)},
                       {"time_ratio_ci", {opt(c.time_ci_low), opt(c.time_ci_high)}}});
    j["model_comparisons"].push_back({{"model", m.model},
                                      {"baseline", m.baseline},
                                      {"accuracy_diff", opt(m.accuracy_diff)},
                                      {"accuracy_se", opt(m.accuracy_se)},
                                      {"energy_ratio", opt(m.energy_ratio)},
                                      {"energy_ratio_ci", {opt(m.energy_ci_low), opt(m.energy_ci_high)}},
                                      {"time_ratio", opt(m.time_ratio)},
                                      {"time_ratio_ci", {opt(m.time_ci_low), opt(m.time_ci_high)}},
                                      {"score", opt(m.score)},
                                      {"baseline_score", opt(m.baseline_score)},
                                      {"eor_item", opt(m.eor_item)},
                                      {"baseline_eor_item", opt(m.baseline_eor_item)},
                                      {"tweor_item", opt(m.tweor_item)},
                                      {"baseline_tweor_item", opt(m.baseline_tweor_item)},
                                      {"random_weights", m.random_weights},
                                      {"energy_estimated", m.estimated},
                                      {"cells", cells}});
  }
  j["chosen"] = rec.chosen ? nlohmann::json(*rec.chosen) : nlohmann::json(nullptr);
  j["message"] = rec.message;
  return j;
}

std::string recommendation_text_json(const Recommendation& rec) {
  return util::terminal_json(util::json_text(recommendation_json(rec), 2));
}

}  // namespace jouleval::report
