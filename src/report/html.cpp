#include "report/html.h"

#include <algorithm>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "report/charts.h"
#include "report/html_script.h"
#include "report/identify.h"
#include "report/limits.h"
#include "report/model_compare.h"
#include "report/one_hz_table.h"
#include "report/precision.h"
#include "report/summary.h"
#include "util/json_text.h"
#include "util/terminal_text.h"

namespace jouleval::report {
namespace {

constexpr const char* kStyle = R"CSS(
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; color: #222; padding: 0 1em; }
h1 { margin-bottom: .2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
figure { margin: 1em 0 2em; } figcaption { color: #444; font-size: 13px; max-width: 900px; }
table { border-collapse: collapse; font-size: 12px; margin: .5em 0 1.5em; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 3px 7px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.na { color: #a33; font-style: italic; } .est { color: #a60; }
table.sortable th { cursor: pointer; background: #f6f6f6; }
th[data-sort=asc]::after { content: " \25B2"; } th[data-sort=desc]::after { content: " \25BC"; }
.scroll { overflow-x: auto; } pre.fp { font-size: 11px; background: #f8f8f8; padding: .5em; max-height: 24em; overflow: auto; }
.note { background: #fff8e6; border-left: 3px solid #e0a800; padding: .4em .8em; }
)CSS";

std::string cell_html(const Value& v, const Column& c, bool estimated) {
  if (std::holds_alternative<std::monostate>(v))
    return "<td class=\"na\" data-v=\"\">" + html_escape(c.absent_text) + "</td>";
  if (const double* d = std::get_if<double>(&v)) {
    std::string text = format_number(*d);
    if (c.energy && estimated) text += " <span class=\"est\">(estimated)</span>";
    return fmt::format("<td class=\"num\" data-v=\"{}\">{}</td>", *d, text);
  }
  if (const int64_t* i = std::get_if<int64_t>(&v))
    return fmt::format("<td class=\"num\" data-v=\"{}\">{}</td>", *i, *i);
  if (const bool* b = std::get_if<bool>(&v)) return fmt::format("<td>{}</td>", *b ? "yes" : "no");
  return "<td>" + html_escape(std::get<std::string>(v)) + "</td>";
}

std::string table_html(const Table& t, const std::string& id) {
  std::string out = fmt::format("<div class=\"scroll\"><table class=\"sortable\" id=\"{}\"><thead><tr>", id);
  for (const auto& c : t.columns) out += "<th title=\"" + html_escape(c.key) + "\">" + html_escape(c.label) + "</th>";
  out += "</tr></thead><tbody>\n";
  for (size_t r = 0; r < t.rows.size(); ++r) {
    out += "<tr>";
    const bool est = r < t.row_estimated.size() && t.row_estimated[r];
    for (size_t i = 0; i < t.columns.size(); ++i) out += cell_html(t.rows[r][i], t.columns[i], est);
    out += "</tr>\n";
  }
  return out + "</tbody></table></div>\n";
}

Table limits_table(const Summary& s) {
  Table t;
  t.columns = {{"cell_id", "Cell"},
               {"config", "Cell identity"},
               {"gpu", "GPU spec"},
               {"phase", "Phase"},
               {"batch", "B (tokens per weight read)"},
               {"tps", "Tokens/s"},
               {"tps_bound", "Bound tokens/s"},
               {"tps_frac", "Achieved ÷ bound"},
               {"jpt", "GPU J/token", true},
               {"jpt_bound", "Bound J/token"},
               {"jpt_frac", "Bound ÷ achieved", true},
               {"note", "Note"}};
  const auto comps = compare_limits(s);
  std::vector<std::vector<results::IdentityField>> ids;
  for (const auto& c : comps) ids.push_back(s.rows[c.row].identity);
  const auto keys = distinguishing_fields(ids, {"machine", "model", "precision", "task"});
  for (const auto& c : comps) {
    const auto& r = s.rows[c.row];
    std::string note;
    if (c.phase == "decode") {
      note = "B from " + c.batch_basis;
      if (!c.kv_bytes_per_token) note += "; KV reads not counted (KV size per token not recorded)";
    }
    if (c.throughput_fraction.value_or(0.0) > 1.0 || c.energy_fraction.value_or(0.0) > 1.0)
      note += std::string(note.empty() ? "" : "; ") + "above the bound: an assumption of the bound does not hold";
    t.rows.push_back({Value{r.cell_id}, Value{row_label(r.identity, keys)}, Value{c.gpu.name}, Value{c.phase},
                      c.phase == "decode" ? Value{c.batch} : Value{}, opt_value(c.tokens_per_s),
                      Value{c.bound_tokens_per_s}, opt_value(c.throughput_fraction), opt_value(c.j_per_token),
                      Value{c.bound_j_per_token}, opt_value(c.energy_fraction), Value{note}});
    t.row_estimated.push_back(r.metrics.estimated);
  }
  return t;
}

// The cells not summarised (pending, skipped, failed), with the reason stored for them.
std::string not_done_html(const Summary& s) {
  if (s.not_done_rows.empty()) return "";
  std::string out =
      "<h2>Cells not shown</h2>\n<p>Pending, skipped or failed cells, with the reason stored for them.</p>\n"
      "<div class=\"scroll\"><table class=\"sortable\" id=\"not-done\"><thead><tr><th>Cell</th><th>Machine</th>"
      "<th>Cell key</th><th>Status</th><th>Reason</th></tr></thead><tbody>\n";
  for (const auto& r : s.not_done_rows)
    out += fmt::format(
        "<tr><td class=\"num\" data-v=\"{0}\">{0}</td><td>{1}</td><td>{2}</td><td>{3}</td><td>{4}</td></tr>\n",
        r.cell_id, html_escape(r.machine_label), html_escape(results::describe(r.key)), results::to_string(r.status),
        html_escape(r.reason));
  return out + "</tbody></table></div>\n";
}

std::string machines_html(const std::vector<results::Machine>& machines) {
  if (machines.empty()) return "<p>No machine fingerprints recorded.</p>\n";
  std::string out =
      "<table class=\"sortable\" id=\"machines\"><thead><tr><th>Machine id</th><th>Host</th><th>CPU</th>"
      "<th>GPU</th><th>Fingerprint</th></tr></thead><tbody>\n";
  for (const auto& m : machines) {
    std::string fp = m.fingerprint_json;
    const auto parsed = nlohmann::json::parse(fp, nullptr, false);
    if (!parsed.is_discarded()) fp = util::json_text(parsed, 2);
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><details><summary>show</summary>"
        "<pre class=\"fp\">{}</pre></details></td></tr>\n",
        html_escape(m.id), html_escape(m.hostname), html_escape(m.cpu_model),
        m.gpu_name.empty() ? "none" : html_escape(m.gpu_name), html_escape(fp));
  }
  return out + "</tbody></table>\n";
}

std::string energy_notes(const Summary& s) {
  std::vector<std::string> unavailable;
  int estimated = 0, missing = 0, random = 0, mixed = 0;
  for (const auto& r : s.rows) {
    mixed += !r.mixed_versions.empty();
    for (const auto& u : r.metrics.unavailable_meters)
      if (std::find(unavailable.begin(), unavailable.end(), u) == unavailable.end()) unavailable.push_back(u);
    estimated += r.metrics.estimated;
    missing += !r.metrics.stats.total_j;
    random += r.metrics.random_weights;
  }
  std::string out;
  if (!unavailable.empty()) {
    out += "<p class=\"note\">Meters unavailable in some cells (their energy is not counted, never zero):<br>";
    for (const auto& u : unavailable) out += html_escape(u) + "<br>";
    out += "</p>\n";
  }
  if (missing)
    out += fmt::format("<p class=\"note\">{} cells have no energy reading: their energy metrics are unavailable.</p>\n",
                       missing);
  if (estimated)
    out += fmt::format(
        "<p class=\"note\">{} cells include estimated energy (opt-in estimate), marked \"estimated\".</p>\n",
        estimated);
  if (random)
    out += fmt::format("<p class=\"note\">{} cells use random-weight models: their accuracy is chance level.</p>\n",
                       random);
  if (mixed)
    out += fmt::format(
        "<p class=\"note\">{} cells mix jouleval or llama.cpp versions across their repetitions (\"mixed versions\" "
        "in the Flags column names them).</p>\n",
        mixed);
  return out;
}

// JSON text safe inside <script type="application/json">.
std::string script_json(const nlohmann::json& j) {
  std::string s = util::terminal_json(util::json_text(j));
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '<')
      out += "\\u003c";
    else
      out += c;
  }
  return out;
}

bool any_timeline(const std::vector<results::Cell>& cells) {
  return std::any_of(cells.begin(), cells.end(), [](const results::Cell& c) {
    return c.status == results::CellStatus::kDone &&
           std::any_of(c.repetitions.begin(), c.repetitions.end(), [](const auto& r) { return !r.timeline.empty(); });
  });
}

// "1 Hz sampling vs energy counter": only when some finished cell has a stored timeline; the same
// numbers as JSON in <script id="jouleval-one-hz">.
std::string one_hz_html(const Summary& s, const std::vector<results::Cell>& cells) {
  if (!any_timeline(cells)) return "";
  const Table t = one_hz_table(s);
  std::string out = "<h2 id=\"one-hz-sampling\">1 Hz sampling vs energy counter</h2>\n<p>" +
                    html_escape(one_hz_caption(s)) + "</p>\n";
  if (t.rows.empty())
    out +=
        "<p class=\"note\">1 Hz estimate unavailable: no cell has a GPU power timeline with a GPU energy reading in "
        "every repetition.</p>\n";
  else
    out += table_html(t, "one-hz");
  return out + "<script type=\"application/json\" id=\"jouleval-one-hz\">" + script_json(one_hz_json(s)) +
         "</script>\n";
}

}  // namespace

std::string html_escape(const std::string& raw) {
  const std::string text = util::terminal_safe(raw);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_html(const ReportInput& input, const std::vector<JsAsset>& scripts) {
  const Summary summary = build_summary(input.cells, input.machines);
  auto charts = build_charts(summary, input.cells);
  if (auto models = model_chart(summary)) charts.push_back(std::move(*models));
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<title>" + html_escape(input.title) + "</title>\n<style>" + std::string(kStyle) + "</style>\n";
  out += "<script>" + std::string(kErrorCaptureScript) + "</script>\n";
  for (const auto& s : scripts)
    out += "<script>/* " + s.name + " */\n" + escape_inline_script(s.source) + "\n</script>\n";
  out += "</head>\n<body>\n<header>\n<h1>" + html_escape(input.title) + "</h1>\n";
  out += fmt::format("<p>{} finished cells{}{}{}.</p>\n", summary.rows.size(),
                     summary.not_done
                         ? fmt::format(" ({} pending, skipped or failed cells, listed at the end)", summary.not_done)
                         : "",
                     input.source.empty() ? "" : " from " + html_escape(input.source),
                     input.generated_at.empty() ? "" : ", generated " + html_escape(input.generated_at));
  out += "<h2>Machines</h2>\n" + machines_html(input.machines) + energy_notes(summary) + "</header>\n<main>\n";

  nlohmann::json specs = nlohmann::json::object();
  for (const auto& c : charts) {
    out += fmt::format(
        "<figure>\n<h2>{}</h2>\n<div class=\"chart\" id=\"{}\"></div>\n<figcaption>{}</figcaption>\n</figure>\n",
        html_escape(c.title), c.id, html_escape(c.caption));
    specs[c.id] = c.spec;
  }
  Table summary_all = summary_table(summary);
  std::vector<std::string> cols = {"cell_id"};
  for (const auto& k : summary_all.default_columns)
    if (k != "flags") cols.push_back(k);
  for (const char* extra :
       {"reps", "energy_j", "energy_j_ci_low", "energy_j_ci_high", "gpu_j", "cpu_j", "dram_j", "active_j",
        "avg_power_w", "peak_power_w", "j_per_prompt_token", "j_per_gen_token", "tweor", "unavailable_meters", "flags"})
    cols.push_back(extra);
  out +=
      "<h2>Summary (one row per cell; means over repetitions)</h2>\n<p>Click a column header to sort. "
      "Scores are each task's headline metric (0–1); EOR = score / Wh, TWEOR = score / (Wh × s); "
      "the per-item forms divide energy and time by the item count. The identity columns shown are the ones that "
      "differ among the cells (<code>jouleval export --format csv</code> has them all).</p>\n";
  out += table_html(select_columns(summary_all, cols), "summary");
  out += one_hz_html(summary, input.cells);
  const Table precision = precision_table(summary);
  out +=
      "<h2>Precision comparison</h2>\n<p>Each precision against the reference precision among the cells identical "
      "to it except for the precision.</p>\n" +
      table_html(select_columns(precision, precision.default_columns), "precision");
  out += "<h2>Achieved vs physical limit</h2>\n" + table_html(limits_table(summary), "limits");
  out += not_done_html(summary);
  out += "</main>\n<pre id=\"render-check\" hidden>pending</pre>\n";
  out += "<script type=\"application/json\" id=\"jouleval-specs\">" + script_json(specs) + "</script>\n";
  out += "<script>" + std::string(kEmbedScript) + "</script>\n";
  out += "<script>" + std::string(kSortScript) + "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace jouleval::report
