#include "results/headline.h"

#include <array>

namespace jouleval::results {

std::string headline_metric_name(const std::string& task) {
  if (task == "mmlu" || task == "truthfulqa_mc1") return "acc";
  if (task == "arc_challenge" || task == "arc_easy" || task == "hellaswag") return "acc_norm";
  if (task == "truthfulqa_mc2") return "mc2";
  if (task == "gsm8k") return "exact_match,strict-match";
  return "acc";
}

Headline headline_metric(const std::string& task, const std::vector<Metric>& metrics) {
  auto find = [&](const std::string& name) -> std::optional<Metric> {
    for (const auto& m : metrics)
      if (m.name == name) return m;
    return std::nullopt;
  };
  Headline h{headline_metric_name(task), std::nullopt};
  h.metric = find(h.name);
  const std::array<std::string, 3> fallbacks = {"exact_match,flexible-extract", "acc", "acc_norm"};
  for (const auto& name : fallbacks) {
    if (h.metric) break;
    if (name == "exact_match,flexible-extract" && task != "gsm8k") continue;
    if ((h.metric = find(name))) h.name = name;
  }
  if (!h.metric && !metrics.empty()) {
    h.metric = metrics.front();
    h.name = metrics.front().name;
  }
  return h;
}

}  // namespace jouleval::results
