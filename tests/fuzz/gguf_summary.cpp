// libFuzzer harness: the GGUF metadata reader, engine::read_gguf_summary, and the metadata validation
// that runs before llama.cpp loads or quantizes a file, engine::validate_gguf, on a file holding the
// input (docs/fuzzing.md). The harness also compiles llama.cpp's GGUF parser (ggml/src/gguf.cpp) with
// coverage (tests/fuzz/CMakeLists.txt); a report from inside it is a finding in llama.cpp.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/gguf_info.h"
#include "engine/gguf_validate.h"
#include "fuzz_support.h"
#include "ggml.h"

using namespace jouleval;

namespace {
void quiet_log(ggml_log_level, const char*, void*) {}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The parser logs every rejection; keep the fuzzer's output readable (and fast).
  if (std::getenv("JOULEVAL_FUZZ_VERBOSE") == nullptr) ggml_log_set(quiet_log, nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path file = fuzz::write_scratch(data, size, "model.gguf");
  fuzz::expect_clean([&] { engine::validate_gguf(file); }, util::ErrorKind::kBadInput, file.string());
  fuzz::expect_clean([&] { engine::validate_gguf(file, engine::GgufScope::kVocabOnly); }, util::ErrorKind::kBadInput,
                     file.string());
  fuzz::expect_clean(
      [&] {
        const engine::GgufSummary s = engine::read_gguf_summary(file);
        uint64_t bytes = 0;
        for (const engine::WeightType& w : s.weight_types) bytes += w.bytes;
        if (bytes != s.tensor_bytes) fuzz::finding("weight type bytes do not add up to tensor_bytes");
        (void)s.is_quantized();
        if (std::isnan(s.bits_per_weight())) fuzz::finding("bits_per_weight is NaN");
        if (std::getenv("JOULEVAL_FUZZ_VERBOSE") != nullptr) {
          std::fprintf(stderr, "arch=%s name=%s layers=%d embd=%lld tensors=%zu types bytes=%llu bpw=%.3f\n",
                       s.architecture.c_str(), s.name.c_str(), s.n_layers, static_cast<long long>(s.n_embd),
                       s.weight_types.size(), static_cast<unsigned long long>(s.tensor_bytes), s.bits_per_weight());
        }
      },
      util::ErrorKind::kBadInput, file.string());
  return 0;
}
