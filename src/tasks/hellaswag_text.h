// lm-eval's HellaSwag text preprocessing and Python's str.capitalize (ASCII case mapping).
#pragma once

#include <string>
#include <string_view>

namespace jouleval::tasks {

// strip; " [title]" -> ". "; remove every "[...]" tag (non-greedy, not across newlines); then one
// pass replacing each "  " with " ".
std::string hellaswag_preprocess(std::string_view text);

// First character upper-cased, the rest lower-cased. Only ASCII letters change case (non-ASCII
// text is kept as is; Python would also map non-ASCII letters).
std::string python_capitalize(std::string_view text);

// Python's str.strip() for ASCII whitespace (space, \t, \n, \r, \v, \f).
std::string_view strip_ascii(std::string_view text);

}  // namespace jouleval::tasks
