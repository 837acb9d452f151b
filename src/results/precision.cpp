#include "results/precision.h"

#include <cctype>

namespace jouleval::results {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int reference_rank(const std::string& precision) {
  const std::string p = lower(precision);
  if (p == "fp16" || p == "f16") return 0;
  if (p == "bf16") return 1;
  if (p == "fp32" || p == "f32") return 2;
  return 3;
}

}  // namespace

std::optional<int> precision_bits(const std::string& precision) {
  const std::string p = lower(precision);
  if (p == "fp32" || p == "f32") return 32;
  if (p == "fp16" || p == "f16" || p == "bf16") return 16;
  // intN aliases, qN_* / iqN_* GGUF types, tqN types
  for (const char* prefix : {"int", "iq", "tq", "q"}) {
    const std::string pre = prefix;
    if (p.rfind(pre, 0) == 0 && p.size() > pre.size() && std::isdigit(static_cast<unsigned char>(p[pre.size()])))
      return p[pre.size()] - '0';
  }
  return std::nullopt;
}

std::optional<std::string> reference_precision(const std::vector<std::string>& precisions) {
  std::optional<std::string> best;
  auto better = [](const std::string& a, const std::string& b) {
    const int ra = reference_rank(a), rb = reference_rank(b);
    if (ra != rb) return ra < rb;
    return precision_bits(a).value_or(0) > precision_bits(b).value_or(0);
  };
  for (const auto& p : precisions)
    if (!best || better(p, *best)) best = p;
  return best;
}

}  // namespace jouleval::results
