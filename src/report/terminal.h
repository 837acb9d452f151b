// Text from a results database (model and machine names, fingerprints, reasons) made safe for a
// terminal: a crafted name must not move the cursor, retitle the window or clear the screen.
// Everything printed for people goes through terminal_text; JSON printed to a terminal through
// terminal_json, which keeps its value exact. docs/report.md "Text from the database".
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"

namespace jouleval::report {

// `text` with its control characters escaped visibly: C0 controls other than \n and \t, and DEL,
// as \xNN; C1 controls (U+0080-U+009F) as \u00NN; bytes that are not valid UTF-8 as \xNN. Every
// other character, multi-byte UTF-8 included, is kept.
std::string terminal_text(std::string_view text);

// JSON text (as nlohmann::json dumps it: C0 controls already escaped) with DEL and C1 characters
// written as \u escapes too: the same JSON value, safe on a terminal. The input must be valid UTF-8
// (util::json_text output is).
std::string terminal_json(std::string_view json);

// Runs `f` and returns what it returns; a util::Error it throws is thrown again, same kind, with its
// message escaped by terminal_text (messages may quote database text, and the CLI prints them).
template <typename F>
auto escaping_errors(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const util::Error& e) {
    throw util::Error(terminal_text(e.what()), e.kind());
  }
}

}  // namespace jouleval::report
