// The HTML report: unit checks of the page, and the page opened in a real headless browser
// (Debian's chromium): it loads offline with no console errors and every plot renders.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "report/assets.h"
#include "report/charts.h"
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

// The cells of report_input() without any energy reading (a CPU-only machine without RAPL access).
ReportInput no_energy_input() {
  ReportInput in = report_input();
  for (auto& c : in.cells)
    for (auto& r : c.repetitions) {
      r.meters = {testing::meter("rapl", "cpu", std::nullopt)};
      r.timeline.clear();
    }
  return in;
}

// Long model, host and GPU names, without spaces to wrap at.
ReportInput long_names_input() {
  ReportInput in = report_input();
  const std::string model = "Meta-Llama-3.1-70B-Instruct-abliterated-uncensored-with-a-long-suffix-imatrix-Q4_K_M";
  in.machines[0].hostname = "gpu-node-0042-with-a-very-long-hostname.cluster.datacenter.example.org";
  in.machines[0].gpu_name = "NVIDIA H100 80GB HBM3 Special Edition With A Very Long Marketing Name";
  for (auto& c : in.cells)
    if (c.key.model == "qwen2-7b") c.key.model = model;
  return in;
}

const nlohmann::json& chart_spec(const std::vector<Chart>& charts, const std::string& id) {
  for (const auto& c : charts)
    if (c.id == id) return c.spec;
  throw std::runtime_error("no chart " + id);
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
                         "chart-precision", "chart-accuracy-time", "chart-timeline", "chart-limits"})
    EXPECT_NE(html.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
  // The metrics are named in plain words.
  EXPECT_NE(html.find("Correct answers per Wh"), std::string::npos);
  EXPECT_EQ(html.find("id=\"no-energy\""), std::string::npos);
}

// One number format for the page: the C++ side (tables, heatmap text) and the page script's
// joulevalNumber (checked against this in the browser test) follow the same rule.
TEST(report_html, OneNumberFormat) {
  EXPECT_EQ(page_number(780.0), "780");
  EXPECT_EQ(page_number(728.4), "728");
  EXPECT_EQ(page_number(2322.819056), "2323");
  EXPECT_EQ(page_number(4100.0), "4100");
  EXPECT_EQ(page_number(0.25), "0.25");
  EXPECT_EQ(page_number(0.0523), "0.0523");
  EXPECT_EQ(page_number(1.5), "1.5");
  EXPECT_EQ(page_number(1000.0), "1000");
  EXPECT_EQ(page_number(-12.345), "-12.3");
  EXPECT_EQ(page_number(1234567.0), "1.23e+06");
  EXPECT_EQ(page_number(1.2e-7), "1.2e-07");
  EXPECT_EQ(page_number(0.0), "0");
  EXPECT_EQ(page_number(std::nan("")), "n/a");
  // No chart sets a number format of its own: the page's config formats every number.
  const auto charts = build_charts(build_summary(report_input().cells, report_input().machines), report_input().cells);
  for (const auto& c : charts) {
    const std::string spec = c.spec.dump();
    EXPECT_EQ(spec.find("\"format\""), std::string::npos) << c.id;
    EXPECT_EQ(spec.find("\"formatType\""), std::string::npos) << c.id;
  }
}

