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
#include "report/phases.h"
#include "report/precision.h"
#include "report/served.h"
#include "report/summary.h"
#include "util/json_text.h"
#include "util/terminal_text.h"

namespace jouleval::report {
namespace {

constexpr const char* kStyle = R"CSS(
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 1320px; color: #222; padding: 0 1em; }
h1 { margin-bottom: .2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
figure { margin: 1em 0 2em; } figcaption { color: #444; font-size: 13px; max-width: 1000px; }
table { border-collapse: collapse; font-size: 12px; margin: .5em 0 1.5em; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 3px 7px; text-align: left; vertical-align: top;
         overflow-wrap: break-word; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.na { color: #a33; font-style: italic; } .est { color: #a60; }
table.sortable th { cursor: pointer; background: #f6f6f6; }
th[data-sort=asc]::after { content: " \25B2"; } th[data-sort=desc]::after { content: " \25BC"; }
table.details:not(.all) .x { display: none; }
.scroll { overflow-x: auto; } pre.fp { font-size: 11px; background: #f8f8f8; padding: .5em; max-height: 24em; overflow: auto;
          white-space: pre-wrap; overflow-wrap: anywhere; }
.note { background: #fff8e6; border-left: 3px solid #e0a800; padding: .4em .8em; overflow-wrap: anywhere; }
ul.findings { font-size: 13px; margin: .2em 0 .6em; padding-left: 1.4em; max-width: 1100px; }
dl.columns dt { font-weight: 600; } dl.columns dd { margin: 0 0 .3em 1.5em; }
)CSS";

// Escaped text where a word longer than 20 characters (a model file name, a hostname) gets a
// line-break opportunity (<wbr>) after each '_', '-', '/' and ':', so it wraps inside its table column.
std::string breakable_html(const std::string& raw) {
  std::string out;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t end = raw.find(' ', start);
    if (end == std::string::npos) end = raw.size();
    const std::string word = raw.substr(start, end - start);
    if (word.size() <= 20) {
      out += html_escape(word);
    } else {
      // The separators are ASCII: never part of an escape or of a multi-byte character.
      for (char c : html_escape(word)) {
        out += c;
        if (c == '_' || c == '-' || c == '/' || c == ':') out += "<wbr>";
      }
    }
    if (end < raw.size()) out += ' ';
    start = end + 1;
  }
  return out;
}

// One <td>; `extra` adds the class "x" (a detail column, hidden until "show all columns").
std::string cell_html(const Value& v, const Column& c, bool estimated, bool extra) {
  const std::string x = extra ? "x " : "";
  if (std::holds_alternative<std::monostate>(v))
    return "<td class=\"" + x + "na\" data-v=\"\">" + html_escape(c.absent_text) + "</td>";
  if (const double* d = std::get_if<double>(&v)) {
    std::string text = page_number(*d);
    if (c.energy && estimated) text += " <span class=\"est\">(estimated)</span>";
    return fmt::format("<td class=\"{}num\" data-v=\"{}\">{}</td>", x, *d, text);
  }
  if (const int64_t* i = std::get_if<int64_t>(&v))
    return fmt::format("<td class=\"{}num\" data-v=\"{}\">{}</td>", x, *i, *i);
  const std::string open = extra ? "<td class=\"x\">" : "<td>";
  if (const bool* b = std::get_if<bool>(&v)) return open + (*b ? "yes" : "no") + "</td>";
  const std::string& text = std::get<std::string>(v);
  // A hash shows its first 12 characters (docs/report.md "How rows are identified"), all of it on hover.
  if (is_hash_key(c.key) && text.size() > 12)
    return fmt::format("<td{} title=\"{}\">{}…</td>", extra ? " class=\"x\"" : "", html_escape(text),
                       html_escape(text.substr(0, 12)));
  return open + breakable_html(text) + "</td>";
}

// The plain-words header of a summary column in the page, and what it means (the header's tooltip
// and the list under the table); columns not listed keep their label.
struct ColumnText {
  const char* key;
  const char* label;
  const char* meaning;
};
constexpr ColumnText kColumnTexts[] = {
    {"score", "Score (0–1)", "the task's headline metric (fraction of items answered correctly for most tasks)"},
    {"eor_item", "Correct answers per Wh",
     "EOR per item: score ÷ (Wh ÷ items) = correct answers per Wh of energy; size-independent"},
    {"eor", "Score per Wh of the run (EOR)", "score ÷ the whole repetition's Wh: depends on how many items ran"},
    {"tweor_item", "Correct answers per Wh × s per question (TWEOR/item)",
     "score ÷ ((Wh ÷ items) × (s ÷ items)): rewards using less energy and less time per question"},
    {"tweor", "Score per Wh × s of the run (TWEOR)", "score ÷ (Wh × s) of the whole repetition"},
    {"j_per_question", "J per question", "energy per question (J): total J ÷ items"},
    {"energy_wh", "Energy (Wh)", "energy of one repetition of the cell (all counted meters)"},
    {"seconds", "Time (s)", "the repetition's measured window"},
    {"tokens_per_s", "Tokens/s", "(prompt + generated tokens) ÷ s"},
    {"flags", "Flags", "caveats of the cell: short window, repeated work, random weights, mixed versions, ..."},
};

const ColumnText* column_text(const std::string& key) {
  for (const auto& c : kColumnTexts)
    if (key == c.key) return &c;
  return nullptr;
}

// A sortable table. With `shown` non-empty, only those columns are visible at first; the others
// (class "x") appear with the "show all columns" checkbox above the table.
std::string table_html(const Table& t, const std::string& id, const std::vector<std::string>& shown = {}) {
  std::vector<bool> extra(t.columns.size(), false);
  if (!shown.empty())
    for (size_t i = 0; i < t.columns.size(); ++i)
      extra[i] = std::find(shown.begin(), shown.end(), t.columns[i].key) == shown.end();
  const bool any_extra = std::find(extra.begin(), extra.end(), true) != extra.end();
  std::string out;
  if (any_extra)
    out += fmt::format(
        "<p><label><input type=\"checkbox\" data-show-all=\"{0}\"> show all {1} columns</label> ({2} shown; the "
        "table then scrolls sideways)</p>\n",
        id, t.columns.size(), t.columns.size() - static_cast<size_t>(std::count(extra.begin(), extra.end(), true)));
  out += fmt::format("<div class=\"scroll\"><table class=\"sortable{}\" id=\"{}\"><thead><tr>",
                     any_extra ? " details" : "", id);
  for (size_t i = 0; i < t.columns.size(); ++i) {
    const Column& c = t.columns[i];
    const ColumnText* text = column_text(c.key);
    const std::string title = text ? c.key + ": " + text->meaning : c.key;
    out += fmt::format("<th{} title=\"{}\">{}</th>", extra[i] ? " class=\"x\"" : "", html_escape(title),
                       html_escape(text ? text->label : c.label));
  }
  out += "</tr></thead><tbody>\n";
  for (size_t r = 0; r < t.rows.size(); ++r) {
    out += "<tr>";
    const bool est = r < t.row_estimated.size() && t.row_estimated[r];
    for (size_t i = 0; i < t.columns.size(); ++i) out += cell_html(t.rows[r][i], t.columns[i], est, extra[i]);
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
        r.cell_id, breakable_html(r.machine_label), breakable_html(results::describe(r.key)),
        results::to_string(r.status), html_escape(r.reason));
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
        breakable_html(m.id), breakable_html(m.hostname), breakable_html(m.cpu_model),
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

// "Phases of generation": only when some finished cell recorded phases (docs/energy.md).
std::string phases_html(const std::vector<results::Cell>& cells, const Summary& summary) {
  const Table t = cell_phases_table(cells, summary.machine_labels);
  if (t.rows.empty()) return "";
  return "<h2 id=\"phases\">Phases of generation</h2>\n<p>Each generation cell's window split into prefill, decode, "
         "the steady state (the longest stretch with every sequence slot held and decoding: J per generated token "
         "at a full batch, as ML.ENERGY measures it) and the time outside generation steps; means over repetitions, "
         "prefill, decode and other per pass of the task. Energy is each meter's sampled power over the phase, "
         "scaled to the meter's energy counter over the whole window (counter-scaled); a phase holding too few "
         "power samples is \"too short\" and has no energy.</p>\n" +
         table_html(t, "phases");
}

// "Served deployments" (docs/report.md): only when some finished cell was measured through an
// endpoint. Per task, each endpoint cell's latency under load and energy per request and per output
// token, by concurrency level; their chart (its spec into `specs`); and the served model beside the
// same model measured in-process.
std::string served_html(const Summary& summary, const std::vector<results::Cell>& cells, nlohmann::json& specs) {
  if (std::none_of(summary.rows.begin(), summary.rows.end(),
                   [](const SummaryRow& r) { return is_endpoint_cell(r.key); }))
    return "";
  std::string out =
      "<section id=\"served\">\n<h2>Served deployments: latency under load</h2>\n<p>The cells measured through an "
      "OpenAI-compatible endpoint (docs/endpoint.md), one row per concurrency level (requests in flight); means over "
      "the repetitions that recorded latency. Latencies are the client's: TTFT (time to first token) and ITL "
      "(inter-token latency) need a streamed answer, E2E is until the whole answer was read; goodput counts the "
      "requests per second that met the objectives given. J per request and J per output token are the measured "
      "window's energy divided by its requests and by its generated tokens, idle-subtracted when an idle baseline "
      "was measured (the Energy column says which).</p>\n";
  const std::vector<ServedLoadRow> rows = served_load_rows(summary, cells);
  std::vector<std::string> tasks;
  for (const auto& r : rows)
    if (std::find(tasks.begin(), tasks.end(), r.task) == tasks.end()) tasks.push_back(r.task);
  if (tasks.empty()) out += "<p class=\"note\">No endpoint cell recorded latency (only generation tasks do).</p>\n";
  for (const auto& task : tasks)
    out += "<h3>" + html_escape(task) + "</h3>\n" + table_html(served_load_table(rows, task), "served-load-" + task);
  if (!rows.empty()) {
    const Chart chart = served_load_chart(rows);
    if (chart.unavailable.empty()) {
      out += fmt::format("<figure>\n<div class=\"chart\" id=\"{}\"></div>\n<figcaption>{}</figcaption>\n</figure>\n",
                         chart.id, html_escape(chart.caption));
      specs[chart.id] = chart.spec;
    }
  }
  const auto pairs = served_vs_in_process(summary, cells);
  if (!pairs.empty())
    out +=
        "<h3 id=\"served-vs-in-process\">Served vs in-process</h3>\n<p>Each endpoint cell beside the in-process cells "
        "of the same task and limit whose model is the served one (the served name is the in-process model's name or "
        "its file's stem): accuracy (the task's headline score), energy per question and tokens per second, means "
        "over repetitions.</p>\n" +
        table_html(served_vs_in_process_table(pairs), "served-vs-in-process");
  return out + "</section>\n";
}

// The plots: one <figure> per chart with something to draw (its spec into `specs`). When no cell has
// an energy reading, one message stands in place of the energy charts; the other charts with nothing
// to draw are listed, with the reason, in one note at the end.
std::string charts_html(const Summary& summary, const std::vector<Chart>& charts, nlohmann::json& specs) {
  const bool energy = any_energy(summary);
  std::string out;
  std::vector<std::string> energy_titles, not_drawn;
  bool energy_message = false;
  for (const auto& c : charts)
    if (c.needs_energy && !energy) energy_titles.push_back(c.title);
  for (const auto& c : charts) {
    if (c.needs_energy && !energy) {
      if (energy_message) continue;
      energy_message = true;
      std::vector<std::string> meters;
      for (const auto& r : summary.rows)
        for (const auto& u : r.metrics.unavailable_meters)
          if (std::find(meters.begin(), meters.end(), u) == meters.end()) meters.push_back(u);
      std::string list;
      for (const auto& t : energy_titles) list += (list.empty() ? "" : "; ") + t;
      out +=
          "<section id=\"no-energy\">\n<h2>Energy charts</h2>\n<p class=\"note\">No cell of this database has an "
          "energy reading";
      if (!meters.empty()) {
        std::string m;
        for (const auto& u : meters) m += (m.empty() ? "" : "; ") + u;
        out += " (meters unavailable: " + html_escape(m) + ")";
      }
      out += ", so the energy charts are not drawn (" + html_escape(list) +
             "). Accuracy and time are shown below; run on a machine with a power meter (docs/energy.md) to "
             "measure energy.</p>\n</section>\n";
      continue;
    }
    if (!c.unavailable.empty()) {
      not_drawn.push_back(c.title + ": " + c.unavailable);
      continue;
    }
    std::string findings;
    if (!c.findings.empty()) {
      findings = "<ul class=\"findings\">\n";
      for (const auto& f : c.findings) findings += "<li>" + html_escape(f) + "</li>\n";
      findings += "</ul>\n";
    }
    out += fmt::format(
        "<figure>\n<h2>{}</h2>\n<div class=\"chart\" id=\"{}\"></div>\n{}<figcaption>{}</figcaption>\n</figure>\n",
        html_escape(c.title), c.id, findings, html_escape(c.caption));
    specs[c.id] = c.spec;
  }
  if (!not_drawn.empty()) {
    out += "<p class=\"note\" id=\"not-drawn\">Not drawn, nothing to show:<br>";
    for (const auto& n : not_drawn) out += html_escape(n) + ".<br>";
    out += "</p>\n";
  }
  return out;
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
  nlohmann::json specs = nlohmann::json::object();
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

  out += charts_html(summary, charts, specs);
  const Table summary_all = without_opt_in_columns(summary_table(summary));
  std::vector<std::string> compact = {"cell_id"};
  for (const auto& k : summary_all.default_columns)
    if (k != "energy_wh" && k != "eor" && k != "tweor_item") compact.push_back(k);
  out +=
      "<h2>Summary (one row per cell; means over repetitions)</h2>\n<p>Click a column header to sort; hover over "
      "it for what the column means. The identity columns shown are the ones that differ among the cells; the "
      "other columns (every identity field, energy by meter, confidence intervals, ...) appear with \"show all "
      "columns\" (<code>jouleval export --format csv</code> writes them all).</p>\n";
  out += table_html(summary_all, "summary", compact);
  out += "<details><summary>What the columns mean</summary><dl class=\"columns\">\n";
  for (const auto& c : kColumnTexts)
    out += fmt::format("<dt>{}</dt><dd>{}</dd>\n", html_escape(c.label), html_escape(c.meaning));
  out += "</dl></details>\n";
  out += one_hz_html(summary, input.cells);
  out += phases_html(input.cells, summary);
  out += served_html(summary, input.cells, specs);
  const Table precision = precision_table(summary);
  out +=
      "<h2>Precision comparison</h2>\n<p>Each precision against the reference precision among the cells identical "
      "to it except for the precision.</p>\n" +
      table_html(precision, "precision", precision.default_columns);
  out += "<h2>Achieved vs physical limit</h2>\n" + table_html(limits_table(summary), "limits");
  out += not_done_html(summary);
  out += "</main>\n<pre id=\"render-check\" hidden>pending</pre>\n";
  out += "<script type=\"application/json\" id=\"jouleval-specs\">" + script_json(specs) + "</script>\n";
  out += "<script>" + std::string(kEmbedScript) + "</script>\n";
  out += "<script>" + std::string(kSortScript) + "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace jouleval::report
