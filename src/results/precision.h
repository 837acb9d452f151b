// The reference precision rule (docs/report.md "Reference precision"): the precision every other
// precision of the same cell is compared against, for fidelity (answer flips, KL) and for the
// precision comparison of reports and recommendations. One definition for every layer.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace jouleval::results {

// Bits per weight of a precision alias or GGUF type name (fp32 32; fp16, bf16 16; int8 / Q8_0 8;
// Q4_K_M 4, ...), case-insensitive; absent when unknown.
std::optional<int> precision_bits(const std::string& precision);

// The reference among `precisions`: fp16 (or F16), else bf16, else fp32 (or F32), else the one with
// the most bits per weight (the first of equals); absent when `precisions` is empty.
std::optional<std::string> reference_precision(const std::vector<std::string>& precisions);

}  // namespace jouleval::results
