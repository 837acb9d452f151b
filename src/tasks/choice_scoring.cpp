// Scoring of multiple-choice tasks: acc, acc_norm, MC1, MC2, MMLU per-subject results.
#include <map>

#include <fmt/format.h>

#include "tasks/task.h"
#include "tasks/utf8.h"
#include "util/error.h"

namespace jouleval::tasks {
namespace {

// acc_norm for every task scored by one choice (docs/tasks.md "Scoring"): ARC, HellaSwag, MMLU and
// TruthfulQA MC1. MC2 scores the probability mass of the true choices instead.
bool reports_acc_norm(TaskId id) { return id != TaskId::kTruthfulqaMc2; }

}  // namespace

TaskResult Task::score(const std::vector<engine::LoglikelihoodResult>& results) const {
  if (kind_ != RequestKind::kLoglikelihood) {
    throw util::Error(fmt::format("{}: expected generation results, got loglikelihood results", name()));
  }
  if (results.size() != ll_requests_.size()) {
    throw util::Error(
        fmt::format("{}: expected {} loglikelihood results, got {}", name(), ll_requests_.size(), results.size()));
  }
  const bool norm = reports_acc_norm(id_);
  const bool mc2 = id_ == TaskId::kTruthfulqaMc2;

  TaskResult out;
  out.task = std::string(name());
  out.shots = shots_;
  out.n_items = n_items();
  out.headline = std::string(headline_metric());

  std::vector<double> acc, acc_norm, mc2_scores;
  std::map<std::string, std::vector<double>> by_subject, by_subject_norm;
  out.item_records.reserve(choice_items_.size());

  for (size_t i = 0; i < choice_items_.size(); ++i) {
    const ChoiceItem& item = choice_items_[i];
    const RequestRange& range = ranges_[i];
    std::vector<double> ll;
    std::vector<size_t> chars;
    nlohmann::json n_tokens = nlohmann::json::array(), greedy = nlohmann::json::array();
    nlohmann::json continuations = nlohmann::json::array();
    for (size_t r = range.begin; r < range.end; ++r) {
      ll.push_back(results[r].logprob);
      n_tokens.push_back(results[r].n_tokens);
      greedy.push_back(results[r].is_greedy);
      continuations.push_back(ll_requests_[r].continuation);
      chars.push_back(utf8_length(item.choices[r - range.begin]));
    }
    const size_t chosen = argmax(ll);
    const bool correct = static_cast<int>(chosen) == item.gold;

    nlohmann::json rec;
    rec["id"] = item.id;
    if (!item.subject.empty()) rec["subject"] = item.subject;
    rec["shots"] = item.shots;
    rec["context"] = item.context;
    rec["continuations"] = std::move(continuations);
    rec["loglikelihoods"] = ll;
    rec["n_tokens"] = std::move(n_tokens);
    rec["is_greedy"] = std::move(greedy);
    rec["choice_chars"] = chars;
    rec["gold"] = item.gold;
    rec["chosen"] = chosen;
    rec["correct"] = correct;

    if (mc2) {
      const double s = mc2_score(ll, item.labels);
      mc2_scores.push_back(s);
      rec["labels"] = item.labels;
      rec["mc2_score"] = s;
      rec["correct"] = item.labels.at(chosen) == 1;
    } else {
      acc.push_back(correct ? 1.0 : 0.0);
    }
    if (norm) {
      const size_t chosen_norm = argmax(length_normalized(ll, chars));
      const bool correct_norm = static_cast<int>(chosen_norm) == item.gold;
      acc_norm.push_back(correct_norm ? 1.0 : 0.0);
      rec["chosen_norm"] = chosen_norm;
      rec["correct_norm"] = correct_norm;
      if (!item.subject.empty()) by_subject_norm[item.subject].push_back(correct_norm ? 1.0 : 0.0);
    }
    if (!item.subject.empty()) by_subject[item.subject].push_back(correct ? 1.0 : 0.0);
    out.item_records.push_back(std::move(rec));
  }

  if (mc2) {
    out.metrics.push_back(mean_metric("mc2", mc2_scores));
  } else {
    out.metrics.push_back(binary_metric("acc", acc));
  }
  if (norm) out.metrics.push_back(binary_metric("acc_norm", acc_norm));
  if (id_ == TaskId::kMmlu) {
    for (const auto& [subject, scores] : by_subject) {
      out.subjects.push_back(
          SubjectResult{subject,
                        static_cast<int>(scores.size()),
                        {binary_metric("acc", scores), binary_metric("acc_norm", by_subject_norm[subject])}});
    }
  }
  return out;
}

}  // namespace jouleval::tasks
