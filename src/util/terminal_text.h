// Text from files and databases (model names, skip reasons, excerpts of data) made safe to print
// for people: a crafted name must not move the cursor, clear the screen or retitle the terminal.
#pragma once

#include <string>
#include <string_view>

namespace jouleval::util {

// `text` with every control character except newline and tab (C0, DEL, and C1 when UTF-8 encoded)
// and every byte that is not valid UTF-8 written as a visible escape ("\x1b", "\u009b", "\xff").
std::string terminal_safe(std::string_view text);

// JSON text (as nlohmann::json dumps it: C0 controls already escaped) with DEL and C1 characters
// written as \u escapes too: the same JSON value, safe on a terminal. The input must be valid UTF-8
// (util::json_text output is).
std::string terminal_json(std::string_view json);

}  // namespace jouleval::util
