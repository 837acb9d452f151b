// Writers of llama.cpp's `llama-perplexity` task files (the binary --multiple-choice format and the
// 6-line --hellaswag text) from loaded multiple-choice items, so llama.cpp scores exactly our prompts.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "tasks/task.h"

namespace jouleval::tasks {

// llama-perplexity refuses a task with more answers than this (perplexity.cpp,
// multiple_choice_answers::deserialize).
inline constexpr size_t kLlamaMcMaxAnswers = 100;

// The bytes of a `llama-perplexity --multiple-choice` task file holding `items` in order (format in
// docs/tasks.md "llama-perplexity multiple-choice files"). Each task's question is the item's context
// and its answers are the choices without the leading space (llama-perplexity evaluates
// question + " " + answer = our context + continuation); the mc1 labels mark the gold choice with 1,
// the mc2 block is empty. Throws util::Error(kBadInput) naming the item and field for something the
// format or llama-perplexity cannot take: no items, an empty context or choice, fewer than 2 or
// more than kLlamaMcMaxAnswers choices, gold out of range, a file of 4 GiB or more (offsets are 32-bit).
std::string llama_mc_file_bytes(const std::vector<ChoiceItem>& items);

// The text of a `llama-perplexity --hellaswag` file: per item six lines (context, gold index, four
// endings). Throws util::Error(kBadInput) naming the item and field if an item does not have exactly
// four choices or a context or choice is empty or holds a line break (few-shot contexts do: "\n\n").
std::string llama_hellaswag_file_text(const std::vector<ChoiceItem>& items);

// The sidecar of a task file: one JSON line per item in file order,
// {"index": i, "item_id": "...", "gold": g, "n_choices": n}.
std::string llama_items_jsonl(const std::vector<ChoiceItem>& items);

// Writes `bytes` to `path` (binary, replacing it). Throws util::Error(kBadInput) naming the file when
// it cannot be opened or written.
void write_task_file(const std::filesystem::path& path, const std::string& bytes);

}  // namespace jouleval::tasks
