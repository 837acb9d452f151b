// The self-contained HTML report: machine fingerprints, plots (Vega-Lite, scripts inlined so it
// opens offline), sortable tables, and a render check (#render-check) filled by the page's script.
#pragma once

#include <string>
#include <vector>

#include "report/assets.h"
#include "results/records.h"

namespace jouleval::report {

struct ReportInput {
  std::vector<results::Cell> cells;
  std::vector<results::Machine> machines;
  std::string title = "jouleval report";
  std::string source;        // e.g. the database path, shown in the header
  std::string generated_at;  // ISO 8601, shown in the header
};

std::string html_escape(const std::string& text);

// The whole page. `scripts` are inlined in order (load_js_assets()).
std::string render_html(const ReportInput& input, const std::vector<JsAsset>& scripts);

}  // namespace jouleval::report
