#include "tasks/task.h"

#include "results/headline.h"

#include <fmt/format.h>

#include "util/error.h"

namespace jouleval::tasks {

const Metric* TaskResult::find(std::string_view name) const {
  for (const Metric& m : metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

double TaskResult::headline_value() const {
  const Metric* m = find(headline);
  return m ? m->value : 0.0;
}

const std::vector<std::string>& gsm8k_stop_strings() {
  static const std::vector<std::string> kStops = {"Question:", "</s>", "<|im_end|>"};
  return kStops;
}

Task Task::multiple_choice(TaskId id, int shots, std::vector<ChoiceItem> items) {
  if (id == TaskId::kGsm8k) {
    throw util::Error("gsm8k is a generation task, not multiple choice", util::ErrorKind::kFailure);
  }
  Task t(id, RequestKind::kLoglikelihood, shots);
  t.ranges_.reserve(items.size());
  for (const ChoiceItem& item : items) {
    RequestRange range{t.ll_requests_.size(), t.ll_requests_.size() + item.choices.size()};
    for (const std::string& choice : item.choices) {
      t.ll_requests_.push_back(engine::LoglikelihoodRequest{item.context, " " + choice, item.preamble});
    }
    t.ranges_.push_back(range);
  }
  t.choice_items_ = std::move(items);
  return t;
}

Task Task::generation(TaskId id, int shots, std::vector<GenerationItem> items, int max_new_tokens) {
  if (id != TaskId::kGsm8k) {
    throw util::Error(fmt::format("{} is not a generation task", task_name(id)), util::ErrorKind::kFailure);
  }
  Task t(id, RequestKind::kGeneration, shots);
  t.gen_requests_.reserve(items.size());
  for (const GenerationItem& item : items) {
    t.gen_requests_.push_back(engine::GenerationRequest{item.prompt, gsm8k_stop_strings(), max_new_tokens});
  }
  t.gen_items_ = std::move(items);
  return t;
}

int Task::n_items() const {
  return static_cast<int>(kind_ == RequestKind::kLoglikelihood ? choice_items_.size() : gen_items_.size());
}

std::string Task::headline_metric() const { return results::headline_metric_name(std::string(name())); }

}  // namespace jouleval::tasks
