#include "report/assets.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "util/error.h"

namespace jouleval::report {

const std::vector<std::string>& required_js_files() {
  static const std::vector<std::string> kFiles = {"vega.min.js", "vega-lite.min.js", "vega-embed.min.js"};
  return kFiles;
}

std::vector<JsAsset> load_js_assets(const std::filesystem::path& dir) {
  std::vector<JsAsset> out;
  for (const auto& name : required_js_files()) {
    const auto path = dir / name;
    std::ifstream in(path, std::ios::binary);
    if (!in)
      throw util::Error(
          fmt::format("charting script {} not found: run scripts/fetch-deps.sh, then re-run cmake (or set "
                      "JOULEVAL_SHARE_DIR to a directory whose js/ holds {})",
                      path.string(), name),
          util::ErrorKind::kUnavailable);
    std::ostringstream ss;
    ss << in.rdbuf();
    out.push_back({name, ss.str()});
  }
  return out;
}

std::string escape_inline_script(const std::string& source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    const char c = source[i];
    if (c == '<' && i + 1 < source.size()) {
      if (source[i + 1] == '/' && source.size() - i >= 8) {
        std::string tag = source.substr(i + 2, 6);
        for (char& t : tag) t = static_cast<char>(std::tolower(static_cast<unsigned char>(t)));
        if (tag == "script") {
          out += "<\\/";
          ++i;
          continue;
        }
      }
      if (source.compare(i, 4, "<!--") == 0) {
        out += "<\\!--";
        i += 3;
        continue;
      }
    }
    out += c;
  }
  return out;
}

}  // namespace jouleval::report
