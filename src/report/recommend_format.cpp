// Text and JSON renderings of a report::Recommendation (declared in report/recommend.h).
#include <fmt/format.h>

#include "report/recommend.h"
#include "report/table.h"
#include "util/json_text.h"
#include "util/terminal_text.h"

namespace jouleval::report {
namespace {

std::string num(const std::optional<double>& v, int sig = 3) { return v ? format_number(*v, sig) : "unavailable"; }
std::string pct(const std::optional<double>& v) { return v ? fmt::format("{:.1f}%", 100.0 * *v) : "unavailable"; }

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
  if (k.task) out += fmt::format(" task {};", *k.task);
  out += fmt::format(" objective {}.\n", objective_name(k.objective));
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
                       num(c.objective, 4), num(c.power_w), num(c.memory_gb), num(c.latency_ms_per_token), checks);
  }
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
                      {"task", k.task ? nlohmann::json(*k.task) : nlohmann::json(nullptr)}};
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
                               {"latency_ms_per_token", opt(c.latency_ms_per_token)},
                               {"latency_basis", c.latency_basis},
                               {"energy_estimated", c.estimated},
                               {"random_weights", c.random_weights},
                               {"checks", checks},
                               {"eligible", c.eligible},
                               {"objective", opt(c.objective)}});
  }
  j["chosen"] = rec.chosen ? nlohmann::json(*rec.chosen) : nlohmann::json(nullptr);
  j["message"] = rec.message;
  return j;
}

std::string recommendation_text_json(const Recommendation& rec) {
  return util::terminal_json(util::json_text(recommendation_json(rec), 2));
}

}  // namespace jouleval::report
