#include "task_pipeline.h"

#include <string>

#include "fuzz_support.h"
#include "tasks/prompts.h"
#include "tasks/selection.h"
#include "util/json_text.h"

namespace jouleval::fuzz {
namespace {

// Serialises every item record as the store does (src/sweep/runner.cpp, to_store_items).
void store_records(const tasks::TaskResult& result) {
  if (result.item_records.size() != static_cast<size_t>(result.n_items)) finding("one item record per item expected");
  for (const auto& rec : result.item_records) (void)util::json_text(rec);
  (void)result.headline_value();
}

}  // namespace

void run_choice_task(tasks::TaskId id, int shots, std::vector<tasks::ChoiceItem> items) {
  for (const tasks::ChoiceItem& item : items) {
    if (item.choices.empty()) finding("item " + item.id + ": no choices");
    if (item.gold < 0 || static_cast<size_t>(item.gold) >= item.choices.size()) {
      finding("item " + item.id + ": gold " + std::to_string(item.gold) + " outside the " +
              std::to_string(item.choices.size()) + " choices");
    }
    if (id == tasks::TaskId::kTruthfulqaMc2 && item.labels.size() != item.choices.size()) {
      finding("item " + item.id + ": MC2 labels and choices differ in number");
    }
    if (item.context.compare(0, item.preamble.size(), item.preamble) != 0) {
      finding("item " + item.id + ": preamble is not a prefix of the context");
    }
  }
  tasks::Task task = tasks::Task::multiple_choice(id, shots, std::move(items));
  const auto& requests = task.loglikelihood_requests();
  std::vector<engine::LoglikelihoodResult> results(requests.size());
  for (size_t r = 0; r < results.size(); ++r) {
    results[r].logprob = -static_cast<double>((r * 7919) % 13) - 0.5;
    results[r].n_tokens = static_cast<int32_t>(1 + r % 3);
    results[r].is_greedy = r % 2 == 0;
  }
  store_records(task.score(results));
}

void run_generation_task(int shots, std::vector<tasks::GenerationItem> items) {
  tasks::Task task = tasks::Task::generation(tasks::TaskId::kGsm8k, shots, std::move(items));
  const auto& gen_items = task.generation_items();
  std::vector<engine::GenerationResult> results(gen_items.size());
  for (size_t i = 0; i < results.size(); ++i) {
    // A model that repeats the reference, one that repeats the prompt, one that says nothing.
    results[i].text = i % 3 == 0 ? gen_items[i].target : i % 3 == 1 ? gen_items[i].prompt : std::string();
    results[i].n_generated_tokens = static_cast<int32_t>(results[i].text.size() / 4);
  }
  store_records(task.score(results));
}

void run_hellaswag(const std::vector<tasks::HellaswagRow>& rows) {
  for (int limit : kLimits) {
    const std::vector<size_t> selected = tasks::select_first(rows.size(), limit);
    for (int shots : {0, 10})
      run_choice_task(tasks::TaskId::kHellaswag, shots,
                      tasks::make_hellaswag_items(rows, selected, shots, tasks::FewshotDraw{1234, false}));
  }
}

}  // namespace jouleval::fuzz
