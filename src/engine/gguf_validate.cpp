// The rules of docs/engine.md "GGUF validation". Each rule names the llama.cpp check it stands for
// (an assertion that would abort the process, or an error that would only come after a long
// quantization); values llama.cpp accepts but that make every result meaningless (a NaN rope base)
// are refused as well.
#include "engine/gguf_validate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <deque>
#include <limits>
#include <optional>
#include <unordered_set>

#include "engine/llama_handles.h"
#include "engine/quantize.h"
#include "ggml.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

constexpr int64_t kMaxLayers = 512;    // LLAMA_MAX_LAYERS (llama-hparams.h)
constexpr int64_t kMaxExperts = 1024;  // LLAMA_MAX_EXPERTS (llama-hparams.h)
constexpr int64_t kMaxCount = std::numeric_limits<int32_t>::max();

// Tokenizer models llama.cpp's vocabulary loader knows (llama-vocab.cpp), "none"/"no_vocab" aside.
constexpr std::string_view kTokenizerModels[] = {"llama", "bert", "gpt2", "hybriddna", "whitespace",
                                                 "t5",    "rwkv", "test", "plamo2",    "gemma4"};
// Those whose byte tokens ("<0xXX>", token type 6) llama.cpp can decode; the others abort on one.
constexpr std::string_view kByteTokenModels[] = {"llama", "gpt2", "hybriddna", "whitespace", "t5", "gemma4"};
constexpr int32_t kTokenTypeByte = 6;  // LLAMA_TOKEN_TYPE_BYTE

// Special token ids llama.cpp reads (llama-arch.cpp LLM_KV_TOKENIZER_*_ID).
constexpr std::string_view kSpecialTokens[] = {"bos",     "eos",     "eot",     "eom",     "unknown", "seperator",
                                               "padding", "cls",     "mask",    "fim_pre", "fim_suf", "fim_mid",
                                               "fim_pad", "fim_rep", "fim_sep", "prefix",  "suffix",  "middle"};

// Architectures whose whole layout the validator knows: what `jouleval synth` writes (llama, qwen2).
bool is_known_layout(const std::string& arch) { return arch == "llama" || arch == "qwen2"; }

template <size_t N>
bool contains(const std::string_view (&list)[N], const std::string& s) {
  return std::find(std::begin(list), std::end(list), s) != std::end(list);
}

bool is_integer_type(gguf_type t) {
  switch (t) {
    case GGUF_TYPE_UINT8:
    case GGUF_TYPE_INT8:
    case GGUF_TYPE_UINT16:
    case GGUF_TYPE_INT16:
    case GGUF_TYPE_UINT32:
    case GGUF_TYPE_INT32:
    case GGUF_TYPE_UINT64:
    case GGUF_TYPE_INT64:
      return true;
    default:
      return false;
  }
}

// The integer at `data[i]` of GGUF type `t`; values above INT64_MAX come back as INT64_MAX.
int64_t integer_at(const void* data, gguf_type t, size_t i) {
  switch (t) {
    case GGUF_TYPE_UINT8:
      return static_cast<const uint8_t*>(data)[i];
    case GGUF_TYPE_INT8:
      return static_cast<const int8_t*>(data)[i];
    case GGUF_TYPE_UINT16:
      return static_cast<const uint16_t*>(data)[i];
    case GGUF_TYPE_INT16:
      return static_cast<const int16_t*>(data)[i];
    case GGUF_TYPE_UINT32:
      return static_cast<const uint32_t*>(data)[i];
    case GGUF_TYPE_INT32:
      return static_cast<const int32_t*>(data)[i];
    case GGUF_TYPE_UINT64: {
      const uint64_t v = static_cast<const uint64_t*>(data)[i];
      return v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? std::numeric_limits<int64_t>::max()
                                                                            : static_cast<int64_t>(v);
    }
    case GGUF_TYPE_INT64:
      return static_cast<const int64_t*>(data)[i];
    default:
      return 0;
  }
}

std::string range_text(int64_t min, int64_t max) {
  if (max >= kMaxCount) return fmt::format("at least {}", min);
  if (min == max) return fmt::format("{}", min);
  return fmt::format("{} to {}", min, max);
}

class Checker {
 public:
  explicit Checker(const gguf_context* g) : g_(g) {}

