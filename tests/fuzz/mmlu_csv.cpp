// libFuzzer harness: parse_mmlu_csv on one subject file, then the MMLU items as load_task builds them
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
  constexpr std::string_view kName = "abstract_algebra_test.csv";
  fuzz::expect_clean(
      [&] {
        std::vector<tasks::MmluRow> rows = tasks::parse_mmlu_csv(text, kName, "abstract_algebra");
        if (rows.empty()) return;  // load_task rejects a file without questions
        // Two subjects, as two files give: the second half of the rows is another subject.
        const size_t first = (rows.size() + 1) / 2;
        for (size_t i = first; i < rows.size(); ++i) {
          rows[i].subject = "college_physics";
          rows[i].index = static_cast<int>(i - first);
        }
        const std::vector<size_t> group_sizes =
            first == rows.size() ? std::vector<size_t>{first} : std::vector<size_t>{first, rows.size() - first};
        for (int limit : fuzz::kLimits) {
          const std::vector<size_t> selected = tasks::select_stratified(group_sizes, limit);
          for (int shots : {0, 5}) {
            fuzz::run_choice_task(tasks::TaskId::kMmlu, shots, tasks::make_mmlu_items(rows, rows, selected, shots));
          }
        }
      },
      util::ErrorKind::kBadInput, kName);
  return 0;
}
