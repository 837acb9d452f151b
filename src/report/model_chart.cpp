// The HTML report's model-against-model chart (declared in report/model_compare.h): one row per
// shared cell, three panels — energy ratio, time ratio (model / baseline, 95% CI) and accuracy
// difference (points, ± 1.96 standard errors).
#include <fmt/format.h>

#include "report/model_compare.h"
#include "results/stats.h"

namespace jouleval::report {

std::optional<Chart> model_chart(const Summary& summary) {
  using nlohmann::json;
  const auto comparisons = compare_models(summary);
  if (comparisons.empty()) return std::nullopt;
  json values = json::array();
  size_t cells = 0, random = 0;
  bool estimated = false;
  auto opt = [](const std::optional<double>& v, double scale = 1.0) { return v ? json(scale * *v) : json(nullptr); };
  for (const auto& c : comparisons) {
    estimated = estimated || c.estimated;
    for (const auto& cell : c.cells) {
      ++cells;
      random += summary.rows[cell.row].metrics.random_weights || summary.rows[cell.baseline_row].metrics.random_weights;
      std::optional<double> lo, hi;
      if (cell.accuracy_diff && cell.accuracy_se) {
        lo = *cell.accuracy_diff - results::kZ95 * *cell.accuracy_se;
        hi = *cell.accuracy_diff + results::kZ95 * *cell.accuracy_se;
      }
      values.push_back({{"label", fmt::format("{} vs {} · {}", c.model, c.baseline, cell.label)},
                        {"energy_ratio", opt(cell.energy_ratio)},
                        {"energy_lo", opt(cell.energy_ci_low)},
                        {"energy_hi", opt(cell.energy_ci_high)},
                        {"time_ratio", opt(cell.time_ratio)},
                        {"time_lo", opt(cell.time_ci_low)},
                        {"time_hi", opt(cell.time_ci_high)},
                        {"accuracy_diff", opt(cell.accuracy_diff, 100.0)},
                        {"accuracy_lo", opt(lo, 100.0)},
                        {"accuracy_hi", opt(hi, 100.0)}});
    }
  }
  // One panel; the rows are in the same order in each, so only the first shows the labels.
  auto panel = [](const char* field, const char* lo, const char* hi, const char* title, double at, bool labels) {
    const json y = {{"field", "label"},
                    {"type", "nominal"},
                    {"title", nullptr},
                    {"sort", nullptr},
                    {"axis", {{"labelLimit", 0}, {"labels", labels}}}};
    const json point = {
        {"mark", {{"type", "point"}, {"filled", true}, {"size", 60}}},
        {"encoding",
         {{"y", y},
          {"x", {{"field", field}, {"type", "quantitative"}, {"title", title}}},
          {"tooltip", json::array({{{"field", "label"}}, {{"field", field}}, {{"field", lo}}, {{"field", hi}}})}}}};
    const json rule = {
        {"mark", {{"type", "rule"}, {"color", "black"}}},
        {"encoding", {{"y", y}, {"x", {{"field", lo}, {"type", "quantitative"}}}, {"x2", {{"field", hi}}}}}};
    const json even = {{"mark", {{"type", "rule"}, {"strokeDash", json::array({4, 4})}, {"color", "gray"}}},
                       {"encoding", {{"x", {{"datum", at}, {"type", "quantitative"}}}}}};
    return json{{"width", 200}, {"height", {{"step", 18}}}, {"layer", json::array({rule, point, even})}};
  };
  json spec = {{"$schema", "https://vega.github.io/schema/vega-lite/v6.json"},
               {"description", "Model against model"},
               {"data", {{"values", values}}}};
  spec["hconcat"] =
      json::array({panel("energy_ratio", "energy_lo", "energy_hi", "energy ratio (J/question)", 1.0, true),
                   panel("time_ratio", "time_lo", "time_hi", "time ratio (s/question)", 1.0, false),
                   panel("accuracy_diff", "accuracy_lo", "accuracy_hi", "accuracy difference (points)", 0.0, false)});
  std::string pairs;
  for (const auto& c : comparisons)
    pairs += fmt::format("{}{} vs {} ({} cells)", pairs.empty() ? "" : ", ", c.model, c.baseline, c.cells.size());
  std::string caption = fmt::format(
      "Each model against the baseline model (the one with the most parameters) on the cells they share — cells "
      "identical except for the model (same machine, precision, KV type, placement, task, limit, shots, preset, seed "
      "and engine settings). One row per shared cell; {} in all: {}. Energy and time ratios are the model's J and "
      "seconds per question over the baseline's (below 1: the model costs less; dashed line: equal), means over "
      "repetitions with 95% confidence intervals (Student t, delta method; none with one repetition). Accuracy "
      "difference in percentage points, the interval ± 1.96 standard errors from the items.",
      cells, pairs);
  if (random == cells)
    caption += " Accuracy comes from random-weight models: chance level, not a model's skill.";
  else if (random > 0)
    caption += fmt::format(" {} of {} rows involve random-weight models (chance-level accuracy).", random, cells);
  if (estimated) caption += " Some energy values are estimated (opt-in estimate).";
  Chart chart;
  chart.id = "chart-models";
  chart.title = "Model against model on the cells they share";
  chart.caption = std::move(caption);
  chart.spec = std::move(spec);
  return chart;
}

}  // namespace jouleval::report