  std::vector<GgufProblem> problems;

  void fail(const std::string& key, std::string what) { problems.push_back({key, std::move(what), false}); }
  void fail_tensor(const std::string& name, std::string what) { problems.push_back({name, std::move(what), true}); }

  int64_t find(const std::string& key) const { return gguf_find_key(g_, key.c_str()); }
  bool has(const std::string& key) const { return find(key) >= 0; }

  std::string type_of(int64_t id) const {
    const gguf_type t = gguf_get_kv_type(g_, id);
    if (t != GGUF_TYPE_ARRAY) return gguf_type_name(t);
    return fmt::format("array of {} {}", gguf_get_arr_n(g_, id), gguf_type_name(gguf_get_arr_type(g_, id)));
  }

  // An integer in [min, max]; nullopt (and a problem) when wrong, nullopt when absent and optional.
  std::optional<int64_t> integer(const std::string& key, bool required, int64_t min, int64_t max = kMaxCount) {
    const int64_t id = find(key);
    if (id < 0) {
      if (required) fail(key, "missing (llama.cpp needs it)");
      return std::nullopt;
    }
    const gguf_type t = gguf_get_kv_type(g_, id);
    if (!is_integer_type(t)) {
      fail(key, fmt::format("expected an integer, found {}", type_of(id)));
      return std::nullopt;
    }
    const int64_t v = integer_at(gguf_get_val_data(g_, id), t, 0);
    if (v < min || v > max) {
      fail(key, fmt::format("is {}; must be {}", v, range_text(min, max)));
      return std::nullopt;
    }
    return v;
  }

  // A per-layer integer: one value, or an array of `n_layers` values, each in [min, max]. Returns
  // the values (one per layer), or nullopt (and a problem).
  std::optional<std::vector<int64_t>> per_layer(const std::string& key, bool required, int64_t n_layers, int64_t min,
                                                int64_t max = kMaxCount) {
    const int64_t id = find(key);
    if (id < 0 || gguf_get_kv_type(g_, id) != GGUF_TYPE_ARRAY) {
      const auto v = integer(key, required, min, max);
      if (!v) return std::nullopt;
      return std::vector<int64_t>(static_cast<size_t>(n_layers), *v);
    }
    const gguf_type t = gguf_get_arr_type(g_, id);
    const size_t n = gguf_get_arr_n(g_, id);
    if (!is_integer_type(t)) {
      fail(key, fmt::format("expected an integer or an array of integers, found {}", type_of(id)));
      return std::nullopt;
    }
    if (static_cast<int64_t>(n) != n_layers) {
      fail(key, fmt::format("has {} values; block_count says {} layers", n, n_layers));
      return std::nullopt;
    }
    std::vector<int64_t> values(n);
    for (size_t i = 0; i < n; ++i) {
      values[i] = integer_at(gguf_get_arr_data(g_, id), t, i);
      if (values[i] < min || values[i] > max) {
        fail(key, fmt::format("layer {} has {}; must be {}", i, values[i], range_text(min, max)));
        return std::nullopt;
      }
    }
    return values;
  }

  // A finite float (f32 or f64), above `min` (or at least `min` when `allow_min`).
  std::optional<double> real(const std::string& key, bool required, double min, bool allow_min) {
    const int64_t id = find(key);
    if (id < 0) {
      if (required) fail(key, "missing (llama.cpp needs it)");
      return std::nullopt;
    }
    const gguf_type t = gguf_get_kv_type(g_, id);
    double v = 0.0;
    if (t == GGUF_TYPE_FLOAT32) {
      v = gguf_get_val_f32(g_, id);
    } else if (t == GGUF_TYPE_FLOAT64) {
      v = gguf_get_val_f64(g_, id);
    } else {
      fail(key, fmt::format("expected a float, found {}", type_of(id)));
      return std::nullopt;
    }
    if (!std::isfinite(v)) {
      fail(key, fmt::format("is {}; must be a finite number", v));
      return std::nullopt;
    }
    if (v < min || (v == min && !allow_min)) {
      fail(key, fmt::format("is {}; must be {} {}", v, allow_min ? "at least" : "greater than", min));
      return std::nullopt;
    }
    return v;
  }

