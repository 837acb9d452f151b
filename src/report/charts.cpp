#include "report/charts.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "report/limits.h"
#include "report/precision.h"

namespace jouleval::report {
namespace {

using json = nlohmann::json;
constexpr size_t kMaxTimelinePoints = 1500;  // per cell and meter

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

std::string short_label(const SummaryRow& r) {
  return fmt::format("{} {} kv={} {}", r.key.model, r.key.precision, r.key.kv_type, r.key.placement);
}

json base(const std::string& description) {
  return {{"$schema", "https://vega.github.io/schema/vega-lite/v6.json"}, {"description", description}};
}

// Mean EOR per item grouped by two keys.
Chart eor_heatmap(const Summary& s, const std::string& id, const std::string& title, const std::string& xname,
                  const std::string& yname, std::string (*xkey)(const SummaryRow&),
                  std::string (*ykey)(const SummaryRow&)) {
  struct Acc {
    double sum = 0.0;
    int n = 0, items = 0, random = 0;
  };
  std::map<std::pair<std::string, std::string>, Acc> groups;
  int cells = 0, random = 0, items = 0, missing = 0;
  for (const auto& r : s.rows) {
    const auto& e = r.metrics.stats.eor_item;
    if (!e) {
      ++missing;
      continue;
    }
    auto& a = groups[{xkey(r), ykey(r)}];
    a.sum += e->mean;
    ++a.n;
    a.items += r.metrics.items;
    a.random += r.metrics.random_weights;
    ++cells;
    random += r.metrics.random_weights;
    items += r.metrics.items;
  }
  json values = json::array();
  for (const auto& [k, a] : groups)
    values.push_back({{"x", k.first}, {"y", k.second}, {"eor_item", a.sum / a.n}, {"cells", a.n}, {"items", a.items}});
  json spec = base(title);
  spec["data"] = {{"values", values}};
  spec["width"] = 420;
  spec["height"] = {{"step", 28}};
  json enc = {
      {"x",
       {{"field", "x"}, {"type", "nominal"}, {"title", xname}, {"axis", {{"labelAngle", -25}, {"labelLimit", 220}}}}},
      {"y", {{"field", "y"}, {"type", "nominal"}, {"title", yname}}}};
  json tooltip = json::array({{{"field", "x"}, {"title", xname}},
                              {{"field", "y"}, {"title", yname}},
                              {{"field", "eor_item"}, {"title", "EOR per item (score/Wh per item)"}, {"format", ".4g"}},
                              {{"field", "cells"}},
                              {{"field", "items"}}});
  json rect = {
      {"mark", "rect"},
      {"encoding",
       {{"color", {{"field", "eor_item"}, {"type", "quantitative"}, {"title", "EOR/item"}}}, {"tooltip", tooltip}}}};
  json text = {{"mark", {{"type", "text"}, {"fontSize", 10}}},
               {"encoding", {{"text", {{"field", "eor_item"}, {"type", "quantitative"}, {"format", ".3g"}}}}}};
  spec["encoding"] = enc;
  spec["layer"] = json::array({rect, text});
  std::string caption = fmt::format(
      "Mean EOR per item (score ÷ Wh per item; 1/Wh) by {} × {}, averaged over the cells of each square; {} cells, "
      "{} items per repetition in all. {}{}",
      yname, xname, cells, items, chance_note(random, cells), estimated_note(s));
  if (missing) caption += fmt::format(" {} cells without energy or score are left out (unavailable).", missing);
  return {id, title, caption, spec};
}

std::string machine_of(const SummaryRow& r) { return r.machine_label; }
std::string model_of(const SummaryRow& r) { return r.key.model; }
std::string task_of(const SummaryRow& r) { return r.key.task; }
std::string precision_of(const SummaryRow& r) { return r.key.precision; }

Chart pareto_chart(const Summary& s) {
  std::map<std::string, std::vector<size_t>> by_task;
  for (size_t i = 0; i < s.rows.size(); ++i)
    if (s.rows[i].metrics.stats.j_per_question && s.rows[i].metrics.score) by_task[s.rows[i].key.task].push_back(i);
  json values = json::array();
  int cells = 0, random = 0, front = 0;
  for (const auto& [task, idx] : by_task) {
    std::vector<std::pair<double, double>> pts;
    for (size_t i : idx) pts.emplace_back(s.rows[i].metrics.stats.j_per_question->mean, *s.rows[i].metrics.score);
    const auto f = pareto_front(pts);
    const std::set<size_t> on_front(f.begin(), f.end());
    for (size_t k = 0; k < idx.size(); ++k) {
      const auto& r = s.rows[idx[k]];
      values.push_back({{"task", task},
                        {"config", short_label(r)},
                        {"machine", r.machine_label},
                        {"precision", r.key.precision},
                        {"j_per_question", pts[k].first},
                        {"score", pts[k].second},
                        {"pareto", on_front.count(k) > 0}});
      ++cells;
      random += r.metrics.random_weights;
      front += on_front.count(k) > 0;
    }
  }
  json spec = base("Accuracy vs energy per question");
  spec["data"] = {{"values", values}};
  spec["columns"] = 3;
  spec["facet"] = {{"field", "task"}, {"type", "nominal"}, {"title", "task"}};
  json x = {{"field", "j_per_question"}, {"type", "quantitative"}, {"title", "energy per question (J)"}};
  json y = {{"field", "score"}, {"type", "quantitative"}, {"title", "accuracy (headline metric)"}};
  json line = {{"mark", {{"type", "line"}, {"color", "#555"}, {"strokeDash", {4, 3}}}},
               {"transform", json::array({{{"filter", "datum.pareto"}}})},
               {"encoding", {{"x", x}, {"y", y}, {"order", {{"field", "j_per_question"}, {"type", "quantitative"}}}}}};
  json points = {{"mark", {{"type", "point"}, {"filled", true}, {"size", 70}}},
                 {"encoding",
                  {{"x", x},
                   {"y", y},
                   {"color", {{"field", "precision"}, {"type", "nominal"}}},
                   {"shape", {{"field", "pareto"}, {"type", "nominal"}, {"title", "Pareto front"}}},
                   {"tooltip", json::array({{{"field", "config"}},
                                            {{"field", "machine"}},
                                            {{"field", "j_per_question"}, {"format", ".4g"}, {"title", "J/question"}},
                                            {{"field", "score"}, {"format", ".3f"}}})}}}};
  spec["spec"] = {{"width", 260}, {"height", 200}, {"layer", json::array({line, points})}};
  spec["resolve"] = {{"scale", {{"x", "independent"}, {"y", "independent"}}}};
  const std::string caption = fmt::format(
      "Accuracy (task headline metric, 0–1) against energy per question (J, mean over repetitions), one panel per "
      "task; {} cells, {} on the Pareto front (dashed line: no other cell of the task is both cheaper and more "
      "accurate). {}{}",
      cells, front, chance_note(random, cells), estimated_note(s));
  return {"chart-pareto", "Accuracy vs energy per question (Pareto front)", caption, spec};
}

Chart complexity_chart(const Summary& s) {
  json values = json::array();
  int cells = 0, random = 0, items = 0;
  for (const auto& r : s.rows) {
    const auto& m = r.metrics;
    if (!m.stats.j_per_question || m.items <= 0 || m.stats.j_per_question->mean <= 0.0) continue;
    const double tpq = (m.prompt_tokens + m.generated_tokens) / m.items;
    if (tpq <= 0.0) continue;
    values.push_back({{"task", r.key.task},
                      {"config", short_label(r)},
                      {"tokens_per_question", tpq},
                      {"j_per_question", m.stats.j_per_question->mean},
                      {"items", m.items}});
    ++cells;
    random += m.random_weights;
    items += m.items;
  }
  json spec = base("Task complexity");
  spec["data"] = {{"values", values}};
  spec["width"] = 520;
  spec["height"] = 320;
  spec["mark"] = {{"type", "point"}, {"filled", true}, {"size", 70}};
  spec["encoding"] = {{"x",
                       {{"field", "tokens_per_question"},
                        {"type", "quantitative"},
                        {"scale", {{"type", "log"}}},
                        {"title", "tokens per question (prompt + generated)"}}},
                      {"y",
                       {{"field", "j_per_question"},
                        {"type", "quantitative"},
                        {"scale", {{"type", "log"}}},
                        {"title", "energy per question (J)"}}},
                      {"color", {{"field", "task"}, {"type", "nominal"}}},
                      {"tooltip", json::array({{{"field", "task"}},
                                               {{"field", "config"}},
                                               {{"field", "tokens_per_question"}, {"format", ".1f"}},
                                               {{"field", "j_per_question"}, {"format", ".4g"}},
                                               {{"field", "items"}}})}};
  const std::string caption = fmt::format(
      "Task complexity: tokens per question (prompt + generated, mean over repetitions) against energy per question "
      "(J), log–log, one point per cell coloured by task; {} cells, {} items per repetition in all. Accuracy is not "
      "plotted here. {}",
      cells, items, estimated_note(s));
  (void)random;
  return {"chart-complexity", "Task complexity: tokens vs energy per question", caption, spec};
}

Chart precision_chart(const Summary& s) {
  const auto comps = compare_precisions(s);
  json values = json::array();
  int random = 0;
  std::set<std::string> refs;
  for (const auto& c : comps) {
    auto pct = [](const std::optional<double>& v) { return v ? json(100.0 * *v) : json(nullptr); };
    values.push_back({{"label", fmt::format("{} · {} · {} vs {} · kv={} {} · {}", c.model, c.task, c.precision,
                                            c.reference, c.kv_type, c.placement, c.machine_label)},
                      {"energy_reduction", pct(c.energy_reduction)},
                      {"energy_lo", pct(c.energy_ci_low)},
                      {"energy_hi", pct(c.energy_ci_high)},
                      {"accuracy_change", pct(c.accuracy_change)},
                      {"accuracy_lo", pct(c.accuracy_ci_low)},
                      {"accuracy_hi", pct(c.accuracy_ci_high)}});
    random += c.random_weights;
    refs.insert(c.reference);
  }
  auto panel = [](const char* field, const char* lo, const char* hi, const char* title) {
    json y = {{"field", "label"}, {"type", "nominal"}, {"title", nullptr}, {"sort", nullptr}};
    json bar = {{"mark", {{"type", "bar"}, {"opacity", 0.7}}},
                {"encoding",
                 {{"y", y},
                  {"x", {{"field", field}, {"type", "quantitative"}, {"title", title}}},
                  {"tooltip", json::array({{{"field", "label"}},
                                           {{"field", field}, {"format", ".2f"}},
                                           {{"field", lo}, {"format", ".2f"}},
                                           {{"field", hi}, {"format", ".2f"}}})}}}};
    json rule = {{"mark", {{"type", "rule"}, {"color", "black"}}},
                 {"encoding", {{"y", y}, {"x", {{"field", lo}, {"type", "quantitative"}}}, {"x2", {{"field", hi}}}}}};
    return json{{"width", 260}, {"height", {{"step", 18}}}, {"layer", json::array({bar, rule})}};
  };
  json spec = base("Precision comparison");
  spec["data"] = {{"values", values}};
  spec["hconcat"] = json::array({panel("energy_reduction", "energy_lo", "energy_hi", "energy reduction (%)"),
                                 panel("accuracy_change", "accuracy_lo", "accuracy_hi", "accuracy change (points)")});
  std::string ref_list;
  for (const auto& r : refs) ref_list += (ref_list.empty() ? "" : ", ") + r;
  const std::string caption = fmt::format(
      "Energy reduction (%, 1 − J/question ÷ reference J/question) and accuracy change (percentage points) of each "
      "precision against the reference precision of the same model, task, KV type, placement and machine "
      "(reference: fp16/bf16, else fp32, else the highest-bit precision present; here {}). Black rules: 95% "
      "confidence intervals — energy over repetitions (Student t, delta method), accuracy from the items' standard "
      "errors (accuracy is identical across greedy repetitions). {} comparisons. {}{}",
      ref_list.empty() ? "none" : ref_list, comps.size(), chance_note(random, static_cast<int>(comps.size())),
      estimated_note(s));
  return {"chart-precision", "Precision comparison against the reference precision", caption, spec};
}

Chart timeline_chart(const Summary& s, const std::vector<results::Cell>& cells) {
  json values = json::array();
  json options = json::array();
  int n_cells = 0;
  size_t n_points = 0;
  std::set<std::string> labels;
  for (const auto& cell : cells) {
    const results::Repetition* rep = nullptr;
    for (const auto& r : cell.repetitions)
      if (!r.timeline.empty()) {
        rep = &r;
        break;
      }
    if (!rep || cell.status != results::CellStatus::kDone) continue;
    std::string machine = cell.machine_id;
    for (const auto& m : s.machines)
      if (m.id == cell.machine_id) machine = machine_label(m);
    std::string label = fmt::format("{} {} kv={} {} · {} · {} (rep {})", cell.key.model, cell.key.precision,
                                    cell.key.kv_type, cell.key.placement, cell.key.task, machine, rep->index);
    while (labels.count(label)) label += "'";
    labels.insert(label);
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
  spec["width"] = 620;
  spec["height"] = 260;
  if (!options.empty()) {
    spec["params"] = json::array({{{"name", "cell"},
                                   {"value", options.front()},
                                   {"bind", {{"input", "select"}, {"options", options}, {"name", "cell: "}}}}});
    spec["transform"] = json::array({{{"filter", "datum.cell == cell"}}});
  }
  spec["mark"] = {{"type", "line"}, {"interpolate", "linear"}};
  spec["encoding"] = {{"x", {{"field", "t"}, {"type", "quantitative"}, {"title", "time since window start (s)"}}},
                      {"y", {{"field", "watts"}, {"type", "quantitative"}, {"title", "power (W)"}}},
                      {"color", {{"field", "meter"}, {"type", "nominal"}}}};
  const std::string caption = fmt::format(
      "Sampled power (W) against time (s) of one repetition of a cell, one line per meter; pick the cell with the "
      "selector. {} cells have a stored timeline ({} points shown, at most {} per meter, evenly thinned).{}",
      n_cells, n_points, kMaxTimelinePoints, n_cells == 0 ? " No timeline stored: the plot is empty." : "");
  return {"chart-timeline", "Power timeline", caption, spec};
}

Chart limits_chart(const Summary& s) {
  const auto comps = compare_limits(s);
  json values = json::array();
  for (const auto& c : comps) {
    const auto& r = s.rows[c.row];
    const std::string label = fmt::format("{} · {} · {} ({})", short_label(r), r.key.task, c.gpu.name, c.phase);
    if (c.throughput_fraction)
      values.push_back({{"label", label},
                        {"measure", "tokens/s: achieved ÷ bound"},
                        {"fraction", *c.throughput_fraction},
                        {"achieved", *c.tokens_per_s},
                        {"bound", c.bound_tokens_per_s}});
    if (c.energy_fraction)
      values.push_back({{"label", label},
                        {"measure", "J/token: bound ÷ achieved (GPU)"},
                        {"fraction", *c.energy_fraction},
                        {"achieved", *c.j_per_token},
                        {"bound", c.bound_j_per_token}});
  }
  json spec = base("Achieved vs physical limit");
  spec["data"] = {{"values", values}};
  spec["width"] = 420;
  spec["height"] = {{"step", 14}};
  spec["mark"] = "bar";
  spec["encoding"] = {
      {"y", {{"field", "label"}, {"type", "nominal"}, {"title", nullptr}}},
      {"yOffset", {{"field", "measure"}, {"type", "nominal"}}},
      {"x", {{"field", "fraction"}, {"type", "quantitative"}, {"title", "fraction of the physical limit"}}},
      {"color", {{"field", "measure"}, {"type", "nominal"}, {"title", nullptr}}},
      {"tooltip", json::array({{{"field", "label"}},
                               {{"field", "measure"}},
                               {{"field", "fraction"}, {"format", ".3f"}},
                               {{"field", "achieved"}, {"format", ".4g"}},
                               {{"field", "bound"}, {"format", ".4g"}}})}};
  std::string caption = fmt::format(
      "How close {} cells on known GPUs came to the physical limits (fractions, 1 = at the limit). Prompt-only cells: "
      "compute bound = dense FP16/BF16 tensor FLOP/s ÷ (2 × parameters) tokens/s. Generating cells: bandwidth bound "
      "= memory bandwidth ÷ model file bytes tokens/s (achieved includes the prefill time: a lower bound). J/token "
      "bound = board power ÷ bound tokens/s; achieved J/token uses GPU meters only. Specs: ",
      comps.size());
  std::string specs;
  for (const auto& g : known_gpu_specs())
    specs += fmt::format("{}{} {:g} TFLOP/s, {:g} TB/s, {:g} W", specs.empty() ? "" : "; ", g.name, g.tflops,
                         g.tb_per_s, g.watts);
  caption += specs + "." + estimated_note(s);
  if (comps.empty())
    caption += " No cell ran fully on a known GPU with model size and parameters recorded: the plot is empty.";
  return {"chart-limits", "Achieved vs physical limit", caption, spec};
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
  std::vector<Chart> charts;
  charts.push_back(eor_heatmap(summary, "chart-eor-machine", "EOR per item by model × hardware", "machine", "model",
                               machine_of, model_of));
  charts.push_back(eor_heatmap(summary, "chart-eor-precision", "EOR per item by precision × task", "task", "precision",
                               task_of, precision_of));
  charts.push_back(pareto_chart(summary));
  charts.push_back(complexity_chart(summary));
  charts.push_back(precision_chart(summary));
  charts.push_back(timeline_chart(summary, cells));
  charts.push_back(limits_chart(summary));
  return charts;
}

}  // namespace jouleval::report
