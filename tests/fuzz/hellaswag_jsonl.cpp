// libFuzzer harness: parse_hellaswag_jsonl, then the HellaSwag items as load_task builds them (docs/fuzzing.md).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.h"
#include "task_pipeline.h"
#include "tasks/datasets.h"

using namespace jouleval;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kName = "hellaswag_val.jsonl";
  fuzz::expect_clean([&] { fuzz::run_hellaswag(tasks::parse_hellaswag_jsonl(text, kName)); },
                     util::ErrorKind::kBadInput, kName);
  return 0;
}
