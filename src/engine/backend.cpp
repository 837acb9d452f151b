#include "engine/backend.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "ggml-backend.h"
#include "llama.h"

namespace jouleval::engine {
namespace {

void log_callback(ggml_log_level level, const char* text, void* /*user*/) {
  static const bool verbose = [] {
    const char* v = std::getenv("JOULEVAL_LLAMA_LOG");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  if (verbose || level == GGML_LOG_LEVEL_ERROR) std::fputs(text, stderr);
}

}  // namespace

void ensure_backend() {
  static std::once_flag once;
  std::call_once(once, [] {
    llama_log_set(log_callback, nullptr);
    llama_backend_init();
  });
}

std::vector<std::string> compiled_backends() {
  ensure_backend();
  std::vector<std::string> names;
  for (size_t i = 0; i < ggml_backend_reg_count(); ++i)
    names.emplace_back(ggml_backend_reg_name(ggml_backend_reg_get(i)));
  return names;
}

std::string llama_system_info() {
  ensure_backend();
  return llama_print_system_info();
}

}  // namespace jouleval::engine
