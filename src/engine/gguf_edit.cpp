#include "engine/gguf_edit.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>

#include "engine/llama_handles.h"
#include "engine/output_file.h"
#include "ggml.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

namespace fs = std::filesystem;

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;

struct GgmlDeleter {
  void operator()(ggml_context* c) const { ggml_free(c); }
};

bool is_power_of_two(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

// gguf_set_* aborts on a general.alignment that is not a power-of-two u32: refused here instead.
void check_reserved(const GgufKeyEdit& e) {
  if (e.key != "general.alignment" || std::holds_alternative<std::monostate>(e.value)) return;
  const auto* v = std::get_if<uint32_t>(&e.value);
  if (v == nullptr || !is_power_of_two(*v)) {
    throw util::Error("GGUF key 'general.alignment': the gguf API only writes a power-of-two u32",
                      util::ErrorKind::kUsage);
  }
}

void apply(gguf_context* g, const GgufKeyEdit& e) {
  check_reserved(e);
  const char* k = e.key.c_str();
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          gguf_remove_key(g, k);
        } else if constexpr (std::is_same_v<T, uint8_t>) {
          gguf_set_val_u8(g, k, v);
        } else if constexpr (std::is_same_v<T, int8_t>) {
          gguf_set_val_i8(g, k, v);
        } else if constexpr (std::is_same_v<T, uint16_t>) {
          gguf_set_val_u16(g, k, v);
        } else if constexpr (std::is_same_v<T, int16_t>) {
          gguf_set_val_i16(g, k, v);
        } else if constexpr (std::is_same_v<T, uint32_t>) {
          gguf_set_val_u32(g, k, v);
        } else if constexpr (std::is_same_v<T, int32_t>) {
          gguf_set_val_i32(g, k, v);
        } else if constexpr (std::is_same_v<T, uint64_t>) {
          gguf_set_val_u64(g, k, v);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          gguf_set_val_i64(g, k, v);
        } else if constexpr (std::is_same_v<T, float>) {
          gguf_set_val_f32(g, k, v);
        } else if constexpr (std::is_same_v<T, double>) {
          gguf_set_val_f64(g, k, v);
        } else if constexpr (std::is_same_v<T, bool>) {
          gguf_set_val_bool(g, k, v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          gguf_set_val_str(g, k, v.c_str());
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          std::vector<const char*> items;
          items.reserve(v.size());
          for (const auto& s : v) items.push_back(s.c_str());
          gguf_set_arr_str(g, k, items.data(), items.size());
        } else if constexpr (std::is_same_v<T, std::vector<int32_t>>) {
          gguf_set_arr_data(g, k, GGUF_TYPE_INT32, v.data(), v.size());
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
          gguf_set_arr_data(g, k, GGUF_TYPE_FLOAT32, v.data(), v.size());
        }
      },
      e.value);
}

// ggml_new_tensor asserts on these: refused with the tensor's name instead.
void check_tensor(const GgufTensorEdit& t) {
  const auto fail = [&](const std::string& what) {
    throw util::Error(fmt::format("tensor '{}': {}", t.name, what), util::ErrorKind::kUsage);
  };
  if (t.name.empty() || t.name.size() >= GGML_MAX_NAME) fail(fmt::format("a name of 1 to {} bytes", GGML_MAX_NAME - 1));
  if (t.type < 0 || t.type >= GGML_TYPE_COUNT || ggml_blck_size(static_cast<ggml_type>(t.type)) == 0) {
    fail(fmt::format("unknown ggml type {}", t.type));
  }
  if (t.n_dims < 1 || t.n_dims > GGML_MAX_DIMS) fail(fmt::format("{} dimensions (1..{})", t.n_dims, GGML_MAX_DIMS));
  for (int d = 0; d < GGML_MAX_DIMS; ++d) {
    if (t.ne[static_cast<size_t>(d)] < 0 || (d >= t.n_dims && t.ne[static_cast<size_t>(d)] != 1)) {
      fail("negative extent, or an extent other than 1 beyond n_dims");
    }
  }
  if (t.ne[0] % ggml_blck_size(static_cast<ggml_type>(t.type)) != 0) {
    fail(fmt::format("rows of {} elements are not whole {} blocks", t.ne[0],
                     ggml_type_name(static_cast<ggml_type>(t.type))));
  }
}

void write_bytes(FILE* f, const void* data, size_t n, const fs::path& path) {
  if (n > 0 && std::fwrite(data, 1, n, f) != n) {
    const int err = errno;
    throw util::Error(fmt::format("{}: write failed: {}", path.string(), std::strerror(err)),
                      util::write_error_kind(err));
  }
}

}  // namespace

