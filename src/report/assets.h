// The charting scripts (vega, vega-lite, vega-embed) inlined into the HTML report, read from
// util::share_dir() / "js" (copied there by the build from .deps/js, see scripts/fetch-deps.sh).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace jouleval::report {

struct JsAsset {
  std::string name;    // file name, e.g. "vega.min.js"
  std::string source;  // the script
};

// The script files the report needs, in load order.
const std::vector<std::string>& required_js_files();

// Reads the required scripts from `dir`; throws util::Error naming a missing file and how to get it.
std::vector<JsAsset> load_js_assets(const std::filesystem::path& dir);

// Makes a script safe inside <script>...</script>: "</script" -> "<\/script", "<!--" -> "<\!--".
std::string escape_inline_script(const std::string& source);

}  // namespace jouleval::report
