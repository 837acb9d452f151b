// libFuzzer harness: parse_gsm8k_jsonl, then the GSM8K items as load_task builds them (the input is also the few-shot
// pool) (docs/fuzzing.md).
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
  constexpr std::string_view kName = "test.jsonl";
  fuzz::expect_clean(
      [&] {
        const std::vector<tasks::Gsm8kRow> rows = tasks::parse_gsm8k_jsonl(text, kName);
        for (int limit : fuzz::kLimits) {
          const std::vector<size_t> selected = tasks::select_first(rows.size(), limit);
          for (int shots : {0, 5}) {
            fuzz::run_generation_task(
                shots, tasks::make_gsm8k_items(rows, rows, selected, shots, tasks::FewshotDraw{1234, false}));
          }
        }
      },
      util::ErrorKind::kBadInput, kName);
  return 0;
}
