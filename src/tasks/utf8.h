// UTF-8 validation and code point counting (acc_norm divides by the choice length in code points).
#pragma once

#include <cstddef>
#include <string_view>

namespace jouleval::tasks {

// Offset of the first byte that is not part of a well-formed UTF-8 sequence (overlongs, surrogates
// and values above U+10FFFF are ill-formed), or std::string_view::npos if the text is valid.
size_t utf8_error_offset(std::string_view text);

// Number of Unicode code points in valid UTF-8 text.
size_t utf8_length(std::string_view text);

}  // namespace jouleval::tasks
