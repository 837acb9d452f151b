// A summary of a GGUF file read from its metadata only (no tensor data): architecture, shape
// hyper-parameters and the weight types, for memory checks, reports and quantization checks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace jouleval::engine {

struct WeightType {
  std::string name;    // ggml type name, e.g. "f16", "q8_0"
  int32_t type = 0;    // ggml_type
  uint64_t bytes = 0;  // bytes of all tensors of this type
  uint64_t elements = 0;
};

struct GgufSummary {
  std::string architecture;
  std::string name;
  int32_t file_type = -1;  // general.file_type (llama_ftype), -1 when absent
  int32_t n_layers = 0;
  int64_t n_embd = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t n_ctx_train = 0;
  int64_t n_vocab = 0;          // entries of tokenizer.ggml.tokens
  bool random_weights = false;  // jouleval.random_weights
  uint64_t file_size = 0;
  uint64_t tensor_bytes = 0;
  uint64_t n_elements = 0;
  std::vector<WeightType> weight_types;  // largest share of bytes first
  bool is_quantized() const;             // the dominant weight type is not F32/F16/BF16
  double bits_per_weight() const;        // 8 * tensor_bytes / n_elements
};

// Reads the metadata of `path`; throws util::Error (kBadInput) naming the file when it is missing
// or not a GGUF file.
GgufSummary read_gguf_summary(const std::filesystem::path& path);

}  // namespace jouleval::engine