void rewrite_gguf(const fs::path& input, const fs::path& output, const GgufRewrite& rewrite) {
  GgufPtr src(gguf_init_from_file(input.c_str(), gguf_init_params{/*no_alloc=*/true, /*ctx=*/nullptr}));
  if (!src) throw util::Error(fmt::format("{}: not a valid GGUF file", input.string()), util::ErrorKind::kBadInput);

  GgufPtr dst(gguf_init_empty());
  gguf_set_kv(dst.get(), src.get());
  for (const auto& e : rewrite.keys) apply(dst.get(), e);
  if (rewrite.metadata) rewrite.metadata(dst.get());

  std::vector<GgufTensorEdit> tensors;
  for (int64_t i = 0; i < gguf_get_n_tensors(src.get()); ++i) {
    GgufTensorEdit t;
    t.name = gguf_get_tensor_name(src.get(), i);
    t.type = gguf_get_tensor_type(src.get(), i);
    const int64_t* ne = gguf_get_tensor_ne(src.get(), i);
    t.n_dims = 1;
    for (int d = 0; d < GGML_MAX_DIMS; ++d) {
      t.ne[static_cast<size_t>(d)] = ne[d];
      if (ne[d] != 1) t.n_dims = d + 1;
    }
    t.source = i;
    if (rewrite.tensor && !rewrite.tensor(t)) continue;
    tensors.push_back(t);
  }
  tensors.insert(tensors.end(), rewrite.extra_tensors.begin(), rewrite.extra_tensors.end());

  std::set<std::string> names;
  for (const auto& t : tensors) {
    check_tensor(t);
    if (!names.insert(t.name).second) {
      throw util::Error(fmt::format("tensor '{}': twice in the rewrite", t.name), util::ErrorKind::kUsage);
    }
  }
  ggml_init_params ip{ggml_tensor_overhead() * (tensors.size() + 1), nullptr, /*no_alloc=*/true};
  std::unique_ptr<ggml_context, GgmlDeleter> meta(ggml_init(ip));
  for (const auto& t : tensors) {
    ggml_tensor* x = ggml_new_tensor(meta.get(), static_cast<ggml_type>(t.type), t.n_dims, t.ne.data());
    ggml_set_name(x, t.name.c_str());
    gguf_add_tensor(dst.get(), x);
  }

  OutputFile out(output, /*overwrite=*/true);
  FilePtr in(std::fopen(input.c_str(), "rb"));
  if (!in)
    throw util::Error(fmt::format("{}: cannot open: {}", input.string(), std::strerror(errno)),
                      util::ErrorKind::kBadInput);
  FilePtr file(std::fopen(out.temp_path().c_str(), "wb"));
  if (!file) {
    throw util::Error(fmt::format("{}: cannot open for writing: {}", output.string(), std::strerror(errno)),
                      util::ErrorKind::kUsage);
  }
  errno = 0;
  if (!gguf_write_to_file_ptr(dst.get(), file.get(), /*only_meta=*/true)) {
    const int err = errno;
    throw util::Error(fmt::format("{}: write failed: {}", output.string(),
                                  err != 0 ? std::strerror(err) : "the GGUF header could not be written"),
                      util::write_error_kind(err));
  }
  const size_t alignment = gguf_get_alignment(dst.get());
  const size_t src_data = gguf_get_data_offset(src.get());
  uint64_t written = 0;  // bytes of the data section
  std::vector<char> buffer(1 << 20);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& t = tensors[i];
    const uint64_t offset = gguf_get_tensor_offset(dst.get(), static_cast<int64_t>(i));
    std::fill(buffer.begin(), buffer.end(), 0);
    while (written < offset) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(buffer.size(), offset - written));
      write_bytes(file.get(), buffer.data(), n, output);
      written += n;
    }
    const uint64_t size = gguf_get_tensor_size(dst.get(), static_cast<int64_t>(i));
    uint64_t copy = 0;
    if (t.source >= 0 && t.source < gguf_get_n_tensors(src.get())) {
      copy = std::min<uint64_t>(size, gguf_get_tensor_size(src.get(), t.source));
      if (std::fseek(in.get(), static_cast<long>(src_data + gguf_get_tensor_offset(src.get(), t.source)), SEEK_SET) !=
          0) {
        throw util::Error(fmt::format("{}: cannot seek to tensor '{}'", input.string(), t.name),
                          util::ErrorKind::kBadInput);
      }
    }
    for (uint64_t done = 0; done < size;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(buffer.size(), size - done));
      std::fill(buffer.begin(), buffer.end(), 0);
      if (done < copy) {
        const size_t want = static_cast<size_t>(std::min<uint64_t>(n, copy - done));
        if (std::fread(buffer.data(), 1, want, in.get()) != want) {
          throw util::Error(fmt::format("{}: tensor '{}' is cut short", input.string(), t.name),
                            util::ErrorKind::kBadInput);
        }
      }
      write_bytes(file.get(), buffer.data(), n, output);
      done += n;
      written += n;
    }
  }
  std::fill(buffer.begin(), buffer.end(), 0);
  const uint64_t end = GGML_PAD(written, alignment);
  write_bytes(file.get(), buffer.data(), static_cast<size_t>(end - written), output);
  if (std::fclose(file.release()) != 0) {
    const int err = errno;
    throw util::Error(fmt::format("{}: write failed: {}", output.string(), std::strerror(err)),
                      util::write_error_kind(err));
  }
  out.commit();
}

void rewrite_gguf(const fs::path& input, const fs::path& output, const std::vector<GgufKeyEdit>& keys) {
  GgufRewrite r;
  r.keys = keys;
  rewrite_gguf(input, output, r);
}

}  // namespace jouleval::engine
