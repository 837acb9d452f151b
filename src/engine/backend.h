// Process-wide llama.cpp initialisation and facts about the compiled backends.
// Call engine::ensure_backend() before any other llama.cpp use; it is idempotent and thread-safe.
#pragma once

#include <string>
#include <vector>

namespace jouleval::engine {

// Initialises llama.cpp once per process and routes its log to stderr only when
// JOULEVAL_LLAMA_LOG=1 (llama.cpp is chatty; jouleval prints its own progress).
void ensure_backend();

// Names of the ggml backends compiled into this binary, e.g. {"CPU"} or {"CUDA", "CPU"}.
std::vector<std::string> compiled_backends();

// llama.cpp's own one-line description of the CPU features it was built with.
std::string llama_system_info();

}  // namespace jouleval::engine
