// Built-in sample items (written for jouleval, not taken from the benchmarks), stored in each
// benchmark's native file format and parsed by the same loaders as real data: for the demo and tests.
#pragma once

#include <string_view>
#include <vector>

namespace jouleval::tasks::samples {

struct SampleFile {
  std::string_view name;  // a file name in the native layout, e.g. "astronomy_test.csv"
  std::string_view text;
};

std::vector<SampleFile> mmlu_test();  // headerless CSV, one file per subject
std::vector<SampleFile> mmlu_dev();
SampleFile arc_test();  // ARC JSONL (letter and numeric labels, 3 to 5 choices)
SampleFile arc_train();
SampleFile hellaswag_val();  // original HellaSwag JSONL
SampleFile truthfulqa_mc();  // mc_task.json
SampleFile gsm8k_test();     // GSM8K JSONL
SampleFile gsm8k_train();

}  // namespace jouleval::tasks::samples