// A heatmap square's colour is its share of the best square of the same task, so a task with far
// more energy per question (gsm8k here, 4x) does not flatten the precision differences of another.
TEST(report_html, HeatmapColourIsTheShareOfTheTasksBest) {
  const auto in = report_input();
  const auto charts = build_charts(build_summary(in.cells, in.machines), in.cells);
  std::map<std::string, double> share;
  for (const auto& v : chart_spec(charts, "chart-eor-precision")["data"]["values"])
    if (!v["share"].is_null()) share[v["x"].get<std::string>() + "/" + v["y"].get<std::string>()] = v["share"];
  // Correct answers per Wh = score / (Wh / items): with the same items and repetition energies
  // scaled by 1, 0.75 and 0.5, the shares are score / scale relative to the best (int4).
  const double fp16 = 0.62 / 1.0, int8 = (0.62 - 0.02 * 0.25) / 0.75, int4 = (0.62 - 0.02 * 0.5) / 0.5;
  EXPECT_NEAR(share.at("mmlu/int4"), 1.0, 1e-9);
  EXPECT_NEAR(share.at("mmlu/int8"), int8 / int4, 1e-9);
  EXPECT_NEAR(share.at("mmlu/fp16"), fp16 / int4, 1e-9);
  const double g16 = 0.55 / 1.0, g4 = (0.55 - 0.05 * 0.5) / 0.5;
  EXPECT_NEAR(share.at("gsm8k/int4"), 1.0, 1e-9);
  EXPECT_NEAR(share.at("gsm8k/fp16"), g16 / g4, 1e-9);
  EXPECT_NEAR(share.at("arc_challenge/fp32"), 1.0, 1e-9);
  const auto& color = chart_spec(charts, "chart-eor-precision")["layer"][1]["encoding"]["color"];
  EXPECT_EQ(color["field"], "share");
  EXPECT_EQ(color["scale"]["domain"], nlohmann::json({0, 1}));
}

// The headline chart: one panel per task, each precision against the reference of the same
// model and machine: energy saved and accuracy change with their intervals, and the time ratio.
TEST(report_html, PrecisionTradeOffPerTask) {
  auto in = report_input();
  for (auto& c : in.cells)
    if (c.key.precision == "int4")
      for (auto& r : c.repetitions) r.seconds *= 2.0;
  const auto charts = build_charts(build_summary(in.cells, in.machines), in.cells);
  const auto& spec = chart_spec(charts, "chart-precision");
  EXPECT_EQ(spec["facet"]["field"], "workload");
  std::map<std::string, nlohmann::json> by;
  for (const auto& v : spec["data"]["values"])
    by[v["workload"].get<std::string>() + "/" + v["precision"].get<std::string>()] = v;
  ASSERT_EQ(by.size(), 4u);  // int8 and int4 against fp16, for mmlu and gsm8k
  const auto& m4 = by.at("mmlu/int4");
  EXPECT_EQ(m4["reference"], "fp16");
  EXPECT_NEAR(m4["energy_reduction"].get<double>(), 50.0, 1e-9);      // half the energy
  EXPECT_NEAR(m4["accuracy_change"].get<double>(), -1.0, 1e-9);       // 0.61 vs 0.62
  EXPECT_NEAR(m4["time_ratio"].get<double>(), 2.0, 1e-9);             // twice the time
  EXPECT_NEAR(m4["eor_ratio"].get<double>(), 0.61 / 0.62 * 2, 1e-9);  // correct answers per Wh
  for (const char* k : {"energy_lo", "energy_hi", "accuracy_lo", "accuracy_hi"}) EXPECT_TRUE(m4[k].is_number()) << k;
  EXPECT_NEAR(by.at("gsm8k/int8")["time_ratio"].get<double>(), 1.0, 1e-9);
  // In words under the chart: correct answers per Wh = score x 100 items x 3600 / J (mean of the
  // two repetitions: 1200 and 1320 J for fp16, x0.75 int8, x0.5 int4) -> 178, 235, 349.
  const Chart& chart =
      *std::find_if(charts.begin(), charts.end(), [](const Chart& c) { return c.id == "chart-precision"; });
  EXPECT_NE(std::find(chart.findings.begin(), chart.findings.end(),
                      "mmlu — qwen2-7b: fp16 (reference) 178 correct answers per Wh; int8 235 (×1.32), accuracy -0.5 "
                      "points, time ×1; int4 349 (×1.97), accuracy -1 points, time ×2. Most correct answers per Wh: "
                      "int4."),
            chart.findings.end())
      << nlohmann::json(chart.findings).dump(2);
  // Every mark says its precision (colour) and its model (shape), both with full legends.
  const std::string layers = spec["spec"]["layer"].dump();
  EXPECT_NE(layers.find(R"("shape":{"field":"config")"), std::string::npos) << layers;
  EXPECT_NE(layers.find(R"("size":{"field":"time_ratio")"), std::string::npos) << layers;
  EXPECT_NE(layers.find(R"("labelLimit":0)"), std::string::npos);
}

