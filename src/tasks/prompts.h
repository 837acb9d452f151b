// Prompt text of each task exactly as lm-eval builds it (docs/tasks.md "Prompt formats"), and the
// assembly of prompted items from dataset rows, selected indices and few-shot draws.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tasks/datasets.h"
#include "tasks/selection.h"
#include "tasks/task.h"

namespace jouleval::tasks {

// "The following are multiple choice questions (with answers) about {subject with spaces}.\n\n"
std::string mmlu_description(std::string_view subject);
// "{question stripped}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\nAnswer:"
std::string mmlu_question(const MmluRow& row);
// "Question: {stem}\nAnswer:"
std::string arc_question(const ArcRow& row);
// The six-pair QA primer (no trailing newline).
std::string_view truthfulqa_primer();
// primer + "\n\nQ: {question}\nA:"
std::string truthfulqa_context(std::string_view question);
// "Question: {question}\nAnswer:"
std::string gsm8k_question(const Gsm8kRow& row);
// question + " " + answer + "\n\n": one few-shot example.
std::string fewshot_example(std::string_view question, std::string_view answer);

// Prompted items. `selected` are indices into the evaluated rows, in order; `draw` says how the
// few-shot examples are chosen (selection.h). With first_n (every item's shots are the same, except
// HellaSwag's first k+1 items) a multiple-choice item's preamble is its shots, so that the engine
// can evaluate them once.
std::vector<ChoiceItem> make_mmlu_items(const std::vector<MmluRow>& test, const std::vector<MmluRow>& dev,
                                        const std::vector<size_t>& selected, int shots);
std::vector<ChoiceItem> make_arc_items(const std::vector<ArcRow>& test, const std::vector<ArcRow>& train,
                                       const std::vector<size_t>& selected, int shots, const FewshotDraw& draw);
std::vector<ChoiceItem> make_hellaswag_items(const std::vector<HellaswagRow>& rows, const std::vector<size_t>& selected,
                                             int shots, const FewshotDraw& draw);
std::vector<ChoiceItem> make_truthfulqa_items(const std::vector<TruthfulqaRow>& rows,
                                              const std::vector<size_t>& selected, bool mc2);
std::vector<GenerationItem> make_gsm8k_items(const std::vector<Gsm8kRow>& test, const std::vector<Gsm8kRow>& train,
                                             const std::vector<size_t>& selected, int shots, const FewshotDraw& draw);

}  // namespace jouleval::tasks
