// The HTML report: unit checks of the page, and the page opened in a real headless browser
// (Debian's chromium): it loads offline with no console errors and every plot renders.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <tuple>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "report/assets.h"
#include "report/html.h"
#include "util/error.h"

namespace jouleval::report {
namespace {

namespace fs = std::filesystem;

ReportInput report_input() {
  ReportInput in;
  in.machines = {testing::h100_machine(), testing::cpu_machine()};
  for (const char* p : {"fp16", "int8", "int4"}) {
    const double scale = std::string(p) == "fp16" ? 1.0 : std::string(p) == "int8" ? 0.75 : 0.5;
    in.cells.push_back(testing::cell("qwen2-7b", p, "mmlu", 0.62 - 0.02 * (1.0 - scale), scale));
    in.cells.push_back(testing::cell("qwen2-7b", p, "gsm8k", 0.55 - 0.05 * (1.0 - scale), 4.0 * scale));
  }
  auto synth = testing::cell("synth-<tiny>", "fp32", "arc_challenge", 0.25, 0.1, "m-cpu");
  synth.key.placement = "cpu";
  synth.random_weights = true;
  synth.repetitions[0].meters.push_back(testing::meter("rapl-dram", "dram", std::nullopt));
  synth.repetitions[0].meters[1].estimated = true;
  in.cells.push_back(synth);
  for (auto& rep : in.cells[0].repetitions)
    for (int i = 0; i <= 40; ++i) rep.timeline.push_back({i * 0.25, "nvml:0", 250.0 + (i % 7) * 10.0});
  for (int i = 0; i <= 20; ++i) in.cells[3].repetitions[1].timeline.push_back({i * 0.5, "nvml:0", 300.0 + i});
  in.source = "results.db";
  in.generated_at = "2026-01-01T00:00:00Z";
  return in;
}

std::vector<JsAsset> real_scripts() { return load_js_assets(fs::path(JOULEVAL_SHARE_DIR_FOR_TESTS) / "js"); }

TEST(report_html, EscapesInlineScripts) {
  EXPECT_EQ(escape_inline_script("a='</script>';b='</SCRIPT'"), "a='<\\/script>';b='<\\/SCRIPT'");
  EXPECT_EQ(escape_inline_script("x<!--y"), "x<\\!--y");
  EXPECT_EQ(escape_inline_script("a</b>"), "a</b>");
  EXPECT_EQ(html_escape("<a href=\"x\">&</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
}

TEST(report_html, MissingScriptIsNamed) {
  try {
    load_js_assets(fs::temp_directory_path() / "jouleval-no-such-dir");
    FAIL() << "expected an error";
  } catch (const util::Error& e) {
    EXPECT_NE(std::string(e.what()).find("vega.min.js"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("fetch-deps.sh"), std::string::npos) << e.what();
  }
}

TEST(report_html, PageIsSelfContainedAndLabelled) {
  const std::string html = render_html(report_input(), {{"fake.js", "var s = '</script>';"}});
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_NE(html.find("var s = '<\\/script>';"), std::string::npos);
  EXPECT_NE(html.find("unavailable"), std::string::npos);
  EXPECT_NE(html.find("(estimated)"), std::string::npos);
  EXPECT_NE(html.find("chance level"), std::string::npos);
  EXPECT_NE(html.find("NVIDIA H100 80GB HBM3"), std::string::npos);  // machine fingerprint header
  EXPECT_NE(html.find("synth-&lt;tiny&gt;"), std::string::npos);
  EXPECT_EQ(html.find("synth-<tiny>"), std::string::npos);  // also inside the JSON specs (\u003c)
  EXPECT_NE(html.find("1 Hz sampling vs energy counter"), std::string::npos);
  for (const char* id : {"chart-eor-machine", "chart-eor-precision", "chart-pareto", "chart-complexity",
                         "chart-precision", "chart-timeline", "chart-limits"})
    EXPECT_NE(html.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
}

// ---- the page in a real browser ----------------------------------------------------------------

std::optional<std::string> find_chromium() {
  if (const char* env = std::getenv("JOULEVAL_CHROMIUM"); env && *env) return std::string(env);
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    for (const char* name : {"chromium", "chromium-browser"}) {
      const fs::path candidate = fs::path(dirs.substr(start, end - start)) / name;
      std::error_code ec;
      if (fs::is_regular_file(candidate, ec)) return candidate.string();
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::string run_command(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return {};
  std::string out;
  std::array<char, 65536> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe.get())) > 0) out.append(buf.data(), n);
  return out;
}

std::string html_unescape(std::string s) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"&quot;", "\""}, {"&lt;", "<"}, {"&gt;", ">"}, {"&#39;", "'"}, {"&amp;", "&"}}) {
    for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
      s.replace(pos, from.size(), to);
  }
  return s;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "jouleval-report-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Opens `html` in headless chromium and returns the page's render check (and the DOM), or skips /
// fails (CI=true) the test without a browser.
struct BrowserResult {
  nlohmann::json check;
  std::string dom;
};

std::optional<BrowserResult> open_in_browser(const std::string& html) {
  const auto chromium = find_chromium();
  if (!chromium) return std::nullopt;
  TempDir dir;
  const fs::path page = dir.path / "report.html";
  std::ofstream(page, std::ios::binary) << html;
  const std::string command =
      "timeout 120 '" + *chromium +
      "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
      "--disable-component-update --disable-sync --disable-dev-shm-usage --user-data-dir='" +
      (dir.path / "profile").string() + "' --virtual-time-budget=10000 --dump-dom 'file://" + page.string() +
      "' 2>/dev/null";
  BrowserResult r;
  r.dom = run_command(command);
  std::smatch m;
  if (!std::regex_search(r.dom, m, std::regex(R"(<pre id="render-check"[^>]*>([^<]*)</pre>)"))) {
    r.check = nlohmann::json::object();
    return r;
  }
  r.check = nlohmann::json::parse(html_unescape(m[1].str()), nullptr, false);
  std::printf("render check: %s\n", r.check.dump().c_str());
  return r;
}

#define REQUIRE_BROWSER(result)                                                                        \
  if (!(result)) {                                                                                     \
    const char* ci = std::getenv("CI");                                                                \
    if (ci && std::string(ci) == "true") FAIL() << "chromium not found (apt-get install -y chromium)"; \
    GTEST_SKIP() << "chromium not found; install it with apt-get install -y chromium";                 \
  }

TEST(report_html, RendersEveryPlotInHeadlessChromiumOffline) {
  const std::string html = render_html(report_input(), real_scripts());
  // JOULEVAL_REPORT_TEST_OUT=FILE keeps a copy of the page for a look.
  if (const char* keep = std::getenv("JOULEVAL_REPORT_TEST_OUT"); keep && *keep)
    std::ofstream(keep, std::ios::binary) << html;
  const auto result = open_in_browser(html);
  REQUIRE_BROWSER(result);
  const auto& check = result->check;
  ASSERT_FALSE(check.is_discarded());
  ASSERT_TRUE(check.contains("status")) << "no render check in the DOM (" << result->dom.size() << " bytes)";
  EXPECT_EQ(check["status"], "done") << check.dump(2);
  EXPECT_EQ(check["errors"].size(), 0u) << check["errors"].dump(2);
  EXPECT_EQ(check["charts"], 7) << check.dump(2);
  EXPECT_EQ(check["rendered"], check["charts"]) << check.dump(2);
  for (const auto& s : check["sizes"]) {
    EXPECT_EQ(s["element"], "svg") << s.dump();
    EXPECT_GT(s["width"].get<int>(), 0) << s.dump();
    EXPECT_GT(s["height"].get<int>(), 0) << s.dump();
  }
  // The timeline offers a <select> of the cells with a stored timeline.
  EXPECT_NE(result->dom.find("<select"), std::string::npos);
  // The first cell has timelines in both repetitions: the 1 Hz table lists it.
  EXPECT_NE(result->dom.find("<table class=\"sortable\" id=\"one-hz\">"), std::string::npos);
}

// The check itself must see failures: without vega-embed no chart renders and the error is captured.
TEST(report_html, RenderCheckReportsAMissingLibrary) {
  auto scripts = real_scripts();
  scripts.pop_back();  // vega-embed
  const auto result = open_in_browser(render_html(report_input(), scripts));
  REQUIRE_BROWSER(result);
  ASSERT_TRUE(result->check.contains("status"));
  EXPECT_EQ(result->check["rendered"], 0);
  ASSERT_FALSE(result->check["errors"].empty());
  EXPECT_NE(result->check["errors"][0].get<std::string>().find("vega-embed did not load"), std::string::npos);
}

// Two models sharing cells add the model-against-model chart, which renders like the others.
TEST(report_html, ModelChartRendersWhenTwoModelsShareCells) {
  ReportInput in;
  in.machines = {testing::h100_machine()};
  for (const auto& [model, params, scale] :
       {std::tuple{"base-7b", 7'600'000'000ULL, 1.0}, std::tuple{"distill-1.5b", 1'500'000'000ULL, 0.8}})
    for (const char* task : {"mmlu", "gsm8k"}) {
      auto c = testing::cell(model, "fp16", task, 0.6 - (scale < 1.0 ? 0.01 : 0.0), scale);
      c.key.model_sha256 = std::string("sha-") + model;
      c.model_params = params;
      in.cells.push_back(c);
    }
  const std::string html = render_html(in, real_scripts());
  EXPECT_NE(html.find("id=\"chart-models\""), std::string::npos);
  EXPECT_NE(html.find("Model against model on the cells they share"), std::string::npos);
  const auto result = open_in_browser(html);
  REQUIRE_BROWSER(result);
  ASSERT_TRUE(result->check.contains("status")) << result->dom.size();
  EXPECT_EQ(result->check["errors"].size(), 0u) << result->check["errors"].dump(2);
  EXPECT_EQ(result->check["rendered"], result->check["charts"]) << result->check.dump(2);
}

}  // namespace
}  // namespace jouleval::report
