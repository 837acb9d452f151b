// Process-wide llama.cpp initialisation and facts about the compiled backends.
// Call engine::ensure_backend() before any other llama.cpp use; it is idempotent and thread-safe.
#pragma once

#include <string>
#include <vector>

namespace jouleval::engine {

// Initialises llama.cpp once per process and routes its log to stderr only when
// JOULEVAL_LLAMA_LOG=1 (llama.cpp is chatty; jouleval prints its own progress).
void ensure_backend();

// Collects the error lines llama.cpp logs on the constructing thread while it lives (they are
// still printed), so that an error message can say why llama.cpp refused: "unknown model
// architecture: 'x'". Not nestable on one thread; other threads' logs are not collected.
class LlamaErrorCapture {
 public:
  LlamaErrorCapture();
  ~LlamaErrorCapture();
  LlamaErrorCapture(const LlamaErrorCapture&) = delete;
  LlamaErrorCapture& operator=(const LlamaErrorCapture&) = delete;
  // The last error line without llama.cpp's "function: " prefix, or "" when none was logged.
  std::string last() const;

 private:
  std::vector<std::string> lines_;
};

// Names of the ggml backends compiled into this binary, e.g. {"CPU"} or {"CUDA", "CPU"}.
std::vector<std::string> compiled_backends();

// llama.cpp's own one-line description of the CPU features it was built with.
std::string llama_system_info();

}  // namespace jouleval::engine
