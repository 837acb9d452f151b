#include "report/charts.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "report/identify.h"
#include "report/limits.h"
#include "report/precision.h"
#include "results/stats.h"

namespace jouleval::report {
namespace {

using json = nlohmann::json;
constexpr size_t kMaxTimelinePoints = 1500;  // per cell and meter
// Characters per line of wrapped legend, axis and header labels (joulevalWrap in the page script).
constexpr int kLegendWrap = 34;
constexpr int kAxisWrap = 40;
constexpr int kHeaderWrap = 44;

// The plain-words names of the metrics (docs/report.md "HTML report").
constexpr const char* kEorItemName = "correct answers per Wh";

std::string chance_note(int random, int total) {
  if (total == 0) return "No cells.";
  if (random == 0) return "Accuracy from trained models.";
  if (random == total) return "Accuracy comes from random-weight models: chance level, not a model's skill.";
  return fmt::format("{} of {} cells use random-weight models (chance-level accuracy).", random, total);
}

std::string estimated_note(const Summary& s) {
  const bool any = std::any_of(s.rows.begin(), s.rows.end(), [](const auto& r) { return r.metrics.estimated; });
  return any ? " Some energy values are estimated (opt-in estimate), marked in the tables." : "";
}

std::vector<std::vector<results::IdentityField>> identities(const Summary& s, const std::vector<size_t>& rows) {
  std::vector<std::vector<results::IdentityField>> out;
  for (size_t i : rows) out.push_back(s.rows[i].identity);
  return out;
}

std::string join(const std::vector<std::string>& parts, const char* sep = ", ") {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

json base(const std::string& description) {
  return {{"$schema", "https://vega.github.io/schema/vega-lite/v6.json"}, {"description", description}};
}

// The number of lines joulevalWrap (the page script) splits `label` into at `width` characters.
int wrapped_lines(const std::string& label, size_t width) {
  int lines = 0;
  size_t line = 0;  // characters on the current line
  size_t start = 0;
  while (start <= label.size()) {
    size_t end = label.find(' ', start);
    if (end == std::string::npos) end = label.size();
    size_t word = end - start;
    while (word > width) {
      if (line > 0) ++lines;
      ++lines;
      line = 0;
      word -= width;
    }
    if (line == 0)
      line = word;
    else if (line + 1 + word <= width)
      line += 1 + word;
    else {
      ++lines;
      line = word;
    }
    start = end + 1;
  }
  return lines + (line > 0 ? 1 : 0);
}

// A band step (px) that holds the tallest of `labels` wrapped at `width` characters.
int band_step(const std::vector<std::string>& labels, size_t width, int minimum) {
  int lines = 1;
  for (const auto& l : labels) lines = std::max(lines, wrapped_lines(l, width));
  return std::max(minimum, 13 * lines + 4);
}

std::string wrap_expr(int width) { return fmt::format("joulevalWrap(datum.label, {})", width); }
// Legend / axis / facet header properties: full labels, wrapped at word boundaries, never cut.
json legend(const std::string& title) {
  return {{"title", title},
          {"titleLimit", 0},
          {"labelExpr", wrap_expr(kLegendWrap)},
          {"labelLimit", 0},
          {"symbolLimit", 0}};
}
json axis_labels(int width = kAxisWrap) { return {{"labelExpr", wrap_expr(width)}, {"labelLimit", 0}}; }
json header() {
  return {{"labelExpr", wrap_expr(kHeaderWrap)}, {"labelLimit", 0}, {"labelFontSize", 12}, {"labelFontWeight", "bold"}};
}

// The fields that make a workload (task, and limit, shots, preset and seed where they differ among
// `ids`): a panel per workload compares configurations on the same items only.
std::vector<std::string> workload_fields(const std::vector<std::vector<results::IdentityField>>& ids) {
  std::vector<std::string> out = {"task"};
  const auto& wk = workload_keys();
  for (const auto& k : results::varying_fields(ids))
    if (k != "task" && std::find(wk.begin(), wk.end(), k) != wk.end()) out.push_back(k);
  return out;
}

// The configuration fields besides the precision that tell the configurations of `ids` apart
// (model, and machine, placement, KV type, engine settings where they vary): what a mark's shape
// stands for. The model hash only when two models of the same name differ in it.
std::vector<std::string> config_fields(const std::vector<std::vector<results::IdentityField>>& ids) {
  std::vector<std::string> out = {"model"};
  const auto& wk = workload_keys();
  for (const auto& k : results::varying_fields(ids))
    if (k != "model" && k != "precision" && !is_hash_key(k) && std::find(wk.begin(), wk.end(), k) == wk.end())
      out.push_back(k);
  std::map<std::string, std::set<std::string>> hashes;
  for (const auto& id : ids) hashes[row_label(id, out)].insert(field_value(id, "model_sha256"));
  if (std::any_of(hashes.begin(), hashes.end(), [](const auto& h) { return h.second.size() > 1; }))
    out.push_back("model_sha256");
  return out;
}

// "machine: X; placement: gpu" for the configuration fields all `ids` share (said once in a caption
// rather than on every mark).
std::string shared_config(const std::vector<std::vector<results::IdentityField>>& ids,
                          const std::vector<std::string>& shown) {
  if (ids.empty()) return "";
  std::vector<std::string> parts;
  for (const char* k : {"machine", "placement", "kv"}) {
    if (std::find(shown.begin(), shown.end(), k) != shown.end()) continue;
    const std::string v = field_value(ids.front(), k);
    if (!v.empty()) parts.push_back(fmt::format("{} {}", k, v));
  }
  return parts.empty() ? "" : " All of them: " + join(parts, "; ") + ".";
}

std::string fields_title(const std::vector<std::string>& keys) { return join(keys, " · "); }

// Colour by precision with one domain for every chart of the page (every precision of the finished
// cells, sorted), so a precision has the same colour everywhere.
json precision_color(const Summary& s) {
  std::set<std::string> all;
  for (const auto& r : s.rows) all.insert(r.key.precision);
  return {{"field", "precision"},
          {"type", "nominal"},
          {"scale", {{"domain", json(std::vector<std::string>(all.begin(), all.end()))}}},
          {"legend", legend("precision")}};
}

Chart make_chart(const std::string& id, const std::string& title, const std::string& caption, json spec) {
  Chart c;
  c.id = id;
  c.title = title;
  c.caption = caption;
  c.spec = std::move(spec);
  return c;
}

}  // namespace

std::string page_number(double value) {
  std::string s = format_number(value);
  const auto e = s.find('e');
  std::string mantissa = s.substr(0, e);
  const std::string exponent = e == std::string::npos ? "" : s.substr(e);
  if (mantissa.find('.') != std::string::npos) {
    while (!mantissa.empty() && mantissa.back() == '0') mantissa.pop_back();
    if (!mantissa.empty() && mantissa.back() == '.') mantissa.pop_back();
  }
  return mantissa + exponent;
}

bool any_energy(const Summary& s) {
  return std::any_of(s.rows.begin(), s.rows.end(), [](const SummaryRow& r) { return r.metrics.stats.total_j; });
}

namespace {

// One sentence per group of cells identical except for the precision: each precision's correct
// answers per Wh (and × the reference's), accuracy change and time ratio, and the precision with the
// most correct answers per Wh.
std::vector<std::string> precision_findings(const Summary& s, const std::vector<PrecisionComparison>& comps,
                                            const std::vector<std::string>& workload,
                                            const std::vector<std::string>& config) {
  std::map<size_t, std::vector<const PrecisionComparison*>> groups;  // reference row -> comparisons
  std::vector<size_t> order;
  for (const auto& c : comps) {
    if (!groups.count(c.reference_row)) order.push_back(c.reference_row);
    groups[c.reference_row].push_back(&c);
  }
  auto eor = [&](size_t row) -> std::optional<double> {
    const auto& e = s.rows[row].metrics.stats.eor_item;
    return e ? std::optional<double>(e->mean) : std::nullopt;
  };
  // When every cell has random weights the caption says so once.
  const bool all_random =
      std::all_of(s.rows.begin(), s.rows.end(), [](const SummaryRow& r) { return r.metrics.random_weights; });
  std::vector<std::string> out;
  for (size_t ref : order) {
    const SummaryRow& rr = s.rows[ref];
    const auto ref_eor = eor(ref);
    if (!ref_eor) continue;
    std::string text =
        fmt::format("{} — {}: {} (reference) {} correct answers per Wh", row_label(rr.identity, workload),
                    row_label(rr.identity, config), rr.key.precision, page_number(*ref_eor));
    std::string best = rr.key.precision;
    double best_eor = *ref_eor;
    for (const PrecisionComparison* c : groups[ref]) {
      const SummaryRow& r = s.rows[c->row];
      const auto e = eor(c->row);
      text += fmt::format("; {} {}", c->precision, e ? page_number(*e) : std::string("unavailable"));
      if (e && *ref_eor > 0.0) text += fmt::format(" (×{})", page_number(*e / *ref_eor));
      if (c->accuracy_change)
        text += fmt::format(", accuracy {}{} points", *c->accuracy_change > 0.0 ? "+" : "",
                            page_number(100.0 * *c->accuracy_change));
      const auto& sec = r.metrics.stats.seconds;
      const auto& ref_sec = rr.metrics.stats.seconds;
      if (sec && ref_sec && ref_sec->mean > 0.0) text += ", time ×" + page_number(sec->mean / ref_sec->mean);
      if (e && *e > best_eor) {
        best_eor = *e;
        best = c->precision;
      }
    }
    text += best_eor > 0.0 ? ". Most correct answers per Wh: " + best + "." : ". No correct answer at any precision.";
    if (rr.metrics.random_weights && !all_random) text += " (Random weights: chance-level accuracy.)";
    out.push_back(text);
  }
  return out;
}

// The headline: each precision against the reference precision of the same model, machine and
// settings (results/precision.h), one panel per workload: energy saved (x) against the accuracy
// change (y), 95% CIs on both, the time per question relative to the reference on every point.
Chart precision_chart(const Summary& s) {
  const auto comps = compare_precisions(s);
  std::vector<size_t> compared;
  for (const auto& c : comps) compared.push_back(c.row);
  const auto ids = identities(s, compared);
  // The fields that tell the comparisons apart (the precision is in every label).
  const auto keys = distinguishing_fields(ids, {"model", "task"}, {"precision", "file_sha256"});
  const auto workload = workload_fields(ids);
  const auto config = config_fields(ids);
  json values = json::array();
  int random = 0, with_energy = 0;
  std::set<std::string> refs;
  auto pct = [](const std::optional<double>& v) { return v ? json(100.0 * *v) : json(nullptr); };
  for (const auto& c : comps) {
    const SummaryRow& r = s.rows[c.row];
    const SummaryRow& ref = s.rows[c.reference_row];
    const auto& sec = r.metrics.stats.seconds;
    const auto& ref_sec = ref.metrics.stats.seconds;
    std::optional<double> time_ratio;
    if (sec && ref_sec && ref_sec->mean > 0.0) time_ratio = sec->mean / ref_sec->mean;
    std::optional<double> eor_ratio;
    const auto& e = r.metrics.stats.eor_item;
    const auto& er = ref.metrics.stats.eor_item;
    if (e && er && er->mean > 0.0) eor_ratio = e->mean / er->mean;
    std::optional<double> retained;
    if (r.metrics.score && ref.metrics.score && *ref.metrics.score > 0.0)
      retained = *r.metrics.score / *ref.metrics.score;
    auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
    auto mean = [](const std::optional<results::Stat>& v) { return v ? json(v->mean) : json(nullptr); };
    values.push_back({{"label", fmt::format("{} · {} vs {}", row_label(r.identity, keys), c.precision, c.reference)},
                      {"workload", row_label(r.identity, workload)},
                      {"config", row_label(r.identity, config)},
                      {"precision", c.precision},
                      {"reference", c.reference},
                      {"energy_reduction", pct(c.energy_reduction)},
                      {"energy_lo", pct(c.energy_ci_low)},
                      {"energy_hi", pct(c.energy_ci_high)},
                      {"accuracy_change", pct(c.accuracy_change)},
                      {"accuracy_lo", pct(c.accuracy_ci_low)},
                      {"accuracy_hi", pct(c.accuracy_ci_high)},
                      {"accuracy_retained", pct(retained)},
                      {"time_ratio", opt(time_ratio)},
                      {"eor_ratio", opt(eor_ratio)},
                      {"score", opt(r.metrics.score)},
                      {"reference_score", opt(ref.metrics.score)},
                      {"j_per_question", mean(r.metrics.stats.j_per_question)},
                      {"reference_j_per_question", mean(ref.metrics.stats.j_per_question)},
                      {"seconds", mean(sec)},
                      {"reference_seconds", mean(ref_sec)}});
    random += c.random_weights;
    with_energy += c.energy_reduction.has_value();
    refs.insert(c.reference);
  }
  json x = {{"field", "energy_reduction"},
            {"type", "quantitative"},
            {"title", json::array({"energy saved vs the reference (%)", "right = less energy per question"})},
            {"scale", {{"zero", true}, {"nice", true}, {"padding", 24}}},
            {"axis", {{"tickCount", 6}, {"labelOverlap", "greedy"}}}};
  json y = {{"field", "accuracy_change"},
            {"type", "quantitative"},
            {"title", json::array({"accuracy change (points)", "up = more accurate"})},
            {"scale", {{"zero", true}, {"nice", true}, {"padding", 12}}}};
  json color = precision_color(s);
  json shape = {{"field", "config"}, {"type", "nominal"}, {"legend", legend(fields_title(config))}};
  json tooltip = json::array({{{"field", "label"}, {"title", "comparison"}},
                              {{"field", "energy_reduction"}, {"title", "energy saved (%)"}},
                              {{"field", "energy_lo"}, {"title", "energy saved, 95% CI low (%)"}},
                              {{"field", "energy_hi"}, {"title", "energy saved, 95% CI high (%)"}},
                              {{"field", "accuracy_change"}, {"title", "accuracy change (points)"}},
                              {{"field", "accuracy_lo"}, {"title", "accuracy change, 95% CI low (points)"}},
                              {{"field", "accuracy_hi"}, {"title", "accuracy change, 95% CI high (points)"}},
                              {{"field", "accuracy_retained"}, {"title", "accuracy retained (% of the reference's)"}},
                              {{"field", "eor_ratio"}, {"title", "correct answers per Wh (× the reference's)"}},
                              {{"field", "time_ratio"}, {"title", "time per question (× the reference's)"}},
                              {{"field", "score"}, {"title", "score"}},
                              {{"field", "reference_score"}, {"title", "reference score"}},
                              {{"field", "j_per_question"}, {"title", "J per question"}},
                              {{"field", "reference_j_per_question"}, {"title", "reference J per question"}},
                              {{"field", "seconds"}, {"title", "time (s)"}},
                              {{"field", "reference_seconds"}, {"title", "reference time (s)"}}});
  for (auto& t : tooltip) t["type"] = t["field"] == "label" ? "nominal" : "quantitative";
  json zero_x = {{"mark", {{"type", "rule"}, {"color", "#999"}, {"strokeDash", {3, 3}}}},
                 {"encoding", {{"x", {{"datum", 0}, {"type", "quantitative"}}}}}};
  json zero_y = {{"mark", {{"type", "rule"}, {"color", "#999"}, {"strokeDash", {3, 3}}}},
                 {"encoding", {{"y", {{"datum", 0}, {"type", "quantitative"}}}}}};
  json energy_bar = {{"mark", {{"type", "rule"}, {"strokeWidth", 1.5}}},
                     {"encoding",
                      {{"x", {{"field", "energy_lo"}, {"type", "quantitative"}}},
                       {"x2", {{"field", "energy_hi"}}},
                       {"y", y},
                       {"color", color}}}};
  json accuracy_bar = {{"mark", {{"type", "rule"}, {"strokeWidth", 1.5}}},
                       {"encoding",
                        {{"y", {{"field", "accuracy_lo"}, {"type", "quantitative"}}},
                         {"y2", {{"field", "accuracy_hi"}}},
                         {"x", x},
                         {"color", color}}}};
  // Time cost: the point's area grows with the time per question relative to the reference.
  json size = {
      {"field", "time_ratio"},
      {"type", "quantitative"},
      {"scale", {{"type", "log"}, {"domain", {0.25, 4}}, {"range", {20, 600}}, {"clamp", true}}},
      {"legend", {{"title", json::array({"time per question", "× the reference's"})}, {"values", {0.5, 1, 2, 4}}}}};
  json points = {
      {"mark", {{"type", "point"}, {"filled", true}, {"opacity", 0.85}, {"stroke", "#333"}, {"strokeWidth", 0.5}}},
      {"encoding", {{"x", x}, {"y", y}, {"color", color}, {"shape", shape}, {"size", size}, {"tooltip", tooltip}}}};
  json spec = base("Precision trade-off: accuracy kept vs energy saved");
  spec["data"] = {{"values", values}};
  spec["facet"] = {{"field", "workload"}, {"type", "nominal"}, {"title", nullptr}, {"header", header()}};
  spec["columns"] = 3;
  // Before faceting: a workload whose comparisons all lack energy gets no empty panel.
  spec["transform"] = json::array({{{"filter", "isValid(datum.energy_reduction)"}}});
  spec["spec"] = {
      {"width", 270}, {"height", 210}, {"layer", json::array({zero_x, zero_y, energy_bar, accuracy_bar, points})}};
  spec["resolve"] = {{"scale", {{"x", "independent"}, {"y", "independent"}}}};
  std::string ref_list = join({refs.begin(), refs.end()});
  std::string caption = fmt::format(
      "Which precision gives the most correct answers per joule, and at what time cost. Each point is one "
      "precision compared with the reference precision of the same model, machine and settings (same KV type, "
      "placement, task, limit, shots, preset, seed and engine settings; the reference is fp16, else bf16, else "
      "fp32, else the precision with the most bits; here {}). It sits where the dashed lines cross (0, 0). Right "
      "of the vertical line: less energy per question than the reference (energy saved = 1 − J/question ÷ "
      "reference J/question); above the horizontal line: more accurate (percentage points of the task's headline "
      "metric). A point up and to the right beats the reference on both. A point's size is its time per question "
      "relative to the reference (larger = slower; ×0.5 = twice as fast, ×2 = twice as slow); its tooltip gives "
      "that ratio, the accuracy retained and the correct answers per Wh relative to the reference. Error bars: 95% "
      "confidence "
      "intervals — energy over repetitions (Student t, delta method), accuracy from the items' standard errors "
      "(greedy repetitions give identical answers). One panel per workload ({}), each with its own axes; colour = "
      "precision, shape = {}. {} comparisons, {} with energy on both sides.{} {}{}",
      ref_list.empty() ? "none" : ref_list, join(workload), fields_title(config), comps.size(), with_energy,
      shared_config(ids, config), chance_note(random, static_cast<int>(comps.size())), estimated_note(s));
  Chart chart =
      make_chart("chart-precision", "Precision trade-off: accuracy kept vs energy saved, per task", caption, spec);
  chart.needs_energy = true;
  chart.findings = precision_findings(s, comps, workload, config);
  if (comps.empty())
    chart.unavailable =
        "no cell has another precision measured with the same model, machine and settings, so no precision can be "
        "compared with a reference";
  else if (with_energy == 0)
    chart.unavailable = "no precision comparison has an energy reading on both sides";
  return chart;
}

// Accuracy against energy per question, one panel per workload, with the Pareto front; colour =
// precision, shape = the rest of the configuration (model, and machine etc. where they vary).
Chart pareto_chart(const Summary& s) {
  std::vector<size_t> shown;
  for (size_t i = 0; i < s.rows.size(); ++i)
    if (s.rows[i].metrics.stats.j_per_question && s.rows[i].metrics.score) shown.push_back(i);
  const auto ids = identities(s, shown);
  const auto workload = workload_fields(ids);
  const auto config = config_fields(ids);
  const auto label_keys = distinguishing_fields(ids, {"model", "precision"}, workload_keys());
  std::map<std::string, std::vector<size_t>> by_workload;
  for (size_t i : shown) by_workload[row_label(s.rows[i].identity, workload)].push_back(i);
  json values = json::array();
  int cells = 0, random = 0, front = 0;
  for (const auto& [task, idx] : by_workload) {
    std::vector<std::pair<double, double>> pts;
    for (size_t i : idx) pts.emplace_back(s.rows[i].metrics.stats.j_per_question->mean, *s.rows[i].metrics.score);
    const auto f = pareto_front(pts);
    const std::set<size_t> on_front(f.begin(), f.end());
    for (size_t k = 0; k < idx.size(); ++k) {
      const auto& r = s.rows[idx[k]];
      values.push_back({{"task", task},
                        {"config", row_label(r.identity, label_keys)},
                        {"setup", row_label(r.identity, config)},
                        {"machine", r.machine_label},
                        {"precision", r.key.precision},
                        {"j_per_question", pts[k].first},
                        {"score", pts[k].second},
                        {"eor_item", r.metrics.stats.eor_item ? json(r.metrics.stats.eor_item->mean) : json(nullptr)},
                        {"pareto", on_front.count(k) > 0}});
      ++cells;
      random += r.metrics.random_weights;
      front += on_front.count(k) > 0;
    }
  }
  json spec = base("Accuracy vs energy per question");
  spec["data"] = {{"values", values}};
  spec["columns"] = 3;
  spec["facet"] = {{"field", "task"}, {"type", "nominal"}, {"title", nullptr}, {"header", header()}};
  json x = {{"field", "j_per_question"},
            {"type", "quantitative"},
            {"title", "energy per question (J)"},
            {"scale", {{"zero", false}, {"padding", 10}}}};
  json y = {{"field", "score"},
            {"type", "quantitative"},
            {"title", json::array({"accuracy (0–1)", "the task's headline metric"})},
            {"scale", {{"zero", true}}}};
  json line = {{"mark", {{"type", "line"}, {"color", "#555"}, {"strokeDash", {4, 3}}}},
               {"transform", json::array({{{"filter", "datum.pareto"}}})},
               {"encoding", {{"x", x}, {"y", y}, {"order", {{"field", "j_per_question"}, {"type", "quantitative"}}}}}};
  json points = {
      {"mark", {{"type", "point"}, {"filled", true}, {"size", 80}}},
      {"encoding",
       {{"x", x},
        {"y", y},
        {"color", precision_color(s)},
        {"shape", {{"field", "setup"}, {"type", "nominal"}, {"legend", legend(fields_title(config))}}},
        {"stroke", {{"condition", {{"test", "datum.pareto"}, {"value", "black"}}}, {"value", nullptr}}},
        {"strokeWidth", {{"condition", {{"test", "datum.pareto"}, {"value", 1.5}}}, {"value", 0}}},
        {"tooltip", json::array({{{"field", "config"}, {"title", "cell"}},
                                 {{"field", "machine"}},
                                 {{"field", "j_per_question"}, {"type", "quantitative"}, {"title", "J per question"}},
                                 {{"field", "score"}, {"type", "quantitative"}, {"title", "accuracy"}},
                                 {{"field", "eor_item"}, {"type", "quantitative"}, {"title", kEorItemName}},
                                 {{"field", "pareto"}, {"title", "on the Pareto front"}}})}}}};
  spec["spec"] = {{"width", 270}, {"height", 200}, {"layer", json::array({line, points})}};
  spec["resolve"] = {{"scale", {{"x", "independent"}, {"y", "independent"}}}};
  const std::string caption = fmt::format(
      "Accuracy (task's headline metric, 0–1) against energy per question (J, mean over repetitions), one point per "
      "cell, one panel per workload ({}), each with its own axes; colour = precision, shape = {}. {} cells, {} on "
      "the Pareto front (outlined in black, joined by the dashed line: no other cell of the panel is both cheaper "
      "and more accurate).{} {}{}",
      join(workload), fields_title(config), cells, front, shared_config(ids, config), chance_note(random, cells),
      estimated_note(s));
  Chart chart = make_chart("chart-pareto", "Accuracy vs energy per question (Pareto front)", caption, spec);
  chart.needs_energy = true;
  if (shown.empty()) chart.unavailable = "no cell has both an energy reading and a score";
  return chart;
}

// Accuracy against time per question, one panel per workload (needs no energy reading).
Chart accuracy_time_chart(const Summary& s) {
  std::vector<size_t> shown;
  for (size_t i = 0; i < s.rows.size(); ++i) {
    const auto& m = s.rows[i].metrics;
    if (m.score && m.stats.seconds && m.items > 0) shown.push_back(i);
  }
  const auto ids = identities(s, shown);
  const auto workload = workload_fields(ids);
  const auto config = config_fields(ids);
  const auto label_keys = distinguishing_fields(ids, {"model", "precision"}, workload_keys());
  json values = json::array();
  int random = 0;
  for (size_t i : shown) {
    const SummaryRow& r = s.rows[i];
    const auto& m = r.metrics;
    json v = {{"workload", row_label(r.identity, workload)},
              {"cell", row_label(r.identity, label_keys)},
              {"setup", row_label(r.identity, config)},
              {"precision", r.key.precision},
              {"s_per_question", m.stats.seconds->mean / m.items},
              {"score", *m.score},
              {"tokens_per_s", m.stats.tokens_per_s ? json(m.stats.tokens_per_s->mean) : json(nullptr)}};
    if (m.score_stderr && *m.score_stderr > 0.0) {
      v["score_lo"] = std::max(0.0, *m.score - results::kZ95 * *m.score_stderr);
      v["score_hi"] = std::min(1.0, *m.score + results::kZ95 * *m.score_stderr);
    }
    values.push_back(v);
    random += m.random_weights;
  }
  json x = {{"field", "s_per_question"},
            {"type", "quantitative"},
            {"title", "time per question (s)"},
            {"scale", {{"zero", true}}}};
  json y = {{"field", "score"},
            {"type", "quantitative"},
            {"title", json::array({"accuracy (0–1)", "the task's headline metric"})},
            {"scale", {{"zero", true}}}};
  json color = precision_color(s);
  json bars = {{"mark", {{"type", "rule"}, {"strokeWidth", 1.5}}},
               {"encoding",
                {{"x", x},
                 {"y", {{"field", "score_lo"}, {"type", "quantitative"}}},
                 {"y2", {{"field", "score_hi"}}},
                 {"color", color}}}};
  json points = {
      {"mark", {{"type", "point"}, {"filled", true}, {"size", 80}}},
      {"encoding",
       {{"x", x},
        {"y", y},
        {"color", color},
        {"shape", {{"field", "setup"}, {"type", "nominal"}, {"legend", legend(fields_title(config))}}},
        {"tooltip", json::array({{{"field", "cell"}},
                                 {{"field", "s_per_question"}, {"type", "quantitative"}, {"title", "s per question"}},
                                 {{"field", "score"}, {"type", "quantitative"}, {"title", "accuracy"}},
                                 {{"field", "score_lo"}, {"type", "quantitative"}, {"title", "accuracy, 95% CI low"}},
                                 {{"field", "score_hi"}, {"type", "quantitative"}, {"title", "accuracy, 95% CI high"}},
                                 {{"field", "tokens_per_s"}, {"type", "quantitative"}, {"title", "tokens/s"}}})}}}};
  json spec = base("Accuracy vs time per question");
  spec["data"] = {{"values", values}};
  spec["columns"] = 3;
  spec["facet"] = {{"field", "workload"}, {"type", "nominal"}, {"title", nullptr}, {"header", header()}};
  spec["spec"] = {{"width", 270}, {"height", 200}, {"layer", json::array({bars, points})}};
  spec["resolve"] = {{"scale", {{"x", "independent"}, {"y", "independent"}}}};
  const std::string caption = fmt::format(
      "Accuracy (task's headline metric, 0–1; bars: 95% confidence interval from the items' standard error) "
      "against time per question (s: the repetition's window ÷ items, mean over repetitions), one point per cell, "
      "one panel per workload ({}), each with its own axes; colour = precision, shape = {}. Needs no energy "
      "reading. {} cells.{} {}",
      join(workload), fields_title(config), shown.size(), shared_config(ids, config),
      chance_note(random, static_cast<int>(shown.size())));
  Chart chart = make_chart("chart-accuracy-time", "Accuracy vs time per question", caption, spec);
  if (shown.empty()) chart.unavailable = "no cell has both a score and a measured time";
  return chart;
}

// Correct answers per Wh (EOR per item) by two identity fields, optionally one panel per `facet_key`
// value. The colour is the square's share of the best square of the same task, so precisions and
// models compare within a task and no task dominates the scale; the text gives the value. A square
// holding several cells shows their mean and says so (the cell count in its text; the count and the
// fields the cells differ in, in its tooltip).
Chart eor_heatmap(const Summary& s, const std::string& id, const std::string& title, const std::string& xkey,
                  const std::string& xname, const std::string& ykey, const std::string& yname,
                  const std::string& facet_key) {
  struct Square {
    double sum = 0.0;
    int items = 0;
    std::vector<size_t> rows;
  };
  using Key = std::tuple<std::string, std::string, std::string>;  // facet, x, y
  std::map<Key, Square> squares;
  int cells = 0, random = 0, items = 0, missing = 0;
  for (size_t i = 0; i < s.rows.size(); ++i) {
    const SummaryRow& r = s.rows[i];
    const auto& e = r.metrics.stats.eor_item;
    if (!e) {
      ++missing;
      continue;
    }
    auto& q = squares[{facet_key.empty() ? "" : field_value(r.identity, facet_key), field_value(r.identity, xkey),
                       field_value(r.identity, ykey)}];
    q.sum += e->mean;
    q.rows.push_back(i);
    q.items += r.metrics.items;
    ++cells;
    random += r.metrics.random_weights;
    items += r.metrics.items;
  }
  // The best square of each task (every cell of a square has the same task: it is x or the facet).
  const std::string task_key = xkey == "task" ? "x" : "facet";
  std::map<std::string, double> best;
  for (const auto& [k, q] : squares) {
    const std::string& task = task_key == "x" ? std::get<1>(k) : std::get<0>(k);
    const double mean = q.sum / static_cast<double>(q.rows.size());
    auto [it, added] = best.emplace(task, mean);
    if (!added) it->second = std::max(it->second, mean);
  }
  json values = json::array();
  int averaged = 0, no_correct = 0;
  std::set<std::string> over_all;
  for (const auto& [k, q] : squares) {
    const auto n = static_cast<int>(q.rows.size());
    const double mean = q.sum / n;
    std::string over;
    if (n > 1) {
      ++averaged;
      const auto fields = distinguishing_fields(identities(s, q.rows), {}, {xkey, ykey, facet_key});
      over = join(fields);
      over_all.insert(fields.begin(), fields.end());
    }
    const double top = best[task_key == "x" ? std::get<1>(k) : std::get<0>(k)];
    json v = {{"x", std::get<1>(k)},
              {"y", std::get<2>(k)},
              {"eor_item", mean},
              {"share", top > 0.0 ? json(mean / top) : json(nullptr)},
              {"text", n > 1 ? fmt::format("{} (mean of {})", page_number(mean), n) : page_number(mean)},
              {"cells", n},
              {"averaged_over", over},
              {"items", q.items}};
    if (!facet_key.empty()) v["facet"] = std::get<0>(k);
    no_correct += top <= 0.0;
    values.push_back(v);
  }
  json spec = base(title);
  spec["data"] = {{"values", values}};
  json enc = {{"x",
               {{"field", "x"},
                {"type", "nominal"},
                {"title", xname},
                {"axis", {{"labelExpr", wrap_expr(16)}, {"labelLimit", 0}, {"labelAngle", 0}}}}},
              {"y", {{"field", "y"}, {"type", "nominal"}, {"title", yname}, {"axis", axis_labels()}}}};
  json tooltip =
      json::array({{{"field", "x"}, {"title", xname}},
                   {{"field", "y"}, {"title", yname}},
                   {{"field", "eor_item"},
                    {"type", "quantitative"},
                    {"title", std::string(kEorItemName) + " (mean over the cells)"}},
                   {{"field", "share"}, {"type", "quantitative"}, {"title", "share of the task's best square"}},
                   {{"field", "cells"}, {"title", "cells averaged"}},
                   {{"field", "averaged_over"}, {"title", "averaged over (fields the cells differ in)"}},
                   {{"field", "items"}, {"title", "items (all cells)"}}});
  if (!facet_key.empty()) tooltip.insert(tooltip.begin(), {{"field", "facet"}, {"title", facet_key}});
  // Squares of a task without any correct answer have no share: drawn grey by a layer of their own.
  json grey = {{"mark", {{"type", "rect"}, {"color", "#d9d9d9"}}},
               {"transform", json::array({{{"filter", "!isValid(datum.share)"}}})},
               {"encoding", {{"tooltip", tooltip}}}};
  json rect = {{"mark", "rect"},
               {"transform", json::array({{{"filter", "isValid(datum.share)"}}})},
               {"encoding",
                {{"color",
                  {{"field", "share"},
                   {"type", "quantitative"},
                   {"title", "share of the task's best"},
                   {"scale", {{"domain", {0, 1}}, {"scheme", "yellowgreenblue"}}}}},
                 {"tooltip", tooltip}}}};
  json text = {{"mark", {{"type", "text"}, {"fontSize", 10}}},
               {"encoding",
                {{"text", {{"field", "text"}}},
                 {"color", {{"condition", {{"test", "datum.share > 0.6"}, {"value", "white"}}}, {"value", "black"}}}}}};
  json layer = {{"encoding", enc}, {"layer", json::array({grey, rect, text})}};
  std::set<std::string> xs, facets;
  std::vector<std::string> ys;
  for (const auto& [k, q] : squares) {
    xs.insert(std::get<1>(k));
    facets.insert(std::get<0>(k));
    ys.push_back(std::get<2>(k));
  }
  const int step = 110;
  const int row = band_step(ys, kAxisWrap, 30);
  if (facet_key.empty()) {
    spec.update(layer);
    spec["width"] = {{"step", step}};
    spec["height"] = {{"step", row}};
  } else {
    const int panel = static_cast<int>(xs.size()) * step;
    spec["facet"] = {{"field", "facet"}, {"type", "nominal"}, {"title", facet_key}, {"header", header()}};
    spec["columns"] = std::max(1, std::min(static_cast<int>(facets.size()), 900 / (panel + 40)));
    layer["width"] = {{"step", step}};
    layer["height"] = {{"step", row}};
    spec["spec"] = layer;
  }
  std::string caption = fmt::format(
      "Correct answers per Wh ({}: the task's headline score ÷ Wh per question, in 1/Wh; mean over repetitions) by {} "
      "× {}{}; {} "
      "cells, {} items per repetition in all. Colour: the square's share of the best square of the same task "
      "(1 = the task's best), so squares compare within a task; the text gives the value. ",
      "EOR per item", yname, xname, facet_key.empty() ? "" : ", one panel per " + facet_key, cells, items);
  if (averaged > 0)
    caption += fmt::format(
        "{} of {} squares hold several cells and show their mean, averaged over the fields those cells differ in "
        "({}); each square's text gives the number of cells, its tooltip the fields. ",
        averaged, squares.size(), join({over_all.begin(), over_all.end()}));
  else
    caption += "Each square is one cell (nothing averaged). ";
  if (no_correct > 0)
    caption += fmt::format("{} squares belong to a task with no correct answer at all (grey). ", no_correct);
  caption += chance_note(random, cells) + estimated_note(s);
  if (missing) caption += fmt::format(" {} cells without energy or score are left out (unavailable).", missing);
  Chart chart = make_chart(id, title, caption, spec);
  chart.needs_energy = true;
  if (squares.empty()) chart.unavailable = "no cell has both an energy reading and a score";
  return chart;
}

Chart complexity_chart(const Summary& s) {
  std::vector<size_t> shown;
  for (size_t i = 0; i < s.rows.size(); ++i) {
    const auto& m = s.rows[i].metrics;
    if (!m.stats.j_per_question || m.items <= 0 || m.stats.j_per_question->mean <= 0.0) continue;
    if ((m.prompt_tokens + m.generated_tokens) / m.items <= 0.0) continue;
    shown.push_back(i);
  }
  const auto ids = identities(s, shown);
  const auto keys = distinguishing_fields(ids, {"model", "precision", "task"});
  const auto config = config_fields(ids);
  json values = json::array();
  int cells = 0, items = 0;
  for (size_t i : shown) {
    const SummaryRow& r = s.rows[i];
    const auto& m = r.metrics;
    const double tpq = (m.prompt_tokens + m.generated_tokens) / m.items;
    values.push_back({{"task", r.key.task},
                      {"config", row_label(r.identity, keys)},
                      {"setup", row_label(r.identity, config)},
                      {"precision", r.key.precision},
                      {"tokens_per_question", tpq},
                      {"j_per_question", m.stats.j_per_question->mean},
                      {"items", m.items}});
    ++cells;
    items += m.items;
  }
  json spec = base("Task complexity");
  spec["data"] = {{"values", values}};
  spec["facet"] = {{"field", "setup"}, {"type", "nominal"}, {"title", nullptr}, {"header", header()}};
  spec["columns"] = 2;
  spec["spec"] = {
      {"width", 420},
      {"height", 260},
      {"mark", {{"type", "point"}, {"filled", true}, {"size", 80}}},
      {"encoding",
       {{"x",
         {{"field", "tokens_per_question"},
          {"type", "quantitative"},
          {"scale", {{"type", "log"}}},
          {"title", "tokens per question (prompt + generated)"}}},
        {"y",
         {{"field", "j_per_question"},
          {"type", "quantitative"},
          {"scale", {{"type", "log"}}},
          {"title", "energy per question (J)"}}},
        {"color", {{"field", "task"}, {"type", "nominal"}, {"legend", legend("task")}}},
        {"shape", {{"field", "precision"}, {"type", "nominal"}, {"legend", legend("precision")}}},
        {"tooltip",
         json::array({{{"field", "config"}, {"title", "cell"}},
                      {{"field", "tokens_per_question"}, {"type", "quantitative"}, {"title", "tokens per question"}},
                      {{"field", "j_per_question"}, {"type", "quantitative"}, {"title", "J per question"}},
                      {{"field", "items"}}})}}}};
  const std::string caption = fmt::format(
      "Task complexity: tokens per question (prompt + generated, mean over repetitions) against energy per question "
      "(J), log–log, one point per cell; colour = task, shape = precision, one panel per {}. {} cells, {} items per "
      "repetition in all. Accuracy is not plotted here.{}{}",
      fields_title(config), cells, items, shared_config(ids, config), estimated_note(s));
  Chart chart = make_chart("chart-complexity", "Task complexity: tokens vs energy per question", caption, spec);
  chart.needs_energy = true;
  if (shown.empty()) chart.unavailable = "no cell has an energy reading and a token count";
  return chart;
}

Chart timeline_chart(const Summary& s, const std::vector<results::Cell>& cells) {
  json values = json::array();
  json options = json::array();
  int n_cells = 0;
  size_t n_points = 0;
  // The finished cells with a stored timeline (the first repetition that has one).
  std::vector<std::pair<const results::Cell*, const results::Repetition*>> shown;
  std::vector<std::vector<results::IdentityField>> ids;
  for (const auto& cell : cells) {
    if (cell.status != results::CellStatus::kDone) continue;
    for (const auto& r : cell.repetitions)
      if (!r.timeline.empty()) {
        shown.emplace_back(&cell, &r);
        const auto label = s.machine_labels.find(cell.machine_id);
        ids.push_back(
            results::identity_fields(label == s.machine_labels.end() ? cell.machine_id : label->second, cell.key));
        break;
      }
  }
  const auto keys = distinguishing_fields(ids, {"model", "precision", "task"});
  for (size_t k = 0; k < shown.size(); ++k) {
    const results::Repetition* rep = shown[k].second;
    const std::string label = fmt::format("{} (rep {})", row_label(ids[k], keys), rep->index);
    options.push_back(label);
    ++n_cells;
    std::map<std::string, size_t> per_meter;
    for (const auto& p : rep->timeline) ++per_meter[p.meter];
    std::map<std::string, size_t> seen;
    for (const auto& p : rep->timeline) {
      const size_t total = per_meter[p.meter];
      const size_t stride = total > kMaxTimelinePoints ? (total + kMaxTimelinePoints - 1) / kMaxTimelinePoints : 1;
      if (seen[p.meter]++ % stride != 0) continue;
      values.push_back({{"cell", label}, {"t", p.t_seconds}, {"meter", p.meter}, {"watts", p.watts}});
      ++n_points;
    }
  }
  json spec = base("Power timeline");
  spec["data"] = {{"values", values}};
  spec["width"] = 720;
  spec["height"] = 260;
  if (!options.empty()) {
    spec["params"] = json::array({{{"name", "cell"},
                                   {"value", options.front()},
                                   {"bind", {{"input", "select"}, {"options", options}, {"name", "cell: "}}}}});
    spec["transform"] = json::array({{{"filter", "datum.cell == cell"}}});
  }
  spec["mark"] = {{"type", "line"}, {"interpolate", "linear"}};
  spec["encoding"] = {
      {"x", {{"field", "t"}, {"type", "quantitative"}, {"title", "time since window start (s)"}}},
      {"y", {{"field", "watts"}, {"type", "quantitative"}, {"title", "power (W)"}}},
      {"color", {{"field", "meter"}, {"type", "nominal"}, {"legend", legend("meter")}}},
      {"tooltip", json::array({{{"field", "meter"}},
                               {{"field", "t"}, {"type", "quantitative"}, {"title", "time (s)"}},
                               {{"field", "watts"}, {"type", "quantitative"}, {"title", "power (W)"}}})}};
  const std::string caption = fmt::format(
      "Sampled power (W) against time (s) of one repetition of a cell, one line per meter; pick the cell with the "
      "selector. {} cells have a stored timeline ({} points shown, at most {} per meter, evenly thinned).",
      n_cells, n_points, kMaxTimelinePoints);
  Chart chart = make_chart("chart-timeline", "Power timeline", caption, spec);
  if (n_cells == 0)
    chart.unavailable = "no timeline stored (sweep with timeline = true, or run with --timeline, to record one)";
  return chart;
}

Chart limits_chart(const Summary& s) {
  const auto comps = compare_limits(s);
  std::vector<size_t> compared;
  for (const auto& c : comps) compared.push_back(c.row);
  const auto keys = distinguishing_fields(identities(s, compared), {"model", "precision", "task"});
  json values = json::array();
  int above = 0, decode = 0, kv_missing = 0;
  double b_min = 0.0, b_max = 0.0;
  std::set<std::string> bases;
  auto add = [&](const std::string& label, const char* measure, double fraction, double achieved, double bound,
                 const LimitComparison& c) {
    json v = {{"label", label},
              {"measure", measure},
              {"fraction", std::min(fraction, 1.0)},
              {"achieved_fraction", fraction},
              {"achieved", achieved},
              {"bound", bound},
              {"above_bound", fraction > 1.0},
              {"note", ""}};
    if (c.phase == "decode") v["batch"] = c.batch;
    if (fraction > 1.0) {
      ++above;
      v["note"] = fmt::format(
          "{} × the bound, drawn clamped at 1: an assumption of the bound does not hold for this cell (see the "
          "caption)",
          page_number(fraction));
    }
    values.push_back(v);
  };
  for (const auto& c : comps) {
    const auto& r = s.rows[c.row];
    const std::string label = fmt::format("{} · {} ({})", row_label(r.identity, keys), c.gpu.name, c.phase);
    if (c.phase == "decode") {
      b_min = decode == 0 ? c.batch : std::min(b_min, c.batch);
      b_max = decode == 0 ? c.batch : std::max(b_max, c.batch);
      ++decode;
      kv_missing += !c.kv_bytes_per_token;
      bases.insert(c.batch_basis);
    }
    if (c.throughput_fraction)
      add(label, "tokens/s: achieved ÷ bound", *c.throughput_fraction, *c.tokens_per_s, c.bound_tokens_per_s, c);
    if (c.energy_fraction)
      add(label, "J/token: bound ÷ achieved (GPU)", *c.energy_fraction, *c.j_per_token, c.bound_j_per_token, c);
  }
  std::vector<std::string> labels;
  for (const auto& v : values) labels.push_back(v["label"].get<std::string>());
  json spec = base("Achieved vs physical limit");
  spec["data"] = {{"values", values}};
  spec["width"] = 420;
  spec["height"] = {{"step", band_step(labels, 90, 14)}};
  spec["mark"] = "bar";
  spec["encoding"] = {
      {"y",
       {{"field", "label"}, {"type", "nominal"}, {"title", nullptr}, {"sort", nullptr}, {"axis", axis_labels(90)}}},
      {"yOffset", {{"field", "measure"}, {"type", "nominal"}}},
      {"x",
       {{"field", "fraction"},
        {"type", "quantitative"},
        {"title", "fraction of the physical limit (clamped at 1)"},
        {"stack", nullptr},
        {"scale", {{"domain", {0, 1}}}}}},
      {"color", {{"field", "measure"}, {"type", "nominal"}, {"legend", legend("measure")}}},
      {"stroke", {{"condition", {{"test", "datum.above_bound"}, {"value", "black"}}}, {"value", nullptr}}},
      {"strokeWidth", {{"condition", {{"test", "datum.above_bound"}, {"value", 2}}}, {"value", 0}}},
      {"tooltip", json::array({{{"field", "label"}},
                               {{"field", "measure"}},
                               {{"field", "achieved_fraction"}, {"type", "quantitative"}, {"title", "fraction"}},
                               {{"field", "achieved"}, {"type", "quantitative"}},
                               {{"field", "bound"}, {"type", "quantitative"}},
                               {{"field", "batch"}, {"type", "quantitative"}, {"title", "B (tokens per weight read)"}},
                               {{"field", "note"}}})}};
  std::string caption = fmt::format(
      "How close {} cells on known GPUs came to the physical limits (fractions, 1 = at the limit). Prompt-only cells: "
      "compute bound = dense FP16/BF16 tensor FLOP/s ÷ (2 × parameters) tokens/s. Generating cells: bandwidth bound "
      "of batched generation, B × memory bandwidth ÷ (model file bytes + B × KV bytes per token × context per "
      "sequence) generated tokens/s: each decode step reads the weights once for all B sequences decoding "
      "together. Achieved generated tokens/s includes the prefill time (a lower bound). J/token bound = board power "
      "÷ bound tokens/s; achieved J/token uses GPU meters only. ",
      comps.size());
  if (decode > 0) {
    caption += fmt::format("B, the generated tokens per read of the weights, is estimated per cell from {} (here {}",
                           join({bases.begin(), bases.end()}, "; "), page_number(b_min));
    caption += b_max != b_min ? " to " + page_number(b_max) + "). " : "). ";
    if (kv_missing > 0)
      caption += fmt::format(
          "The KV bytes per token are not recorded for {} of {} generating cells: their KV-cache reads are not "
          "counted, so their bound is higher than the true one. ",
          kv_missing, decode);
  }
  if (above > 0)
    caption += fmt::format(
        "{} bars exceed 1 and are drawn clamped at 1, outlined in black (their tooltip gives the fraction): an "
        "assumption of the bound does not hold for them, for example the model file holds weights that are not read "
        "whole per step, the parameter count is wrong, or the GPU runs above its datasheet rates. ",
        above);
  caption += "Specs: ";
  std::string specs;
  for (const auto& g : known_gpu_specs())
    specs += fmt::format("{}{} {:g} TFLOP/s, {:g} TB/s, {:g} W", specs.empty() ? "" : "; ", g.name, g.tflops,
                         g.tb_per_s, g.watts);
  caption += specs + "." + estimated_note(s);
  Chart chart = make_chart("chart-limits", "Achieved vs physical limit", caption, spec);
  if (comps.empty())
    chart.unavailable = "no cell ran fully on a known GPU with its model size and parameter count recorded";
  return chart;
}

}  // namespace

std::vector<size_t> pareto_front(const std::vector<std::pair<double, double>>& pts) {
  std::vector<size_t> order(pts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (pts[a].first != pts[b].first) return pts[a].first < pts[b].first;
    return pts[a].second > pts[b].second;
  });
  std::vector<size_t> front;
  double best = -1e300;
  for (size_t i : order) {
    if (pts[i].second > best) {
      front.push_back(i);
      best = pts[i].second;
    }
  }
  return front;
}

std::vector<Chart> build_charts(const Summary& summary, const std::vector<results::Cell>& cells) {
  // Page order; a new chart is one more entry here (its function may live in its own file).
  std::vector<Chart> charts;
  charts.push_back(precision_chart(summary));
  charts.push_back(pareto_chart(summary));
  charts.push_back(accuracy_time_chart(summary));
  charts.push_back(eor_heatmap(summary, "chart-eor-precision", "Correct answers per Wh by precision, per task", "task",
                               "task", "precision", "precision", ""));
  charts.push_back(eor_heatmap(summary, "chart-eor-machine", "Correct answers per Wh by model and machine, per task",
                               "machine", "machine", "model", "model", "task"));
  charts.push_back(complexity_chart(summary));
  charts.push_back(timeline_chart(summary, cells));
  charts.push_back(limits_chart(summary));
  return charts;
}

}  // namespace jouleval::report