  std::optional<std::string> string(const std::string& key, bool required) {
    const int64_t id = find(key);
    if (id < 0) {
      if (required) fail(key, "missing (llama.cpp needs it)");
      return std::nullopt;
    }
    if (gguf_get_kv_type(g_, id) != GGUF_TYPE_STRING) {
      fail(key, fmt::format("expected a string, found {}", type_of(id)));
      return std::nullopt;
    }
    return std::string(gguf_get_val_str(g_, id));
  }

  std::optional<bool> boolean(const std::string& key) {
    const int64_t id = find(key);
    if (id < 0) return std::nullopt;
    if (gguf_get_kv_type(g_, id) != GGUF_TYPE_BOOL) {
      fail(key, fmt::format("expected a bool, found {}", type_of(id)));
      return std::nullopt;
    }
    return gguf_get_val_bool(g_, id);
  }

  const gguf_context* g() const { return g_; }

 private:
  const gguf_context* g_;
};

int64_t max_of(const std::vector<int64_t>& v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }

// The tokenizer: returns the number of tokens (0 when it cannot be told).
int64_t check_tokenizer(Checker& c, const std::string& arch) {
  const auto model = c.string("tokenizer.ggml.model", true);
  if (model) {
    if (*model == "none" || *model == "no_vocab") {
      c.fail("tokenizer.ggml.model",
             fmt::format("is '{}': the file has no tokenizer, and jouleval needs one to build prompts", *model));
    } else if (!contains(kTokenizerModels, *model)) {
      c.fail("tokenizer.ggml.model", fmt::format("'{}' is not a tokenizer llama.cpp knows", *model));
    }
  }

  const std::string tokens_key = "tokenizer.ggml.tokens";
  const int64_t tid = c.find(tokens_key);
  if (tid < 0) {
    c.fail(tokens_key, "missing (llama.cpp needs the vocabulary)");
    return 0;
  }
  if (gguf_get_kv_type(c.g(), tid) != GGUF_TYPE_ARRAY || gguf_get_arr_type(c.g(), tid) != GGUF_TYPE_STRING) {
    c.fail(tokens_key, fmt::format("expected an array of strings, found {}", c.type_of(tid)));
    return 0;
  }
  const auto n = static_cast<int64_t>(gguf_get_arr_n(c.g(), tid));
  if (n < 1 || n > kMaxCount) {
    c.fail(tokens_key, fmt::format("has {} tokens; must be 1 to {}", n, kMaxCount));
    return 0;
  }
  {
    // llama.cpp asserts that every token text is distinct (an empty one counts as "[EMPTY_<id>]").
    std::unordered_set<std::string_view> seen;
    seen.reserve(static_cast<size_t>(n));
    std::deque<std::string> renamed;  // stable addresses for the views in `seen`
    for (int64_t i = 0; i < n; ++i) {
      std::string_view text = gguf_get_arr_str(c.g(), tid, static_cast<size_t>(i));
      if (text.empty()) text = renamed.emplace_back(fmt::format("[EMPTY_{}]", i));
      if (!seen.insert(text).second) {
        c.fail(tokens_key, fmt::format("token {} ('{}') appears twice; llama.cpp needs distinct tokens", i,
                                       std::string(text.substr(0, 40))));
        break;
      }
    }
  }

  const int64_t type_id = c.find("tokenizer.ggml.token_type");
  if (type_id >= 0) {
    if (gguf_get_kv_type(c.g(), type_id) != GGUF_TYPE_ARRAY || gguf_get_arr_type(c.g(), type_id) != GGUF_TYPE_INT32) {
      c.fail("tokenizer.ggml.token_type", fmt::format("expected an array of i32, found {}", c.type_of(type_id)));
    } else if (static_cast<int64_t>(gguf_get_arr_n(c.g(), type_id)) < n) {
      c.fail("tokenizer.ggml.token_type",
             fmt::format("has {} entries for {} tokens", gguf_get_arr_n(c.g(), type_id), n));
    } else if (model) {
      const auto* types = static_cast<const int32_t*>(gguf_get_arr_data(c.g(), type_id));
      for (int64_t i = 0; i < n; ++i) {
        if (types[i] != kTokenTypeByte) continue;
        const std::string text = gguf_get_arr_str(c.g(), tid, static_cast<size_t>(i));
        if (!contains(kByteTokenModels, *model)) {
          c.fail("tokenizer.ggml.token_type",
                 fmt::format("token {} is a byte token, which llama.cpp cannot decode with tokenizer '{}'", i, *model));
          break;
        }
        if (text.size() != 6 || text.compare(0, 3, "<0x") != 0 || text[5] != '>' ||
            !std::isxdigit(static_cast<unsigned char>(text[3])) ||
            !std::isxdigit(static_cast<unsigned char>(text[4]))) {
          c.fail("tokenizer.ggml.token_type",
                 fmt::format("token {} ('{}') is a byte token not spelled <0xXX>", i, text.substr(0, 40)));
          break;
        }
      }
    }
  }
  const int64_t scores_id = c.find("tokenizer.ggml.scores");
  if (scores_id >= 0) {
    const bool array = gguf_get_kv_type(c.g(), scores_id) == GGUF_TYPE_ARRAY;
    const gguf_type t = array ? gguf_get_arr_type(c.g(), scores_id) : GGUF_TYPE_COUNT;
    if (t != GGUF_TYPE_FLOAT32 && t != GGUF_TYPE_INT32) {
      c.fail("tokenizer.ggml.scores", fmt::format("expected an array of f32, found {}", c.type_of(scores_id)));
    } else if (static_cast<int64_t>(gguf_get_arr_n(c.g(), scores_id)) < n) {
      c.fail("tokenizer.ggml.scores", fmt::format("has {} entries for {} tokens", gguf_get_arr_n(c.g(), scores_id), n));
    }
  }

  for (const auto& name : kSpecialTokens) {
    c.integer(fmt::format("tokenizer.ggml.{}_token_id", name), false, 0, n - 1);
  }
  // Adding a special token the vocabulary does not name aborts llama.cpp's tokenizer.
  const std::pair<const char*, const char*> adds[] = {{"bos", "bos"}, {"eos", "eos"}, {"sep", "seperator"}};
  for (const auto& [add, token] : adds) {
    const std::string add_key = fmt::format("tokenizer.ggml.add_{}_token", add);
    const std::string id_key = fmt::format("tokenizer.ggml.{}_token_id", token);
    if (c.boolean(add_key).value_or(false) && !c.has(id_key)) {
      c.fail(add_key, fmt::format("is true, but {} is missing", id_key));
    }
  }
  if (!arch.empty()) {
    const std::string key = arch + ".vocab_size";
    const int64_t id = c.find(key);
    if (id >= 0 && (!is_integer_type(gguf_get_kv_type(c.g(), id)) ||
                    integer_at(gguf_get_val_data(c.g(), id), gguf_get_kv_type(c.g(), id), 0) != n)) {
      c.fail(key,
             fmt::format("is {}; must equal the {} tokens of tokenizer.ggml.tokens",
                         is_integer_type(gguf_get_kv_type(c.g(), id))
                             ? std::to_string(integer_at(gguf_get_val_data(c.g(), id), gguf_get_kv_type(c.g(), id), 0))
                             : c.type_of(id),
                         n));
    }
  }
  return n;
}

