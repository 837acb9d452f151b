// `jouleval synth`: GGUF models with random weights but the exact shapes of real architectures and
// a real tokenizer, for cost, speed and energy studies without downloading weights. Written
// streaming (bounded memory) and multi-threaded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/requests.h"

namespace jouleval::engine {

// The shape of one preset, with where the numbers come from.
struct SynthShape {
  std::string preset;        // e.g. "qwen2.5-7b"
  std::string architecture;  // GGUF architecture: "qwen2" or "llama"
  std::string vocab_file;    // file under <share>/vocab, e.g. "ggml-vocab-qwen2.gguf"
  int32_t n_layer = 0;
  int32_t n_embd = 0;
  int32_t n_head = 0;
  int32_t n_head_kv = 0;
  int32_t n_ff = 0;
  int32_t n_ctx_train = 0;
  float rope_theta = 10000.0f;
  float norm_eps = 1e-5f;
  bool tied_embeddings = false;
  bool qkv_bias = false;
  std::string source;  // where the shape comes from (HF config.json)
};

const std::vector<SynthShape>& synth_presets();
// Throws util::Error (kUsage) listing the presets when `name` is unknown.
const SynthShape& find_synth_preset(const std::string& name);

struct SynthOptions {
  std::string preset = "tiny";
  std::string weight_type = "f16";  // f32 | f16 | bf16
  uint64_t seed = 42;
  float init_scale = 0.02f;  // standard deviation of the (approximately normal) weights; norms are 1
  std::filesystem::path output;
  int32_t threads = 0;     // 0 = all hardware threads
  bool overwrite = false;  // replace an existing output file (`--force`)
};

struct SynthResult {
  SynthShape shape;
  int32_t n_vocab = 0;
  uint64_t n_params = 0;
  uint64_t file_bytes = 0;
  double seconds = 0.0;
};

// Writes the model; progress is (bytes written, total bytes). The file is written to a unique
// temporary file beside `output` and renamed onto it when complete (engine/output_file.h): an
// existing `output` is never touched unless the new file is complete and `overwrite` is set.
// Throws util::Error naming the file or option: kUsage for a bad option, an output that is a
// directory or exists without `overwrite`; kBadInput for an output in a missing or unwritable
// directory; kUnavailable when the disk has no room for the file (checked before writing) or fills
// up.
SynthResult synthesize(const SynthOptions& options, const ProgressFn& progress = {});

}  // namespace jouleval::engine
