// What load_task (src/tasks/load_task.cpp) does with parsed rows, through the public API: item
// selection (limit), few-shot draws and prompt assembly (make_*_items), the Task and its engine
// requests; then what the sweep does with the engine's results: scoring (with made-up, deterministic
// results) and serialising every item record as the store does. Checks the documented invariants of
// the items on the way (a broken one is a finding).
#pragma once

#include <vector>

#include "tasks/datasets.h"
#include "tasks/task.h"

namespace jouleval::fuzz {

// Multiple-choice tasks (MMLU, ARC, HellaSwag, TruthfulQA MC1/MC2).
void run_choice_task(tasks::TaskId id, int shots, std::vector<tasks::ChoiceItem> items);

// GSM8K.
void run_generation_task(int shots, std::vector<tasks::GenerationItem> items);

// HellaSwag rows (from either file format) through every limit and 0 and 10 shots.
void run_hellaswag(const std::vector<tasks::HellaswagRow>& rows);

// The limits the harnesses try: all items (0) and the first few.
inline constexpr int kLimits[] = {0, 3};

}  // namespace jouleval::fuzz
