// Finds each benchmark's files under a data directory: the project's own layout first, then the
// usual upstream names (see docs/tasks.md "Formats and discovery").
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace jouleval::tasks {

struct MmluFiles {
  std::vector<std::filesystem::path> test;  // <subject>_test.csv, sorted by subject
  std::vector<std::filesystem::path> dev;   // <subject>_dev.csv, sorted by subject (may be empty)
};

// MMLU: the first of {root}/mmlu, {root}/mmlu/data, {root}/data, {root} that has a test/ directory
// with *_test.csv files. Throws util::Error(kBadInput) listing the places tried.
MmluFiles find_mmlu_files(const std::filesystem::path& root);

// ARC-Challenge split "Test" or "Train": ARC-Challenge-{split}.jsonl under {root}/arc_challenge,
// {root}/ARC-Challenge, {root}/ARC-V1-Feb2018-2/ARC-Challenge or {root}.
std::filesystem::path find_arc_file(const std::filesystem::path& root, const std::string& split);

// HellaSwag validation: hellaswag_val.jsonl (preferred: exact lm-eval preprocessing) or
// hellaswag_val_full.txt (llama.cpp format), under {root}/hellaswag, {root}/hellaswag/data or {root}.
std::filesystem::path find_hellaswag_file(const std::filesystem::path& root);

// TruthfulQA: mc_task.json under {root}/truthfulqa/v0, {root}/truthfulqa, {root}/TruthfulQA/data/v0,
// {root}/TruthfulQA/data or {root} (v0 first: it is the version lm-eval uses).
std::filesystem::path find_truthfulqa_file(const std::filesystem::path& root);

// GSM8K split "test" or "train": {split}.jsonl under {root}/gsm8k, {root}/grade_school_math/data or
// {root}/gsm8k/grade_school_math/data.
std::filesystem::path find_gsm8k_file(const std::filesystem::path& root, const std::string& split);

}  // namespace jouleval::tasks
