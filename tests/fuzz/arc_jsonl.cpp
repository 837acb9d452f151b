// libFuzzer harness: parse_arc_jsonl, then the ARC-Challenge items as load_task builds them (the input is also the
// few-shot pool) (docs/fuzzing.md).
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
  constexpr std::string_view kName = "ARC-Challenge-Test.jsonl";
  fuzz::expect_clean(
      [&] {
        const std::vector<tasks::ArcRow> rows = tasks::parse_arc_jsonl(text, kName);
        for (int limit : fuzz::kLimits) {
          const std::vector<size_t> selected = tasks::select_first(rows.size(), limit);
          for (int shots : {0, 25}) {
            fuzz::run_choice_task(tasks::TaskId::kArcChallenge, shots,
                                  tasks::make_arc_items(rows, rows, selected, shots, tasks::FewshotDraw{1234, false}));
          }
        }
      },
      util::ErrorKind::kBadInput, kName);
  return 0;
}
