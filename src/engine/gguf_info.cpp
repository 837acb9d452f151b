#include "engine/gguf_info.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "engine/llama_handles.h"
#include "ggml.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

int64_t get_int(const gguf_context* g, const std::string& key, int64_t fallback) {
  const int64_t id = gguf_find_key(g, key.c_str());
  if (id < 0) return fallback;
  switch (gguf_get_kv_type(g, id)) {
    case GGUF_TYPE_UINT8:
      return gguf_get_val_u8(g, id);
    case GGUF_TYPE_INT8:
      return gguf_get_val_i8(g, id);
    case GGUF_TYPE_UINT16:
      return gguf_get_val_u16(g, id);
    case GGUF_TYPE_INT16:
      return gguf_get_val_i16(g, id);
    case GGUF_TYPE_UINT32:
      return gguf_get_val_u32(g, id);
    case GGUF_TYPE_INT32:
      return gguf_get_val_i32(g, id);
    case GGUF_TYPE_UINT64:
      return static_cast<int64_t>(gguf_get_val_u64(g, id));
    case GGUF_TYPE_INT64:
      return gguf_get_val_i64(g, id);
    case GGUF_TYPE_BOOL:
      return gguf_get_val_bool(g, id) ? 1 : 0;
    default:
      return fallback;
  }
}

std::string get_str(const gguf_context* g, const std::string& key) {
  const int64_t id = gguf_find_key(g, key.c_str());
  if (id < 0 || gguf_get_kv_type(g, id) != GGUF_TYPE_STRING) return {};
  return gguf_get_val_str(g, id);
}

}  // namespace

bool GgufSummary::is_quantized() const {
  if (weight_types.empty()) return false;
  const auto t = static_cast<ggml_type>(weight_types.front().type);
  return t != GGML_TYPE_F32 && t != GGML_TYPE_F16 && t != GGML_TYPE_BF16;
}

double GgufSummary::bits_per_weight() const {
  return n_elements == 0 ? 0.0 : 8.0 * static_cast<double>(tensor_bytes) / static_cast<double>(n_elements);
}

GgufSummary read_gguf_summary(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw util::Error(fmt::format("{}: no such model file", path.string()), util::ErrorKind::kBadInput);
  }
  gguf_init_params params{/*no_alloc=*/true, /*ctx=*/nullptr};
  GgufPtr g(gguf_init_from_file(path.c_str(), params));
  if (!g) throw util::Error(fmt::format("{}: not a valid GGUF file", path.string()), util::ErrorKind::kBadInput);

  GgufSummary s;
  s.file_size = std::filesystem::file_size(path, ec);
  s.architecture = get_str(g.get(), "general.architecture");
  s.name = get_str(g.get(), "general.name");
  s.file_type = static_cast<int32_t>(get_int(g.get(), "general.file_type", -1));
  const std::string a = s.architecture;
  s.n_layers = static_cast<int32_t>(get_int(g.get(), a + ".block_count", 0));
  s.n_embd = get_int(g.get(), a + ".embedding_length", 0);
  s.n_head = get_int(g.get(), a + ".attention.head_count", 0);
  s.n_head_kv = get_int(g.get(), a + ".attention.head_count_kv", s.n_head);
  s.n_ctx_train = get_int(g.get(), a + ".context_length", 0);
  s.random_weights = get_int(g.get(), "jouleval.random_weights", 0) != 0;
  const int64_t tokens = gguf_find_key(g.get(), "tokenizer.ggml.tokens");
  if (tokens >= 0 && gguf_get_kv_type(g.get(), tokens) == GGUF_TYPE_ARRAY) {
    s.n_vocab = static_cast<int64_t>(gguf_get_arr_n(g.get(), tokens));
  }

  std::map<int32_t, WeightType> by_type;
  for (int64_t i = 0; i < gguf_get_n_tensors(g.get()); ++i) {
    const auto type = gguf_get_tensor_type(g.get(), i);
    const int64_t* ne = gguf_get_tensor_ne(g.get(), i);
    uint64_t n = 1;
    for (int d = 0; d < GGML_MAX_DIMS; ++d) n *= static_cast<uint64_t>(ne[d]);
    WeightType& w = by_type[type];
    w.type = type;
    w.name = ggml_type_name(type);
    w.bytes += gguf_get_tensor_size(g.get(), i);
    w.elements += n;
    s.tensor_bytes += gguf_get_tensor_size(g.get(), i);
    s.n_elements += n;
  }
  for (auto& [type, w] : by_type) s.weight_types.push_back(w);
  std::sort(s.weight_types.begin(), s.weight_types.end(),
            [](const WeightType& x, const WeightType& y) { return x.bytes > y.bytes; });
  return s;
}

}  // namespace jouleval::engine
