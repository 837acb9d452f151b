// `jouleval quantize` through llama_model_quantize, with checks before it starts and progress from
// the size of the file being written.
#include "engine/quantize.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "engine/backend.h"
#include "engine/gguf_info.h"
#include "engine/gguf_validate.h"
#include "engine/limits.h"
#include "engine/output_file.h"
#include "llama.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

// Name and bits per weight of a source file: its general.file_type when known, else its dominant
// tensor type.
std::string source_type_name(const GgufSummary& s) {
  if (s.file_type >= 0) return file_type_name(s.file_type);
  return s.weight_types.empty() ? "unknown" : s.weight_types.front().name;
}

// Bits per weight of a source file and whether its weights are integer-quantized: those of its
// file type when it is one of ours, else the measured mean (tiny models keep their embedding at a
// wider fallback type, which would blur the measurement) and its dominant tensor type.
struct SourceBits {
  double bits_per_weight;
  bool quantized;
};

SourceBits source_bits(const GgufSummary& source) {
  SourceBits b{source.bits_per_weight(), source.is_quantized()};
  for (const auto& p : precision_table()) {
    if (p.ftype == source.file_type) b = {p.bits_per_weight, !p.is_float};
  }
  return b;
}

}  // namespace

std::string quantize_refusal(const std::filesystem::path& path, const GgufSummary& source, const Precision& target) {
  const auto [src_bpw, src_quantized] = source_bits(source);
  if (!src_quantized || target.bits_per_weight <= src_bpw + 0.05) return "";
  return fmt::format(
      "{}: is already quantized to {} ({:.2f} bits/weight), below the target {} ({:.2f}): quantizing up cannot "
      "restore precision; start from the F16/BF16/F32 model",
      path.string(), source_type_name(source), src_bpw, target.type_name, target.bits_per_weight);
}

QuantizeResult quantize(const QuantizeOptions& options, const ProgressFn& progress) {
  ensure_backend();
  const Precision& target = resolve_precision(options.type);
  if (options.threads < 0 || options.threads > kMaxThreads) {
    throw util::Error(
        fmt::format("--threads {}: must be 0 (all hardware threads) or 1 to {}", options.threads, kMaxThreads),
        util::ErrorKind::kUsage);
  }
  const GgufSummary src = read_gguf_summary(options.input);
  if (options.output.empty()) throw util::Error("quantize: an output path (-o) is required", util::ErrorKind::kUsage);
  std::error_code ec;
  if (std::filesystem::equivalent(options.input, options.output, ec)) {
    throw util::Error(fmt::format("{}: output must differ from the input", options.output.string()),
                      util::ErrorKind::kUsage);
  }
  validate_gguf(options.input);  // llama.cpp's quantizer aborts on some broken metadata

  QuantizeResult result;
  result.precision = target;
  result.source_type = source_type_name(src);
  result.input_bytes = src.file_size;
  if (const std::string why = quantize_refusal(options.input, src, target); !why.empty()) {
    throw util::Error(why, util::ErrorKind::kUsage);
  }
  const auto [src_bpw, src_quantized] = source_bits(src);

  llama_model_quantize_params qp = llama_model_quantize_default_params();
  qp.ftype = static_cast<llama_ftype>(target.ftype);
  qp.nthread = options.threads;
  qp.allow_requantize = src_quantized || src.is_quantized();

  // Every check of the output (directory, existing file, writable) before the work starts.
  OutputFile out(options.output, options.overwrite);
  const double expected = static_cast<double>(src.file_size) * target.bits_per_weight / std::max(1.0, src_bpw);
  std::atomic<bool> finished{false};
  std::thread watcher;
  if (progress) {
    watcher = std::thread([&] {
      while (!finished.load()) {
        std::error_code e;
        const auto size = std::filesystem::file_size(out.temp_path(), e);
        if (!e)
          progress(static_cast<int64_t>(size),
                   static_cast<int64_t>(std::max<double>(expected, static_cast<double>(size))));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    });
  }
  const auto t0 = std::chrono::steady_clock::now();
  uint32_t rc = 0;
  std::string why;
  {
    LlamaErrorCapture errors;
    rc = llama_model_quantize(options.input.c_str(), out.temp_path().c_str(), &qp);
    why = errors.last();
  }
  finished = true;
  if (watcher.joinable()) watcher.join();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (rc != 0) {  // `out` removes the temporary file; an existing output is untouched
    if (out.nearly_full()) {
      throw util::Error(fmt::format("{}: quantizing to {} failed: no space left on the output's disk ({})",
                                    options.output.string(), target.type_name, why.empty() ? "disk full" : why),
                        util::ErrorKind::kNoSpace);
    }
    throw util::Error(
        fmt::format("{}: llama.cpp failed to quantize to {} (output {}){} (set JOULEVAL_LLAMA_LOG=1 for "
                    "its log)",
                    options.input.string(), target.type_name, options.output.string(), why.empty() ? "" : ": " + why));
  }
  out.commit();
  result.output_bytes = std::filesystem::file_size(options.output, ec);
  if (progress) progress(static_cast<int64_t>(result.output_bytes), static_cast<int64_t>(result.output_bytes));
  return result;
}

}  // namespace jouleval::engine
