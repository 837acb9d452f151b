// Precisions jouleval can produce (aliases fp32..int4 and GGUF file-type names) and quantization of
// a GGUF model to one of them through llama.cpp's llama_model_quantize.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/gguf_info.h"
#include "engine/requests.h"

namespace jouleval::engine {

// One target precision: the GGUF file type and what it means at run time.
struct Precision {
  std::string alias;        // "int8", or empty for a type reachable only by its GGUF name
  std::string type_name;    // GGUF file-type name, e.g. "Q8_0", "Q4_K_M"
  int32_t ftype = 0;        // llama_ftype
  double bits_per_weight;   // typical for a whole 7B file (mixes included)
  bool is_float;            // F32/F16/BF16: no integer quantization
  std::string weights;      // how the weights are stored
  std::string activations;  // what llama.cpp does to activations at run time (dynamic quantization)
};

// Every supported target, aliases first.
const std::vector<Precision>& precision_table();
// The seven aliased precisions (fp32 fp16 bf16 int8 int6 int5 int4).
std::vector<Precision> precision_aliases();
// Resolves an alias or a GGUF file-type name (case-insensitive); throws util::Error (kUsage)
// listing the valid names.
const Precision& resolve_precision(const std::string& alias_or_name);
// Short GGUF name of a llama_ftype ("Q4_K_M"), else llama.cpp's description of it.
std::string file_type_name(int32_t ftype);

struct QuantizeOptions {
  std::filesystem::path input;
  std::filesystem::path output;
  std::string type;        // alias or GGUF file-type name
  int32_t threads = 0;     // 0 = all hardware threads
  bool overwrite = false;  // replace an existing output file (`--force`)
};

struct QuantizeResult {
  Precision precision;
  std::string source_type;  // file type of the input, e.g. "F16"
  uint64_t input_bytes = 0;
  uint64_t output_bytes = 0;
  double seconds = 0.0;
};

// Why `source` (the file at `path`, summarised) cannot be quantized to `target`, or "" when it can:
// integer-quantized weights cannot be made more precise (float to a wider float is lossless and
// allowed). The one rule of quantize() and of `sweep --dry-run`. Thread-safe.
std::string quantize_refusal(const std::filesystem::path& path, const GgufSummary& source, const Precision& target);

// Quantizes `options.input` into `options.output`. Progress is (bytes written, expected bytes).
// The input's metadata is validated first (validate_gguf), and the output is written to a unique
// temporary file beside it that replaces `output` only once complete; on failure only that
// temporary file is removed (engine/output_file.h). Throws util::Error: kBadInput for a
// missing/invalid input ("<file>: GGUF key '<key>': <what>"); kUsage for an unknown type, an input
// already quantized below the target (upcasting float types is allowed: lossless), an output that
// is the input, a directory, or an existing file without `overwrite`; kBadInput for an output in a
// missing or unwritable directory; kUnavailable when the disk is full; kFailure when llama.cpp fails.
QuantizeResult quantize(const QuantizeOptions& options, const ProgressFn& progress = {});

}  // namespace jouleval::engine
