// libFuzzer harness: parse_hellaswag_text (llama.cpp's 6-line format), then the HellaSwag items as load_task builds
// them (docs/fuzzing.md).
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
  constexpr std::string_view kName = "hellaswag_val_full.txt";
  fuzz::expect_clean(
      [&] {
        const std::vector<tasks::HellaswagRow> rows = tasks::parse_hellaswag_text(text, kName);
        for (int limit : fuzz::kLimits) {
          const std::vector<size_t> selected = tasks::select_first(rows.size(), limit);
          for (int shots : {0, 10}) {
            fuzz::run_choice_task(tasks::TaskId::kHellaswag, shots,
                                  tasks::make_hellaswag_items(rows, selected, shots, 1234));
          }
        }
      },
      util::ErrorKind::kBadInput, kName);
  return 0;
}
