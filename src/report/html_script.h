// The report page's own scripts: error capture (loaded first), chart embedding with the render
// check, and table sorting. Plain JavaScript kept as C++ string constants.
#pragma once

namespace jouleval::report {

// Captures window errors, unhandled rejections and console.error into window.__jouleval_errors.
extern const char* const kErrorCaptureScript;
// Registers the page's number format (joulevalNumber, the rule of report/charts.h page_number) and
// label wrapping (joulevalWrap) as Vega expression functions, embeds every spec of
// <script id="jouleval-specs"> into its element with the page's shared config (that number format for
// axes, legends, text and tooltips), then writes into <pre id="render-check">
// {"status":"done","charts":N,"rendered":K,"sizes":[...],"errors":[...],"overflow":[...],
//  "page_width":W,"page_height":H,"format_samples":[...],"formatted":[...]}: `overflow` lists text
// outside its chart, tables wider than their box or the page, cells whose text overflows them and
// labels cut short ("…").
extern const char* const kEmbedScript;
// Click a <th> of a table.sortable to sort by that column (numbers by data-v, else text); an
// <input type="checkbox" data-show-all="ID"> shows the hidden detail columns of table ID.
extern const char* const kSortScript;

}  // namespace jouleval::report
