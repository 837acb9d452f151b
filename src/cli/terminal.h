// What the CLI prints for people goes through terminal_safe (util/terminal_text.h).
#pragma once

#include "util/terminal_text.h"

namespace jouleval::cli {
using util::terminal_safe;
}  // namespace jouleval::cli
