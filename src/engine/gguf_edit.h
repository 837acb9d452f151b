// Rewriting a GGUF file with changed metadata or tensor infos, without any external tool: for tests
// and fuzzing harnesses that need files which are parseable but wrong (docs/engine.md "GGUF
// validation"). Tensor data is copied from the input, cut or zero-filled to each tensor's new size;
// the file is written through a temporary file and renamed (engine/output_file.h).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "gguf.h"

namespace jouleval::engine {

// One metadata change: set `key` to `value` (replacing any value of any type), or remove it
// (std::monostate). Integers and floats keep the exact GGUF type of the alternative.
struct GgufKeyEdit {
  using Value =
      std::variant<std::monostate, uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, uint64_t, int64_t, float,
                   double, bool, std::string, std::vector<std::string>, std::vector<int32_t>, std::vector<float>>;
  std::string key;
  Value value;

  static GgufKeyEdit remove(std::string key) { return {std::move(key), std::monostate{}}; }
};

// A tensor info as the rewrite will write it; the tensor callback may change any field. Data is
// taken from the input tensor at `source` (its index there), cut or zero-filled to the new size.
struct GgufTensorEdit {
  std::string name;
  int32_t type = 0;             // ggml_type
  std::array<int64_t, 4> ne{};  // shape, 1 for unused dimensions
  int32_t n_dims = 1;           // dimensions written to the file (1..4)
  int64_t source = -1;          // tensor index in the input
};

struct GgufRewrite {
  std::vector<GgufKeyEdit> keys;                // applied in order
  std::function<void(gguf_context*)> metadata;  // optional: any gguf_set_*/gguf_remove_key calls
  std::function<bool(GgufTensorEdit&)> tensor;  // optional: false drops the tensor
  std::vector<GgufTensorEdit> extra_tensors;    // appended (zero data unless `source` >= 0)
};

// Writes `output` as `input` with `rewrite` applied (an existing `output` is replaced). Throws
// util::Error: kBadInput when `input` cannot be read as GGUF, kUsage for an edit the gguf API
// rejects (a duplicate tensor name, a non-u32 general.alignment), kFailure/kUnavailable when writing
// fails. Thread-safe for distinct outputs.
void rewrite_gguf(const std::filesystem::path& input, const std::filesystem::path& output, const GgufRewrite& rewrite);

// Shorthand: the metadata edits alone.
void rewrite_gguf(const std::filesystem::path& input, const std::filesystem::path& output,
                  const std::vector<GgufKeyEdit>& keys);

}  // namespace jouleval::engine
