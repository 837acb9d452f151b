#include "cli/results_table.h"

#include "results/identity.h"
#include "results/lm_eval_tasks.h"
#include "util/terminal_text.h"

#include <fmt/format.h>

#include <algorithm>

#include "report/number_format.h"
#include "report/summary.h"

namespace jouleval::cli {
namespace {

// Numbers by the one rule for people (report/number_format.h): "12.6 ± 7.6", "19,000 ± 16,000".
std::string stat_text(const std::optional<results::Stat>& s) {
  if (!s) return "unavailable";
  if (auto hw = s->half_width()) return report::format_plus_minus(s->mean, *hw);
  return report::format_human(s->mean);
}

nlohmann::json stat_json(const std::optional<results::Stat>& s) {
  if (!s) return nullptr;
  nlohmann::json j = {{"mean", s->mean}, {"n", s->n}};
  if (s->stddev) j["stddev"] = *s->stddev;
  if (s->ci_low) j["ci95"] = {*s->ci_low, *s->ci_high};
  return j;
}

}  // namespace

std::string results_table_text(const std::vector<results::Cell>& cells, const std::vector<results::Machine>& machines) {
  const report::Summary summary = report::build_summary(cells, machines);
  std::vector<std::vector<std::string>> rows = {{"task", "model", "precision", "placement", "metric", "value", "items",
                                                 "seconds", "energy J", "J/question", "EOR", "tokens/s"}};
  // Fields beyond the columns shown that tell these cells apart (docs/report.md "How rows are
  // identified"): shown in one more column when there are any.
  std::vector<std::vector<results::IdentityField>> identities;
  for (const auto& row : summary.rows) identities.push_back(results::identity_fields(row.machine_label, row.key));
  std::vector<std::string> extra;
  for (const auto& key : results::varying_fields(identities)) {
    if (key != "task" && key != "model" && key != "precision" && key != "placement" && key != "model_sha256" &&
        key != "file_sha256")
      extra.push_back(key);
  }
  if (!extra.empty()) rows.front().push_back("cell");
  bool random = false;
  std::vector<std::string> unavailable;
  for (size_t r = 0; r < summary.rows.size(); ++r) {
    const report::SummaryRow& row = summary.rows[r];
    const report::CellMetrics& m = row.metrics;
    random = random || m.random_weights;
    for (const auto& u : m.unavailable_meters) {
      if (std::find(unavailable.begin(), unavailable.end(), u) == unavailable.end()) unavailable.push_back(u);
    }
    std::string value = "-";
    if (m.score)
      value =
          m.score_stderr ? report::format_plus_minus(*m.score, *m.score_stderr, 3) : report::format_human(*m.score, 3);
    std::string energy = stat_text(m.stats.total_j);
    if (m.estimated && m.stats.total_j) energy += " (estimated)";
    if (m.short_window && m.stats.total_j) energy += " (short window)";
    rows.push_back({row.key.task, row.key.model, row.key.precision, row.key.placement, m.headline.name, value,
                    std::to_string(m.items), stat_text(m.stats.seconds), energy, stat_text(m.stats.j_per_question),
                    stat_text(m.stats.eor), stat_text(m.stats.tokens_per_s)});
    if (!extra.empty()) rows.back().push_back(results::identity_label(identities[r], extra));
  }
  std::vector<size_t> width(rows.front().size(), 0);
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  std::string out;
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t c = 0; c < rows[i].size(); ++c) out += fmt::format("{:<{}}  ", rows[i][c], width[c]);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += "\n";
    if (i == 0) {
      size_t total = 0;
      for (auto w : width) total += w + 2;
      out += std::string(total - 2, '-') + "\n";
    }
  }
  if (summary.not_done > 0) out += fmt::format("{} cell(s) skipped or failed (see above)\n", summary.not_done);
  out += "± on values: standard error of the accuracy; ± on measurements: 95% CI half-width over repetitions.\n";
  if (random)
    out += "Accuracy comes from a random-weight (synthetic) model: chance level, not a model quality figure.\n";
  for (const auto& u : unavailable) out += fmt::format("energy unavailable: {}\n", u);
  return util::terminal_safe(out);
}

