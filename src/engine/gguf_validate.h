// Semantic checks of a GGUF file's metadata and tensor infos, run before llama.cpp loads or
// quantizes it: llama.cpp aborts the process (GGML_ASSERT) on many values that parse fine, e.g.
// block_count = 0, a NaN norm epsilon or a rope dimension count that is not the head size. The rules
// and the assertions they stand for are listed in docs/engine.md "GGUF validation".
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "gguf.h"

namespace jouleval::engine {

// One broken rule: the metadata key (or "tensor '<name>'") and what is wrong with it.
struct GgufProblem {
  std::string key;
  std::string what;
  std::string to_string() const;  // "GGUF key '<key>': <what>" or "GGUF tensor '<name>': <what>"
  bool is_tensor = false;
};

enum class GgufScope {
  kModel,      // a model llama.cpp is to load or quantize: architecture, shapes, tensors, tokenizer
  kVocabOnly,  // a vocabulary-only file (tokenizer keys only)
};

// Every broken rule of the open file `g`, in the order the rules are checked (architecture first,
// then hyper-parameters, tokenizer, tensors). Empty for a sound file. Thread-safe; `g` is not changed.
std::vector<GgufProblem> gguf_problems(const gguf_context* g, GgufScope scope = GgufScope::kModel);

// Opens `path` and throws util::Error (kBadInput) naming the file and the first broken rule:
// "<file>: GGUF key '<key>': <what is wrong>". Also kBadInput when the file is missing or not GGUF.
void validate_gguf(const std::filesystem::path& path, GgufScope scope = GgufScope::kModel);

}  // namespace jouleval::engine
