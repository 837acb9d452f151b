// The report page's own scripts: error capture (loaded first), chart embedding with the render
// check, and table sorting. Plain JavaScript kept as C++ string constants.
#pragma once

namespace jouleval::report {

// Captures window errors, unhandled rejections and console.error into window.__jouleval_errors.
extern const char* const kErrorCaptureScript;
// Embeds every spec of <script id="jouleval-specs"> into its element and writes
// {"status":"done","charts":N,"rendered":K,"sizes":[...],"errors":[...]} into <pre id="render-check">.
extern const char* const kEmbedScript;
// Click a <th> of a table.sortable to sort by that column (numbers by data-v, else text).
extern const char* const kSortScript;

}  // namespace jouleval::report