// A tensor's shape as "[a, b]".
std::string shape_text(const int64_t* ne, int n_dims) {
  std::string s = "[";
  for (int d = 0; d < n_dims; ++d) s += fmt::format("{}{}", d ? ", " : "", ne[d]);
  return s + "]";
}

int n_dims_of(const int64_t* ne) {
  int n = 1;
  for (int d = 0; d < GGML_MAX_DIMS; ++d) {
    if (ne[d] != 1) n = d + 1;
  }
  return n;
}

void expect_shape(Checker& c, const std::string& name, std::initializer_list<int64_t> want, bool required) {
  const int64_t id = gguf_find_tensor(c.g(), name.c_str());
  if (id < 0) {
    if (required) c.fail_tensor(name, "missing");
    return;
  }
  const int64_t* ne = gguf_get_tensor_ne(c.g(), id);
  std::vector<int64_t> w(want);
  w.resize(GGML_MAX_DIMS, 1);
  if (!std::equal(w.begin(), w.end(), ne)) {
    c.fail_tensor(name, fmt::format("has shape {}; the metadata says {}", shape_text(ne, n_dims_of(ne)),
                                    shape_text(w.data(), static_cast<int>(want.size()))));
  }
}

}  // namespace

std::string GgufProblem::to_string() const {
  return fmt::format("GGUF {} '{}': {}", is_tensor ? "tensor" : "key", key, what);
}

