// Streaming GGUF writer for `jouleval synth`: metadata and tensor infos through the gguf API, then
// tensor data generated chunk by chunk on all threads while the previous chunk is written.
#include "engine/synth.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <future>
#include <thread>

#include "engine/backend.h"
#include "engine/limits.h"
#include "engine/llama_handles.h"
#include "engine/output_file.h"
#include "engine/thread_pool.h"
#include "ggml.h"
#include "llama.h"
#include "util/error.h"
#include "util/paths.h"

namespace jouleval::engine {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;

struct GgmlDeleter {
  void operator()(ggml_context* c) const { ggml_free(c); }
};

enum class Init { kRandom, kOnes, kZeros };

struct TensorSpec {
  std::string name;
  int64_t ne0 = 0;
  int64_t ne1 = 1;  // 1 for vectors
  Init init = Init::kRandom;
};

std::vector<TensorSpec> tensor_specs(const SynthShape& s, int64_t n_vocab) {
  const int64_t hd = s.n_embd / s.n_head;
  const int64_t q = hd * s.n_head;
  const int64_t kv = hd * s.n_head_kv;
  std::vector<TensorSpec> t;
  t.push_back({"token_embd.weight", s.n_embd, n_vocab, Init::kRandom});
  for (int32_t i = 0; i < s.n_layer; ++i) {
    const std::string b = fmt::format("blk.{}.", i);
    t.push_back({b + "attn_norm.weight", s.n_embd, 1, Init::kOnes});
    t.push_back({b + "attn_q.weight", s.n_embd, q, Init::kRandom});
    t.push_back({b + "attn_k.weight", s.n_embd, kv, Init::kRandom});
    t.push_back({b + "attn_v.weight", s.n_embd, kv, Init::kRandom});
    if (s.qkv_bias) {
      t.push_back({b + "attn_q.bias", q, 1, Init::kZeros});
      t.push_back({b + "attn_k.bias", kv, 1, Init::kZeros});
      t.push_back({b + "attn_v.bias", kv, 1, Init::kZeros});
    }
    t.push_back({b + "attn_output.weight", q, s.n_embd, Init::kRandom});
    t.push_back({b + "ffn_norm.weight", s.n_embd, 1, Init::kOnes});
    t.push_back({b + "ffn_gate.weight", s.n_embd, s.n_ff, Init::kRandom});
    t.push_back({b + "ffn_up.weight", s.n_embd, s.n_ff, Init::kRandom});
    t.push_back({b + "ffn_down.weight", s.n_ff, s.n_embd, Init::kRandom});
  }
  t.push_back({"output_norm.weight", s.n_embd, 1, Init::kOnes});
  if (!s.tied_embeddings) t.push_back({"output.weight", s.n_embd, n_vocab, Init::kRandom});
  return t;
}

ggml_type parse_weight_type(const std::string& name, int32_t* ftype) {
  if (name == "f32") {
    *ftype = LLAMA_FTYPE_ALL_F32;
    return GGML_TYPE_F32;
  }
  if (name == "f16") {
    *ftype = LLAMA_FTYPE_MOSTLY_F16;
    return GGML_TYPE_F16;
  }
  if (name == "bf16") {
    *ftype = LLAMA_FTYPE_MOSTLY_BF16;
    return GGML_TYPE_BF16;
  }
  throw util::Error(
      fmt::format("--type {}: synth writes f32, f16 or bf16 (use `jouleval quantize` for the rest)", name),
      util::ErrorKind::kUsage);
}

// Copies every tokenizer.* key of `src` into `dst`.
void copy_tokenizer_keys(gguf_context* dst, const gguf_context* src) {
  for (int64_t id = 0; id < gguf_get_n_kv(src); ++id) {
    const char* key = gguf_get_key(src, id);
    if (std::strncmp(key, "tokenizer.", 10) != 0) continue;
    switch (gguf_get_kv_type(src, id)) {
      case GGUF_TYPE_UINT8:
        gguf_set_val_u8(dst, key, gguf_get_val_u8(src, id));
        break;
      case GGUF_TYPE_INT8:
        gguf_set_val_i8(dst, key, gguf_get_val_i8(src, id));
        break;
      case GGUF_TYPE_UINT16:
        gguf_set_val_u16(dst, key, gguf_get_val_u16(src, id));
        break;
      case GGUF_TYPE_INT16:
        gguf_set_val_i16(dst, key, gguf_get_val_i16(src, id));
        break;
      case GGUF_TYPE_UINT32:
        gguf_set_val_u32(dst, key, gguf_get_val_u32(src, id));
        break;
      case GGUF_TYPE_INT32:
        gguf_set_val_i32(dst, key, gguf_get_val_i32(src, id));
        break;
      case GGUF_TYPE_FLOAT32:
        gguf_set_val_f32(dst, key, gguf_get_val_f32(src, id));
        break;
      case GGUF_TYPE_UINT64:
        gguf_set_val_u64(dst, key, gguf_get_val_u64(src, id));
        break;
      case GGUF_TYPE_INT64:
        gguf_set_val_i64(dst, key, gguf_get_val_i64(src, id));
        break;
      case GGUF_TYPE_FLOAT64:
        gguf_set_val_f64(dst, key, gguf_get_val_f64(src, id));
        break;
      case GGUF_TYPE_BOOL:
        gguf_set_val_bool(dst, key, gguf_get_val_bool(src, id));
        break;
      case GGUF_TYPE_STRING:
        gguf_set_val_str(dst, key, gguf_get_val_str(src, id));
        break;
      case GGUF_TYPE_ARRAY: {
        const auto arr_type = gguf_get_arr_type(src, id);
        const size_t n = gguf_get_arr_n(src, id);
        if (arr_type == GGUF_TYPE_STRING) {
          std::vector<const char*> items(n);
          for (size_t i = 0; i < n; ++i) items[i] = gguf_get_arr_str(src, id, i);
          gguf_set_arr_str(dst, key, items.data(), n);
        } else {
          gguf_set_arr_data(dst, key, arr_type, gguf_get_arr_data(src, id), n);
        }
        break;
      }
      default:
        break;
    }
  }
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

constexpr int64_t kBlock = 1 << 16;  // elements per PRNG stream: output is independent of the thread count

// Fills `out` (n elements of the tensor starting at element `first`, a multiple of kBlock) with
// approximately normal values: the sum of four 16-bit uniforms (Irwin-Hall), scaled to `stddev`.
void fill_random(float* out, int64_t first, int64_t n, uint64_t seed, uint64_t tensor_id, float stddev) {
  const float k = std::sqrt(3.0f) * stddev / 65536.0f;
  for (int64_t i = 0; i < n;) {
    const auto block = static_cast<uint64_t>((first + i) / kBlock);
    uint64_t state = seed ^ (tensor_id * 0xD1B54A32D192ED03ull) ^ (block * 0x8CB92BA72F3D8DD7ull);
    splitmix64(state);
    const int64_t end = std::min(n, i + kBlock);
    for (; i < end; ++i) {
      const uint64_t r = splitmix64(state);
      const float sum = static_cast<float>(r & 0xFFFF) + static_cast<float>((r >> 16) & 0xFFFF) +
                        static_cast<float>((r >> 32) & 0xFFFF) + static_cast<float>(r >> 48);
      out[i] = (sum - 2.0f * 65535.0f) * k;
    }
  }
}

void write_all(FILE* f, const void* data, size_t n, const std::filesystem::path& path) {
  if (n > 0 && std::fwrite(data, 1, n, f) != n) {
    const int err = errno;
    throw util::Error(fmt::format("{}: write failed: {}", path.string(), std::strerror(err)),
                      util::write_error_kind(err));
  }
}

}  // namespace

SynthResult synthesize(const SynthOptions& options, const ProgressFn& progress) {
  ensure_backend();
  const auto t0 = std::chrono::steady_clock::now();
  const SynthShape& shape = find_synth_preset(options.preset);
  int32_t ftype = 0;
  const ggml_type wtype = parse_weight_type(options.weight_type, &ftype);
  if (options.output.empty()) throw util::Error("synth: an output path (-o) is required", util::ErrorKind::kUsage);
  if (options.threads < 0 || options.threads > kMaxThreads) {
    throw util::Error(
        fmt::format("--threads {}: must be 0 (all hardware threads) or 1 to {}", options.threads, kMaxThreads),
        util::ErrorKind::kUsage);
  }
  if (!(options.init_scale > 0.0f) || !std::isfinite(options.init_scale)) {
    throw util::Error(fmt::format("--init-scale {}: must be a positive number", options.init_scale),
                      util::ErrorKind::kUsage);
  }
  // Every check of the output (directory, existing file, writable) before the work starts.
  OutputFile out(options.output, options.overwrite);

  const std::filesystem::path vocab_path = util::share_dir() / "vocab" / shape.vocab_file;
  GgufPtr vocab(gguf_init_from_file(vocab_path.c_str(), gguf_init_params{true, nullptr}));
  if (!vocab) {
    throw util::Error(
        fmt::format("{}: tokenizer file missing or invalid (set JOULEVAL_SHARE_DIR)", vocab_path.string()),
        util::ErrorKind::kBadInput);
  }
  const int64_t tokens_key = gguf_find_key(vocab.get(), "tokenizer.ggml.tokens");
  if (tokens_key < 0)
    throw util::Error(fmt::format("{}: no tokenizer.ggml.tokens", vocab_path.string()), util::ErrorKind::kBadInput);
  const auto n_vocab = static_cast<int64_t>(gguf_get_arr_n(vocab.get(), tokens_key));

  // Metadata.
  GgufPtr g(gguf_init_empty());
  const std::string a = shape.architecture;
  gguf_set_val_str(g.get(), "general.architecture", a.c_str());
  gguf_set_val_str(g.get(), "general.name", fmt::format("jouleval-synth {} (random weights)", shape.preset).c_str());
  gguf_set_val_u32(g.get(), "general.file_type", static_cast<uint32_t>(ftype));
  gguf_set_val_u32(g.get(), (a + ".context_length").c_str(), static_cast<uint32_t>(shape.n_ctx_train));
  gguf_set_val_u32(g.get(), (a + ".embedding_length").c_str(), static_cast<uint32_t>(shape.n_embd));
  gguf_set_val_u32(g.get(), (a + ".block_count").c_str(), static_cast<uint32_t>(shape.n_layer));
  gguf_set_val_u32(g.get(), (a + ".feed_forward_length").c_str(), static_cast<uint32_t>(shape.n_ff));
  gguf_set_val_u32(g.get(), (a + ".attention.head_count").c_str(), static_cast<uint32_t>(shape.n_head));
  gguf_set_val_u32(g.get(), (a + ".attention.head_count_kv").c_str(), static_cast<uint32_t>(shape.n_head_kv));
  gguf_set_val_f32(g.get(), (a + ".rope.freq_base").c_str(), shape.rope_theta);
  gguf_set_val_u32(g.get(), (a + ".rope.dimension_count").c_str(), static_cast<uint32_t>(shape.n_embd / shape.n_head));
  gguf_set_val_f32(g.get(), (a + ".attention.layer_norm_rms_epsilon").c_str(), shape.norm_eps);
  gguf_set_val_u32(g.get(), (a + ".vocab_size").c_str(), static_cast<uint32_t>(n_vocab));
  gguf_set_val_bool(g.get(), "jouleval.random_weights", true);
  gguf_set_val_str(g.get(), "jouleval.synth.preset", shape.preset.c_str());
  gguf_set_val_u64(g.get(), "jouleval.synth.seed", options.seed);
  gguf_set_val_f32(g.get(), "jouleval.synth.init_scale", options.init_scale);
  gguf_set_val_str(g.get(), "jouleval.synth.source", shape.source.c_str());
  copy_tokenizer_keys(g.get(), vocab.get());

  // Tensor infos (no data: the ggml context only holds descriptors).
  const std::vector<TensorSpec> specs = tensor_specs(shape, n_vocab);
  ggml_init_params ip{ggml_tensor_overhead() * (specs.size() + 1), nullptr, /*no_alloc=*/true};
  std::unique_ptr<ggml_context, GgmlDeleter> meta(ggml_init(ip));
  std::vector<ggml_type> types;
  uint64_t n_params = 0;
  for (const auto& s : specs) {
    const ggml_type type = s.ne1 == 1 ? GGML_TYPE_F32 : wtype;  // 1-D tensors (norms, biases) stay F32
    ggml_tensor* t =
        s.ne1 == 1 ? ggml_new_tensor_1d(meta.get(), type, s.ne0) : ggml_new_tensor_2d(meta.get(), type, s.ne0, s.ne1);
    ggml_set_name(t, s.name.c_str());
    gguf_add_tensor(g.get(), t);
    types.push_back(type);
    n_params += static_cast<uint64_t>(s.ne0 * s.ne1);
  }

  const size_t meta_size = gguf_get_meta_size(g.get());
  const size_t alignment = gguf_get_alignment(g.get());
  uint64_t total_bytes = meta_size;
  {
    const int64_t last = static_cast<int64_t>(specs.size()) - 1;
    total_bytes += gguf_get_tensor_offset(g.get(), last) + GGML_PAD(gguf_get_tensor_size(g.get(), last), alignment);
  }

  out.require_space(total_bytes);
  FilePtr file(std::fopen(out.temp_path().c_str(), "wb"));
  if (!file) {
    throw util::Error(fmt::format("{}: cannot open for writing: {}", options.output.string(), std::strerror(errno)),
                      util::ErrorKind::kUsage);
  }
  const int32_t threads = options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  ThreadPool pool(threads);

  try {
    errno = 0;
    if (!gguf_write_to_file_ptr(g.get(), file.get(), /*only_meta=*/true)) {
      const int err = errno;
      throw util::Error(fmt::format("{}: write failed: {}", options.output.string(),
                                    err != 0 ? std::strerror(err) : "the GGUF header could not be written"),
                        util::write_error_kind(err));
    }
    uint64_t written = meta_size;
    const std::vector<char> zeros(alignment, 0);
    constexpr int64_t kChunk = 64 * kBlock;  // 4 M elements per write
    std::vector<float> scratch(static_cast<size_t>(kChunk));
    std::vector<char> buffers[2] = {std::vector<char>(static_cast<size_t>(kChunk) * 4),
                                    std::vector<char>(static_cast<size_t>(kChunk) * 4)};
    int cur = 0;
    std::future<void> pending;
    auto wait_pending = [&] {
      if (pending.valid()) pending.get();
    };

    for (size_t ti = 0; ti < specs.size(); ++ti) {
      const auto& s = specs[ti];
      const uint64_t offset = meta_size + gguf_get_tensor_offset(g.get(), static_cast<int64_t>(ti));
      wait_pending();
      if (written < offset) {
        write_all(file.get(), zeros.data(), offset - written, options.output);
        written = offset;
      }
      const int64_t n = s.ne0 * s.ne1;
      const ggml_type type = types[ti];
      for (int64_t first = 0; first < n; first += kChunk) {
        const int64_t count = std::min(kChunk, n - first);
        std::vector<char>& out = buffers[cur];
        const int64_t n_blocks = (count + kBlock - 1) / kBlock;
        pool.parallel_for(n_blocks, [&](int64_t b) {
          const int64_t off = b * kBlock;
          const int64_t len = std::min(kBlock, count - off);
          float* f = scratch.data() + off;
          if (s.init == Init::kRandom) {
            fill_random(f, first + off, len, options.seed, ti, options.init_scale);
          } else {
            std::fill(f, f + len, s.init == Init::kOnes ? 1.0f : 0.0f);
          }
          if (type == GGML_TYPE_F16) {
            ggml_fp32_to_fp16_row(f, reinterpret_cast<ggml_fp16_t*>(out.data()) + off, len);
          } else if (type == GGML_TYPE_BF16) {
            ggml_fp32_to_bf16_row(f, reinterpret_cast<ggml_bf16_t*>(out.data()) + off, len);
          } else {
            std::memcpy(reinterpret_cast<float*>(out.data()) + off, f, static_cast<size_t>(len) * sizeof(float));
          }
        });
        const size_t bytes = ggml_row_size(type, count);
        wait_pending();
        pending = std::async(std::launch::async,
                             [&, bytes, &buf = out] { write_all(file.get(), buf.data(), bytes, options.output); });
        written += bytes;
        cur ^= 1;
        if (progress) progress(static_cast<int64_t>(written), static_cast<int64_t>(total_bytes));
      }
    }
    wait_pending();
    if (written < total_bytes) write_all(file.get(), zeros.data(), total_bytes - written, options.output);
    if (std::fclose(file.release()) != 0) {
      const int err = errno;
      throw util::Error(fmt::format("{}: write failed: {}", options.output.string(), std::strerror(err)),
                        util::write_error_kind(err));
    }
    out.commit();
  } catch (...) {
    file.reset();  // `out` removes the temporary file
    throw;
  }

  SynthResult result;
  result.shape = shape;
  result.n_vocab = static_cast<int32_t>(n_vocab);
  result.n_params = n_params;
  result.file_bytes = total_bytes;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (progress) progress(static_cast<int64_t>(total_bytes), static_cast<int64_t>(total_bytes));
  return result;
}

}  // namespace jouleval::engine
