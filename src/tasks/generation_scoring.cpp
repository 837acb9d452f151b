// Scoring of GSM8K generations: strict-match and flexible-extract exact match.
#include <fmt/format.h>

#include "tasks/gsm8k_answer.h"
#include "tasks/task.h"
#include "util/error.h"

namespace jouleval::tasks {

TaskResult Task::score(const std::vector<engine::GenerationResult>& results) const {
  if (kind_ != RequestKind::kGeneration) {
    throw util::Error(fmt::format("{}: expected loglikelihood results, got generation results", name()));
  }
  if (results.size() != gen_requests_.size()) {
    throw util::Error(
        fmt::format("{}: expected {} generation results, got {}", name(), gen_requests_.size(), results.size()));
  }
  TaskResult out;
  out.task = std::string(name());
  out.shots = shots_;
  out.n_items = n_items();
  out.headline = std::string(headline_metric());
  std::vector<double> strict_scores, flexible_scores;
  out.item_records.reserve(gen_items_.size());

  auto to_json = [](const std::optional<std::string>& s) -> nlohmann::json {
    return s ? nlohmann::json(*s) : nlohmann::json(nullptr);
  };

  for (size_t i = 0; i < gen_items_.size(); ++i) {
    const GenerationItem& item = gen_items_[i];
    const engine::GenerationResult& res = results[i];
    const std::optional<std::string> strict = extract_strict(res.text);
    const std::optional<std::string> flexible = extract_flexible(res.text);
    const std::string gold = normalize_answer(item.target);
    const std::string strict_norm = normalize_answer(strict ? *strict : kInvalidAnswer);
    const std::string flexible_norm = normalize_answer(flexible ? *flexible : kInvalidAnswer);
    const bool correct_strict = strict_norm == gold;
    const bool correct_flexible = flexible_norm == gold;
    strict_scores.push_back(correct_strict ? 1.0 : 0.0);
    flexible_scores.push_back(correct_flexible ? 1.0 : 0.0);

    nlohmann::json rec;
    rec["id"] = item.id;
    rec["shots"] = item.shots;
    rec["prompt"] = item.prompt;
    rec["generated"] = res.text;
    rec["stop_reason"] = engine::to_string(res.stop_reason);
    rec["n_generated_tokens"] = res.n_generated_tokens;
    rec["target"] = item.target;
    rec["gold"] = gold;
    rec["extracted_strict"] = to_json(strict);
    rec["extracted_flexible"] = to_json(flexible);
    rec["answer_strict"] = strict_norm;
    rec["answer_flexible"] = flexible_norm;
    rec["correct_strict"] = correct_strict;
    rec["correct_flexible"] = correct_flexible;
    rec["chosen"] = flexible_norm;  // compared by fidelity() (flips)
    rec["correct"] = correct_strict;
    out.item_records.push_back(std::move(rec));
  }
  out.metrics.push_back(binary_metric("exact_match,strict-match", strict_scores));
  out.metrics.push_back(binary_metric("exact_match,flexible-extract", flexible_scores));
  return out;
}

}  // namespace jouleval::tasks
