// GSM8K answer extraction (lm-eval's strict-match and flexible-extract filters) and the
// normalisation applied by its exact_match metric before comparing with the reference.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jouleval::tasks {

// strict-match: the group of the first match of `#### (\-?[0-9\.\,]+)`; nullopt if none.
std::optional<std::string> extract_strict(std::string_view text);

// flexible-extract: the last match of `(-?[$0-9.,]{2,})|(-?[0-9]+)`, its first non-empty group,
// stripped; nullopt if no match.
std::optional<std::string> extract_flexible(std::string_view text);

// exact_match normalisation: remove every "," and "$", remove everything up to the last "#### ",
// remove one trailing "." (re `\.$`), lower-case (ASCII).
std::string normalize_answer(std::string_view text);

// What lm-eval scores for a failed extraction.
inline constexpr std::string_view kInvalidAnswer = "[invalid]";

}  // namespace jouleval::tasks