// Pareto points encode the precision and the rest of the configuration (model, machine); a
// precision has the same colour in every chart.
TEST(report_html, ParetoPointsSayModelMachineAndPrecision) {
  const auto in = report_input();
  const auto charts = build_charts(build_summary(in.cells, in.machines), in.cells);
  const auto& points = chart_spec(charts, "chart-pareto")["spec"]["layer"][1]["encoding"];
  EXPECT_EQ(points["color"]["field"], "precision");
  EXPECT_EQ(points["shape"]["field"], "setup");
  std::set<std::string> setups;
  for (const auto& v : chart_spec(charts, "chart-pareto")["data"]["values"]) setups.insert(v["setup"]);
  // Two machines: the machine is part of what the shape stands for.
  EXPECT_EQ(setups, (std::set<std::string>{"gpu-box / NVIDIA H100 80GB HBM3 · qwen2-7b · gpu",
                                           "laptop / Intel Core i7-1185G7 · synth-<tiny> · cpu"}));
  const nlohmann::json domain = {"fp16", "fp32", "int4", "int8"};
  EXPECT_EQ(points["color"]["scale"]["domain"], domain);
  EXPECT_EQ(chart_spec(charts, "chart-precision")["spec"]["layer"][4]["encoding"]["color"]["scale"]["domain"], domain);
}

