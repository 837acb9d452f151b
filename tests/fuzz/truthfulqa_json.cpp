// libFuzzer harness: parse_truthfulqa_json, then the TruthfulQA MC1 and MC2 items as load_task builds them
// (docs/fuzzing.md).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "task_pipeline.h"
#include "tasks/datasets.h"
#include "tasks/prompts.h"
#include "tasks/selection.h"

using namespace jouleval;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kName = "mc_task.json";
  fuzz::expect_clean(
      [&] {
        const std::vector<tasks::TruthfulqaRow> rows = tasks::parse_truthfulqa_json(text, kName);
        for (int limit : fuzz::kLimits) {
          const std::vector<size_t> selected = tasks::select_first(rows.size(), limit);
          fuzz::run_choice_task(tasks::TaskId::kTruthfulqaMc1, 0, tasks::make_truthfulqa_items(rows, selected, false));
          fuzz::run_choice_task(tasks::TaskId::kTruthfulqaMc2, 0, tasks::make_truthfulqa_items(rows, selected, true));
        }
      },
      util::ErrorKind::kBadInput, kName);
  return 0;
}
