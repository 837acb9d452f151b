#include "engine/backend.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "ggml-backend.h"
#include "llama.h"

namespace jouleval::engine {
namespace {

thread_local std::vector<std::string>* captured_errors = nullptr;

void log_callback(ggml_log_level level, const char* text, void* /*user*/) {
  static const bool verbose = [] {
    const char* v = std::getenv("JOULEVAL_LLAMA_LOG");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  if (verbose || level == GGML_LOG_LEVEL_ERROR) std::fputs(text, stderr);
  if (level == GGML_LOG_LEVEL_ERROR && captured_errors != nullptr) captured_errors->emplace_back(text);
}

}  // namespace

LlamaErrorCapture::LlamaErrorCapture() { captured_errors = &lines_; }
LlamaErrorCapture::~LlamaErrorCapture() { captured_errors = nullptr; }

std::string LlamaErrorCapture::last() const {
  // llama.cpp logs "llama_model_load: error loading model: <why>" and then a generic line: a line
  // with a reason is preferred; each loses its "function: " prefix.
  std::string best;
  for (const std::string& line : lines_) {
    std::string text = line;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    const size_t colon = text.find(": ");
    if (colon != std::string::npos && text.find(' ') > colon) text = text.substr(colon + 2);
    if (text.rfind("error loading model: ", 0) == 0) return text.substr(21);
    if (!text.empty()) best = text;
  }
  return best;
}

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
