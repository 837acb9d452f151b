// The shapes of `jouleval synth` presets (engine/synth.h). Numbers from the models' HF config.json.
#include <fmt/format.h>

#include "engine/synth.h"
#include "util/error.h"

namespace jouleval::engine {

const std::vector<SynthShape>& synth_presets() {
  static const std::vector<SynthShape> presets = {
      // Test-sized: the real Qwen2 tokenizer with a 64-wide, 2-layer body (~10 M parameters, mostly the
      // tied embedding matrix).
      {"tiny", "qwen2", "ggml-vocab-qwen2.gguf", 2, 64, 2, 1, 192, 4096, 1000000.0f, 1e-6f, true, true,
       "jouleval test shape (Qwen2 layout)"},
      // Test-sized Llama layout with the SentencePiece tokenizer (adds BOS); 256 wide so K-quants apply.
      {"tiny-llama", "llama", "ggml-vocab-llama-spm.gguf", 2, 256, 4, 2, 512, 4096, 10000.0f, 1e-5f, false, false,
       "jouleval test shape (Llama layout, SPM vocab)"},
      {"qwen2.5-0.5b", "qwen2", "ggml-vocab-qwen2.gguf", 24, 896, 14, 2, 4864, 32768, 1000000.0f, 1e-6f, true, true,
       "Qwen/Qwen2.5-0.5B config.json"},
      {"qwen2.5-1.5b", "qwen2", "ggml-vocab-qwen2.gguf", 28, 1536, 12, 2, 8960, 32768, 1000000.0f, 1e-6f, true, true,
       "Qwen/Qwen2.5-1.5B config.json"},
      {"qwen2.5-7b", "qwen2", "ggml-vocab-qwen2.gguf", 28, 3584, 28, 4, 18944, 32768, 1000000.0f, 1e-6f, false, true,
       "Qwen/Qwen2.5-7B config.json (vocab 152064 there is padding; the tokenizer's count is used)"},
      {"llama-3-8b", "llama", "ggml-vocab-llama-bpe.gguf", 32, 4096, 32, 8, 14336, 8192, 500000.0f, 1e-5f, false, false,
       "meta-llama/Meta-Llama-3-8B config.json"},
      {"mistral-7b", "llama", "ggml-vocab-llama-spm.gguf", 32, 4096, 32, 8, 14336, 32768, 10000.0f, 1e-5f, false, false,
       "mistralai/Mistral-7B-v0.1 config.json (sliding window 4096 not modelled)"},
  };
  return presets;
}

const SynthShape& find_synth_preset(const std::string& name) {
  std::string names;
  for (const auto& p : synth_presets()) {
    if (p.preset == name) return p;
    names += names.empty() ? p.preset : ", " + p.preset;
  }
  throw util::Error(fmt::format("--preset {}: unknown preset; choose one of: {}", name, names),
                    util::ErrorKind::kUsage);
}

}  // namespace jouleval::engine
