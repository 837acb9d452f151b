// The table of target precisions (engine/quantize.h).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "engine/quantize.h"
#include "llama.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

constexpr const char* kNoQuant =
    "none: matmuls in the weight's float type, activations stay F32 (F16/BF16 on GPU GEMMs)";
constexpr const char* kQ8Act =
    "dynamic: activations quantized on the fly per 32-value block (Q8_0 on CPU, Q8_1 in CUDA MMQ), integer dot "
    "products";
constexpr const char* kQ8KAct =
    "dynamic: activations quantized on the fly per 256-value block to Q8_K on CPU (Q8_1 per 32 in CUDA MMQ)";

std::vector<Precision> make_table() {
  return {
      {"fp32", "F32", LLAMA_FTYPE_ALL_F32, 32.0, true, "32-bit float", kNoQuant},
      {"fp16", "F16", LLAMA_FTYPE_MOSTLY_F16, 16.0, true, "16-bit IEEE half (norms F32)",
       "none on GPU (F16 GEMM, F32 accumulate); CPU converts activations to F16 per row"},
      {"bf16", "BF16", LLAMA_FTYPE_MOSTLY_BF16, 16.0, true, "bfloat16 (norms F32)",
       "none on GPU; CPU converts activations to BF16 per row"},
      {"int8", "Q8_0", LLAMA_FTYPE_MOSTLY_Q8_0, 8.5, false, "int8, one F16 scale per 32 weights", kQ8Act},
      {"int6", "Q6_K", LLAMA_FTYPE_MOSTLY_Q6_K, 6.56, false, "6-bit K-quant, 256-weight super-blocks", kQ8KAct},
      {"int5", "Q5_K_M", LLAMA_FTYPE_MOSTLY_Q5_K_M, 5.69, false, "5-bit K-quant mix (some tensors Q6_K)", kQ8KAct},
      {"int4", "Q4_K_M", LLAMA_FTYPE_MOSTLY_Q4_K_M, 4.89, false, "4-bit K-quant mix (some tensors Q6_K)", kQ8KAct},
      {"", "Q5_K_S", LLAMA_FTYPE_MOSTLY_Q5_K_S, 5.54, false, "5-bit K-quant", kQ8KAct},
      {"", "Q4_K_S", LLAMA_FTYPE_MOSTLY_Q4_K_S, 4.58, false, "4-bit K-quant", kQ8KAct},
      {"", "Q3_K_L", LLAMA_FTYPE_MOSTLY_Q3_K_L, 4.27, false, "3-bit K-quant mix (large)", kQ8KAct},
      {"", "Q3_K_M", LLAMA_FTYPE_MOSTLY_Q3_K_M, 3.91, false, "3-bit K-quant mix (medium)", kQ8KAct},
      {"", "Q3_K_S", LLAMA_FTYPE_MOSTLY_Q3_K_S, 3.50, false, "3-bit K-quant", kQ8KAct},
      {"", "Q2_K", LLAMA_FTYPE_MOSTLY_Q2_K, 3.0, false, "2-bit K-quant mix", kQ8KAct},
      {"", "Q5_1", LLAMA_FTYPE_MOSTLY_Q5_1, 6.0, false, "5-bit, scale and offset per 32", kQ8Act},
      {"", "Q5_0", LLAMA_FTYPE_MOSTLY_Q5_0, 5.5, false, "5-bit, scale per 32", kQ8Act},
      {"", "Q4_1", LLAMA_FTYPE_MOSTLY_Q4_1, 5.0, false, "4-bit, scale and offset per 32", kQ8Act},
      {"", "Q4_0", LLAMA_FTYPE_MOSTLY_Q4_0, 4.5, false, "4-bit, scale per 32", kQ8Act},
      {"", "IQ4_NL", LLAMA_FTYPE_MOSTLY_IQ4_NL, 4.5, false, "4-bit non-linear, scale per 32", kQ8Act},
      {"", "IQ4_XS", LLAMA_FTYPE_MOSTLY_IQ4_XS, 4.25, false, "4-bit non-linear, 256-weight super-blocks", kQ8KAct},
  };
}

}  // namespace

const std::vector<Precision>& precision_table() {
  static const std::vector<Precision> table = make_table();
  return table;
}

std::vector<Precision> precision_aliases() {
  std::vector<Precision> out;
  for (const auto& p : precision_table()) {
    if (!p.alias.empty()) out.push_back(p);
  }
  return out;
}

const Precision& resolve_precision(const std::string& alias_or_name) {
  const std::string key = upper(alias_or_name);
  for (const auto& p : precision_table()) {
    if (upper(p.alias) == key || upper(p.type_name) == key) return p;
  }
  std::string names;
  for (const auto& p : precision_table()) {
    names += names.empty() ? "" : ", ";
    names += p.alias.empty() ? p.type_name : fmt::format("{} ({})", p.alias, p.type_name);
  }
  throw util::Error(fmt::format("--type {}: unsupported precision; choose one of: {}", alias_or_name, names),
                    util::ErrorKind::kUsage);
}

std::string file_type_name(int32_t ftype) {
  for (const auto& p : precision_table()) {
    if (p.ftype == ftype) return p.type_name;
  }
  if (ftype < 0) return "unknown";
  return llama_ftype_name(static_cast<llama_ftype>(ftype));
}

}  // namespace jouleval::engine