std::vector<GgufProblem> gguf_problems(const gguf_context* g, GgufScope scope) {
  Checker c(g);
  if (scope == GgufScope::kVocabOnly) {
    check_tokenizer(c, "");
    return std::move(c.problems);
  }

  // general.*
  const auto arch_value = c.string("general.architecture", true);
  std::string arch = arch_value.value_or("");
  if (arch_value && arch.empty()) c.fail("general.architecture", "is empty");
  if (const auto ft = c.integer("general.file_type", false, 0, kMaxCount)) {
    const std::string name = file_type_name(static_cast<int32_t>(*ft));
    if (name.find("unknown") != std::string::npos) {
      c.fail("general.file_type", fmt::format("is {}, which is no llama.cpp file type", *ft));
    }
  }

  // Hyper-parameters llama.cpp reads for every architecture (llama-model.cpp load_hparams).
  const std::string a = arch + ".";
  std::optional<int64_t> n_layer;
  std::optional<int64_t> n_embd;
  if (!arch.empty()) {
    n_layer = c.integer(a + "block_count", true, 1, kMaxLayers);
    c.integer(a + "context_length", true, 1);
    n_embd = c.integer(a + "embedding_length", true, 1);
    if (n_layer) c.integer(a + "nextn_predict_layers", false, 0, *n_layer);

    // Mixture of experts (llama-model.cpp asserts these).
    const auto n_expert = c.integer(a + "expert_count", false, 0, kMaxExperts);
    const auto used = n_layer ? c.per_layer(a + "expert_used_count", false, *n_layer, 0) : std::nullopt;
    const auto groups = c.integer(a + "expert_group_count", false, 0);
    const auto group_used = c.integer(a + "expert_group_used_count", false, 0);
    const int64_t experts = n_expert.value_or(0);
    const int64_t used_max = used ? max_of(*used) : 0;
    if (experts > 0) {
      if (used_max < 1 || used_max > experts) {
        c.fail(a + "expert_used_count",
               fmt::format("is {}; with {} experts it must be 1 to {}", used_max, experts, experts));
      }
      if (groups && *groups >= experts) {
        c.fail(a + "expert_group_count", fmt::format("is {}; must be below expert_count {}", *groups, experts));
      } else if (groups && *groups > 1) {
        if (experts % *groups != 0) {
          c.fail(a + "expert_group_count", fmt::format("{} does not divide expert_count {}", *groups, experts));
        }
        if (group_used.value_or(0) < 1 || group_used.value_or(0) >= *groups) {
          c.fail(a + "expert_group_used_count",
                 fmt::format("is {}; with {} groups it must be 1 to {}", group_used.value_or(0), *groups, *groups - 1));
        }
      }
    } else {
      if (used_max != 0) {
        c.fail(a + "expert_used_count", fmt::format("is {}, but the model has no experts (expert_count 0)", used_max));
      }
      if (groups.value_or(0) != 0) {
        c.fail(a + "expert_group_count", fmt::format("is {}, but the model has no experts (expert_count 0)", *groups));
      }
    }

    // jouleval scores next-token probabilities: a decoder that attends both ways aborts llama.cpp on
    // any batch larger than a micro-batch, and a pooled (embedding) model has no logits per token.
    if (c.boolean(a + "attention.causal") == false) {
      c.fail(a + "attention.causal", "is false; jouleval scores causal (left-to-right) language models");
    }
    if (const auto pooling = c.integer(a + "pooling_type", false, 0); pooling && *pooling != 0) {
      c.fail(a + "pooling_type",
             fmt::format("is {}: an embedding model; jouleval scores language models (0, none)", *pooling));
    }

    // Norm epsilons: ggml's norm kernels assert eps >= 0 (NaN fails too); zero divides by zero.
    for (const char* eps : {"attention.layer_norm_epsilon", "attention.layer_norm_rms_epsilon",
                            "attention.group_norm_epsilon", "norm_epsilon"}) {
      c.real(a + eps, false, 0.0, false);
    }
    // RoPE.
    c.real(a + "rope.freq_base", false, 0.0, false);
    c.real(a + "rope.freq_base_swa", false, 0.0, false);
    c.real(a + "rope.scaling.factor", false, 0.0, true);  // 0 = no scaling
    c.real(a + "rope.scale_linear", false, 0.0, true);
    if (const auto type = c.string(a + "rope.scaling.type", false)) {
      if (*type != "none" && *type != "linear" && *type != "yarn" && *type != "longrope") {
        c.fail(a + "rope.scaling.type", fmt::format("'{}' is not one of none, linear, yarn, longrope", *type));
      }
    }

    // Attention heads. Architectures without attention (state-space models) have no head count.
    const auto heads = n_layer ? c.per_layer(a + "attention.head_count", is_known_layout(arch), *n_layer,
                                             is_known_layout(arch) ? 1 : 0)
                               : std::nullopt;
    const auto heads_kv =
        n_layer && heads ? c.per_layer(a + "attention.head_count_kv", false, *n_layer, is_known_layout(arch) ? 1 : 0)
                         : std::nullopt;
    const auto key_length = c.integer(a + "attention.key_length", false, 1);
    const auto value_length = c.integer(a + "attention.value_length", false, 1);
    const auto rope_dims = c.integer(a + "rope.dimension_count", false, 1);
    if (heads) {
      for (size_t il = 0; heads_kv && il < heads->size(); ++il) {
        const int64_t h = (*heads)[il];
        const int64_t kv = (*heads_kv)[il];
        // Grouped-query attention broadcasts K/V heads over query heads (ggml asserts divisibility).
        if (kv > h || (kv > 0 && h % kv != 0)) {
          c.fail(a + "attention.head_count_kv",
                 fmt::format("is {}{}; it must divide attention.head_count {}", kv,
                             heads_kv->size() > 1 ? fmt::format(" at layer {}", il) : "", h));
          break;
        }
      }
      const int64_t h = max_of(*heads);
      if (h > 0 && n_embd) {
        // The head size: attention.key_length, else embedding_length / head_count. qwen2's query
        // projection is embedding_length wide, so there the division must be whole; llama allows
        // other head sizes (Mistral Nemo) when key_length says so.
        const bool exact = is_known_layout(arch);
        const bool whole = *n_embd % h == 0;
        const int64_t derived = *n_embd / h;
        if (exact && !whole && (arch == "qwen2" || !key_length)) {
          c.fail(a + "attention.head_count",
                 fmt::format("{} does not divide embedding_length {}: no whole head size", h, *n_embd));
        } else {
          const int64_t head_k = key_length.value_or(derived);
          const int64_t head_v = value_length.value_or(derived);
          if (arch == "qwen2" && key_length && *key_length != derived) {
            c.fail(a + "attention.key_length",
                   fmt::format("is {}; qwen2 needs embedding_length / head_count = {}", *key_length, derived));
          } else if (exact && head_v != head_k) {
            c.fail(
                a + (value_length ? "attention.value_length" : "attention.key_length"),
                fmt::format("gives value heads of {} and key heads of {}; {} needs them equal", head_v, head_k, arch));
          } else if (rope_dims) {
            if (exact && *rope_dims != head_k) {
              c.fail(a + "rope.dimension_count",
                     fmt::format("is {}; {} rotates whole heads: it must equal the head size {}", *rope_dims, arch,
                                 head_k));
            } else if (*rope_dims % 2 != 0 || *rope_dims > head_k) {
              c.fail(a + "rope.dimension_count",
                     fmt::format("is {}; must be even and at most the head size {}", *rope_dims, head_k));
            }
          }
        }
      }
    }
    if (is_known_layout(arch)) {
      if (n_layer) c.per_layer(a + "feed_forward_length", true, *n_layer, 1);
      c.real(a + "attention.layer_norm_rms_epsilon", true, 0.0, false);
    }
  }

  const int64_t n_vocab = check_tokenizer(c, arch);

  // Tensors: the cheap checks that llama.cpp's quantizer does not make.
  for (int64_t i = 0; i < gguf_get_n_tensors(g); ++i) {
    const int64_t* ne = gguf_get_tensor_ne(g, i);
    const ggml_type type = gguf_get_tensor_type(g, i);
    // ggml's CPU element-wise kernels take F32 second operands only: a norm weight or a bias stored
    // as F16 aborts the first decode.
    const std::string name = gguf_get_tensor_name(g, i);
    const bool operand = name.ends_with("norm.weight") || name.ends_with(".bias");
    if (operand && n_dims_of(ne) == 1 && type != GGML_TYPE_F32) {
      c.fail_tensor(name, fmt::format("is a norm weight or bias of type {}; llama.cpp needs F32 for those",
                                      ggml_type_name(type)));
    }
  }
  if (n_vocab > 0 && n_embd) {
    const bool exact = is_known_layout(arch);
    for (const char* name : {"token_embd.weight", "output.weight"}) {
      const int64_t id = gguf_find_tensor(g, name);
      if (id < 0) continue;
      const int64_t* ne = gguf_get_tensor_ne(g, id);
      if (ne[1] != n_vocab || (exact && ne[0] != *n_embd)) {
        c.fail_tensor(name, fmt::format("has shape {}; the metadata says [{}, {}] (embedding_length, tokens)",
                                        shape_text(ne, n_dims_of(ne)), exact ? *n_embd : ne[0], n_vocab));
      }
    }
  }
  if (is_known_layout(arch) && n_layer && n_embd && c.problems.empty()) {
    // The whole layout of the architectures jouleval synthesizes (llama.cpp models/llama.cpp, qwen2.cpp).
    const int64_t E = *n_embd;
    const auto heads = c.per_layer(a + "attention.head_count", true, *n_layer, 1);
    const auto heads_kv =
        c.has(a + "attention.head_count_kv") ? c.per_layer(a + "attention.head_count_kv", false, *n_layer, 1) : heads;
    const auto ff = c.per_layer(a + "feed_forward_length", true, *n_layer, 1);
    expect_shape(c, "token_embd.weight", {E, n_vocab}, true);
    expect_shape(c, "output_norm.weight", {E}, true);
    const auto key_length = c.integer(a + "attention.key_length", false, 1);
    for (int64_t il = 0; heads && heads_kv && ff && il < *n_layer; ++il) {
      const size_t l = static_cast<size_t>(il);
      const int64_t hd = key_length.value_or(E / (*heads)[l]);
      const int64_t q = hd * (*heads)[l];
      const int64_t kv = hd * (*heads_kv)[l];
      const int64_t f = (*ff)[l];
      const std::string b = fmt::format("blk.{}.", il);
      expect_shape(c, b + "attn_norm.weight", {E}, true);
      expect_shape(c, b + "attn_q.weight", {E, q}, false);
      expect_shape(c, b + "attn_k.weight", {E, kv}, false);
      expect_shape(c, b + "attn_v.weight", {E, kv}, false);
      expect_shape(c, b + "attn_q.bias", {q}, false);
      expect_shape(c, b + "attn_k.bias", {kv}, false);
      expect_shape(c, b + "attn_v.bias", {kv}, false);
      expect_shape(c, b + "attn_output.weight", {q, E}, true);
      expect_shape(c, b + "ffn_norm.weight", {E}, true);
      expect_shape(c, b + "ffn_gate.weight", {E, f}, false);
      expect_shape(c, b + "ffn_up.weight", {E, f}, false);
      expect_shape(c, b + "ffn_down.weight", {f, E}, false);
    }
  }
  return std::move(c.problems);
}

void validate_gguf(const std::filesystem::path& path, GgufScope scope) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw util::Error(fmt::format("{}: no such model file", path.string()), util::ErrorKind::kBadInput);
  }
  GgufPtr g(gguf_init_from_file(path.c_str(), gguf_init_params{/*no_alloc=*/true, /*ctx=*/nullptr}));
  if (!g) throw util::Error(fmt::format("{}: not a valid GGUF file", path.string()), util::ErrorKind::kBadInput);
  const std::vector<GgufProblem> problems = gguf_problems(g.get(), scope);
  if (!problems.empty()) {
    throw util::Error(fmt::format("{}: {}", path.string(), problems.front().to_string()), util::ErrorKind::kBadInput);
  }
}

}  // namespace jouleval::engine
