// Text from files and databases (model names, skip reasons, excerpts of data) made safe to print
// for people: a crafted name must not move the cursor, clear the screen or retitle the terminal.
#pragma once

#include <string>
#include <string_view>

namespace jouleval::util {

// `text` with every control character except newline and tab (C0, DEL, and C1 when UTF-8 encoded)
// and every byte that is not valid UTF-8 written as a visible escape ("\x1b", "\u009b", "\xff").
std::string terminal_safe(std::string_view text);

}  // namespace jouleval::util