nlohmann::json results_table_json(const std::vector<results::Cell>& cells,
                                  const std::vector<results::Machine>& machines) {
  const report::Summary summary = report::build_summary(cells, machines);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : summary.rows) {
    const report::CellMetrics& m = row.metrics;
    // Every stored metric with its standard error (null when undefined), not only the headline.
    nlohmann::json metrics = nlohmann::json::array();
    for (const auto& cell : cells) {
      if (cell.id != row.cell_id) continue;
      for (const auto& metric : cell.metrics) {
        metrics.push_back({{"name", metric.name},
                           {"value", metric.value},
                           {"stderr", metric.stderr_ ? nlohmann::json(*metric.stderr_) : nlohmann::json(nullptr)}});
      }
    }
    const auto lm_eval = results::lm_eval_task(row.key.task);
    nlohmann::json j = {{"cell_id", row.cell_id},
                        {"machine", row.machine_label},
                        {"task", row.key.task},
                        {"model", row.key.model},
                        {"precision", row.key.precision},
                        {"kv_type", row.key.kv_type},
                        {"placement", row.key.placement},
                        {"limit", row.key.limit},
                        {"shots", row.key.shots},
                        {"seed", row.key.seed},
                        {"fewshot_sampler", row.key.fewshot_sampler},
                        {"model_sha256", row.key.model_sha256},
                        {"file_sha256", row.key.file_sha256},
                        // The lm-evaluation-harness task version whose prompts and scoring are reproduced.
                        {"task_version", lm_eval ? nlohmann::json(lm_eval->version) : nlohmann::json(nullptr)},
                        {"metric", m.headline.name},
                        {"value", m.score ? nlohmann::json(*m.score) : nlohmann::json(nullptr)},
                        {"stderr", m.score_stderr ? nlohmann::json(*m.score_stderr) : nlohmann::json(nullptr)},
                        {"metrics", metrics},
                        {"random_weights", m.random_weights},
                        {"items", m.items},
                        {"prompt_tokens", m.prompt_tokens},
                        {"generated_tokens", m.generated_tokens},
                        {"seconds", stat_json(m.stats.seconds)},
                        {"energy_j", stat_json(m.stats.total_j)},
                        {"active_energy_j", stat_json(m.stats.active_j)},
                        {"gpu_j", stat_json(m.stats.gpu_j)},
                        {"cpu_j", stat_json(m.stats.cpu_j)},
                        {"j_per_question", stat_json(m.stats.j_per_question)},
                        {"j_per_token", stat_json(m.stats.j_per_token)},
                        {"tokens_per_s", stat_json(m.stats.tokens_per_s)},
                        {"avg_power_w", stat_json(m.stats.avg_power_w)},
                        {"eor", stat_json(m.stats.eor)},
                        {"tweor", stat_json(m.stats.tweor)},
                        {"eor_per_item", stat_json(m.stats.eor_item)},
                        {"tweor_per_item", stat_json(m.stats.tweor_item)},
                        {"estimated", m.estimated},
                        {"short_window", m.short_window},
                        {"unavailable_meters", m.unavailable_meters},
                        // The whole identity, in the schema of --log-items and `export --items`.
                        {"cell", results::identity_json(row.machine_id, row.key)}};
    // Each GPU's mean energy (J) and the GPUs not used (docs/energy.md "Which GPUs are metered").
    nlohmann::json by_gpu = nlohmann::json::object();
    for (const auto& [meter, joules] : m.gpu_j_by_meter) by_gpu[meter] = joules;
    j["gpu_j_by_device"] = by_gpu;
    j["unused_gpus"] = m.unused_gpus;
    if (row.answer_flips) j["answer_flips"] = *row.answer_flips;
    if (row.mean_kl) j["mean_kl"] = *row.mean_kl;
    if (row.reference_precision) j["reference_precision"] = *row.reference_precision;
    out.push_back(j);
  }
  return out;
}

}  // namespace jouleval::cli