// Without any energy reading: one message in place of the energy charts, the accuracy/time chart
// still drawn.
TEST(report_html, WithoutEnergyOneMessageInPlaceOfTheEnergyCharts) {
  const std::string html = render_html(no_energy_input(), {});
  EXPECT_NE(html.find("id=\"no-energy\""), std::string::npos);
  EXPECT_NE(html.find("No cell of this database has an energy reading"), std::string::npos);
  EXPECT_NE(html.find("rapl (cpu): permission denied"), std::string::npos);
  for (const char* id : {"chart-eor-machine", "chart-eor-precision", "chart-pareto", "chart-complexity",
                         "chart-precision", "chart-timeline"})
    EXPECT_EQ(html.find(std::string("class=\"chart\" id=\"") + id + "\""), std::string::npos) << id;
  EXPECT_NE(html.find("class=\"chart\" id=\"chart-accuracy-time\""), std::string::npos);
  EXPECT_NE(html.find("Power timeline: no timeline stored"), std::string::npos);
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

// The page's render check (report/html_script.h) and DOM, from headless chromium; a test without a
// browser is skipped, or fails under CI=true.
struct BrowserResult {
  nlohmann::json check;
  std::string dom;
};

// Where the browser tests leave their screenshots: <build>/report-screenshots/NAME.png.
fs::path screenshot_dir() {
  return fs::path(JOULEVAL_SHARE_DIR_FOR_TESTS).parent_path().parent_path() / "report-screenshots";
}

std::string chromium_command(const std::string& chromium, const fs::path& profile, const std::string& args,
                             const fs::path& page) {
  return "timeout 120 '" + chromium +
         "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
         "--disable-component-update --disable-sync --disable-dev-shm-usage --hide-scrollbars --user-data-dir='" +
         profile.string() + "' --virtual-time-budget=15000 " + args + " 'file://" + page.string() + "' 2>/dev/null";
}

// Opens `html` in headless chromium, 1400 px wide, and returns the page's render check and DOM;
// with `screenshot` set, also saves a full-page screenshot as screenshot_dir() / screenshot.
std::optional<BrowserResult> open_in_browser(const std::string& html, const std::string& screenshot = "") {
  const auto chromium = find_chromium();
  if (!chromium) return std::nullopt;
  TempDir dir;
  const fs::path page = dir.path / "report.html";
  std::ofstream(page, std::ios::binary) << html;
  BrowserResult r;
  r.dom = run_command(chromium_command(*chromium, dir.path / "profile", "--window-size=1400,1000 --dump-dom", page));
  std::smatch m;
  if (!std::regex_search(r.dom, m, std::regex(R"(<pre id="render-check"[^>]*>([^<]*)</pre>)"))) {
    r.check = nlohmann::json::object();
    return r;
  }
  r.check = nlohmann::json::parse(html_unescape(m[1].str()), nullptr, false);
  std::printf("render check: %s\n", r.check.dump().c_str());
  if (!screenshot.empty() && !r.check.is_discarded() && r.check.contains("page_height")) {
    std::error_code ec;
    fs::create_directories(screenshot_dir(), ec);
    const fs::path png = screenshot_dir() / screenshot;
    fs::remove(png, ec);
    run_command(chromium_command(
        *chromium, dir.path / "profile",
        fmt::format("--window-size=1400,{} --screenshot='{}'", r.check["page_height"].get<int>(), png.string()), page));
    EXPECT_GT(fs::exists(png) ? fs::file_size(png) : 0, 10000u) << png;
    std::printf("screenshot: %s\n", png.string().c_str());
  }
  return r;
}

#define REQUIRE_BROWSER(result)                                                                        \
  if (!(result)) {                                                                                     \
    const char* ci = std::getenv("CI");                                                                \
    if (ci && std::string(ci) == "true") FAIL() << "chromium not found (apt-get install -y chromium)"; \
    GTEST_SKIP() << "chromium not found; install it with apt-get install -y chromium";                 \
  }

// What every page must satisfy in the browser: rendered without errors, nothing overflowing its
// chart, table or the 1400-px page, the page's number format the same as page_number.
void expect_clean_page(const BrowserResult& r, int charts) {
  const auto& check = r.check;
  ASSERT_FALSE(check.is_discarded());
  ASSERT_TRUE(check.contains("status")) << "no render check in the DOM (" << r.dom.size() << " bytes)";
  EXPECT_EQ(check["status"], "done") << check.dump(2);
  EXPECT_EQ(check["errors"].size(), 0u) << check["errors"].dump(2);
  EXPECT_EQ(check["charts"], charts) << check.dump(2);
  EXPECT_EQ(check["rendered"], check["charts"]) << check.dump(2);
  EXPECT_EQ(check["page_width"], 1400) << check.dump(2);
  EXPECT_TRUE(check["overflow"].empty()) << check["overflow"].dump(2);
  for (const auto& s : check["sizes"]) {
    EXPECT_EQ(s["element"], "svg") << s.dump();
    EXPECT_GT(s["width"].get<int>(), 0) << s.dump();
    EXPECT_GT(s["height"].get<int>(), 0) << s.dump();
    EXPECT_LE(s["width"].get<int>(), 1400) << s.dump();
  }
  ASSERT_EQ(check["format_samples"].size(), check["formatted"].size());
  for (size_t i = 0; i < check["format_samples"].size(); ++i)
    EXPECT_EQ(check["formatted"][i], page_number(check["format_samples"][i].get<double>()))
        << check["format_samples"][i];
}

TEST(report_html, RendersEveryPlotInHeadlessChromiumOffline) {
  const std::string html = render_html(report_input(), real_scripts());
  // JOULEVAL_REPORT_TEST_OUT=FILE keeps a copy of the page for a look.
  if (const char* keep = std::getenv("JOULEVAL_REPORT_TEST_OUT"); keep && *keep)
    std::ofstream(keep, std::ios::binary) << html;
  const auto result = open_in_browser(html, "with-energy.png");
  REQUIRE_BROWSER(result);
  expect_clean_page(*result, 8);
  // The timeline offers a <select> of the cells with a stored timeline.
  EXPECT_NE(result->dom.find("<select"), std::string::npos);
  // The first cell has timelines in both repetitions: the 1 Hz table lists it.
  EXPECT_NE(result->dom.find("id=\"one-hz\""), std::string::npos);
}

// report_input() with a served deployment of gsm8k at concurrency 1, 4 and 16 (docs/report.md
// "Served deployments"): the section's table, its chart and the served vs in-process table render.
TEST(report_html, RendersTheServedDeploymentsSection) {
  ReportInput in = report_input();
  for (int level : {1, 4, 16}) {
    results::Cell c = testing::cell("qwen2-7b", "served", "gsm8k", 0.5, 1.0 + level / 8.0);
    c.id = 100 + level;
    c.key.model_sha256 = "";
    c.key.file_sha256 = "";
    c.key.kv_type = "server";
    c.key.placement = "endpoint:127.0.0.1:8080";
    c.key.engine.max_sequences = level;
    c.key.engine.endpoint_api = "completions";
    for (auto& rep : c.repetitions)
      rep.latency_json = fmt::format(
          R"({{"requests":100,"streamed":true,"ttft_p50_ms":{},"ttft_p99_ms":{},"itl_p50_ms":20,"itl_p99_ms":40,)"
          R"("e2e_p50_ms":{},"e2e_p99_ms":{},"requests_per_s":{},"output_tokens_per_s":{},)"
          R"("goodput_requests_per_s":null}})",
          40 * level, 90 * level, 800 + 50 * level, 1200 + 90 * level, 0.9 * level, 120 * level);
    in.cells.push_back(c);
  }
  const auto result = open_in_browser(render_html(in, real_scripts()), "served.png");
  REQUIRE_BROWSER(result);
  expect_clean_page(*result, 9);  // report_input()'s 8 and the served deployments' chart
  EXPECT_NE(result->dom.find("id=\"served-load-gsm8k\""), std::string::npos);
  EXPECT_NE(result->dom.find("id=\"served-vs-in-process\""), std::string::npos);
}

TEST(report_html, WithoutEnergyRendersTheAccuracyAndTimeCharts) {
  const auto result = open_in_browser(render_html(no_energy_input(), real_scripts()), "no-energy.png");
  REQUIRE_BROWSER(result);
  expect_clean_page(*result, 2);  // accuracy vs time, achieved vs limit (tokens/s)
  std::set<std::string> ids;
  for (const auto& s : result->check["sizes"]) ids.insert(s["id"].get<std::string>());
  EXPECT_EQ(ids, (std::set<std::string>{"chart-accuracy-time", "chart-limits"}));
  EXPECT_NE(result->dom.find("id=\"no-energy\""), std::string::npos);
}

TEST(report_html, LongNamesStayInsideTheirChartsAndTables) {
  const auto result = open_in_browser(render_html(long_names_input(), real_scripts()), "long-names.png");
  REQUIRE_BROWSER(result);
  expect_clean_page(*result, 8);
}

// The check itself must see failures: a chart wider than the page, labels cut short, a legend of
// an empty chart (what the page showed before it left such charts out).
TEST(report_html, OverflowCheckSeesWideChartsCutLabelsAndEmptyLegends) {
  std::string html = render_html(long_names_input(), real_scripts());
  {
    const std::string open = R"(<script type="application/json" id="jouleval-specs">)";
    const auto start = html.find(open) + open.size();
    const auto end = html.find("</script>", start);
    auto specs = nlohmann::json::parse(html.substr(start, end - start));
    // An empty heatmap whose colour scale has no fixed domain: its legend has nothing to show.
    specs["chart-eor-precision"]["data"]["values"] = nlohmann::json::array();
    specs["chart-eor-precision"]["layer"][1]["encoding"]["color"]["scale"].erase("domain");
    html.replace(start, end - start, specs.dump());
  }
  const auto specs = html.find("id=\"jouleval-specs\"");
  ASSERT_NE(specs, std::string::npos);
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (size_t pos = specs; (pos = html.find(from, pos)) != std::string::npos; pos += to.size())
      html.replace(pos, from.size(), to);
  };
  replace_all("\"width\":720", "\"width\":2000");                                                        // the timeline
  replace_all("\"labelExpr\":\"joulevalWrap(datum.label, 90)\",\"labelLimit\":0", "\"labelLimit\":80");  // limits axis
  const auto result = open_in_browser(html);
  REQUIRE_BROWSER(result);
  ASSERT_TRUE(result->check.contains("overflow")) << result->check.dump(2);
  const std::string overflow = result->check["overflow"].dump();
  EXPECT_NE(overflow.find("chart wider than the page"), std::string::npos) << overflow;
  EXPECT_NE(overflow.find("label cut short"), std::string::npos) << overflow;
  EXPECT_NE(overflow.find("empty value in a chart"), std::string::npos) << overflow;
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
