#include "report/charts.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "report/identify.h"
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

// EOR per item by two identity fields; a square holding several cells shows their mean and says so
// (the cell count in its text; the count and the fields the cells differ in, in its tooltip).
Chart eor_heatmap(const Summary& s, const std::string& id, const std::string& title, const std::string& xkey,
                  const std::string& xname, const std::string& ykey, const std::string& yname) {
  struct Square {
    double sum = 0.0;
    int items = 0;
    std::vector<size_t> rows;
  };
  std::map<std::pair<std::string, std::string>, Square> squares;
  int cells = 0, random = 0, items = 0, missing = 0;
  for (size_t i = 0; i < s.rows.size(); ++i) {
    const SummaryRow& r = s.rows[i];
    const auto& e = r.metrics.stats.eor_item;
    if (!e) {
      ++missing;
      continue;
    }
    auto& q = squares[{field_value(r.identity, xkey), field_value(r.identity, ykey)}];
    q.sum += e->mean;
    q.rows.push_back(i);
    q.items += r.metrics.items;
    ++cells;
    random += r.metrics.random_weights;
    items += r.metrics.items;
  }
  json values = json::array();
  int averaged = 0;
  std::set<std::string> over_all;
  for (const auto& [k, q] : squares) {
    const auto n = static_cast<int>(q.rows.size());
    const double mean = q.sum / n;
    std::string over;
    if (n > 1) {
      ++averaged;
      const auto fields = distinguishing_fields(identities(s, q.rows), {}, {xkey, ykey});
      over = join(fields);
      over_all.insert(fields.begin(), fields.end());
    }
    values.push_back({{"x", k.first},
                      {"y", k.second},
                      {"eor_item", mean},
                      {"text", n > 1 ? fmt::format("{} (mean of {})", format_number(mean), n) : format_number(mean)},
                      {"cells", n},
                      {"averaged_over", over},
                      {"items", q.items}});
  }
  json spec = base(title);
  spec["data"] = {{"values", values}};
  spec["width"] = 420;
  spec["height"] = {{"step", 28}};
  json enc = {
      {"x",
       {{"field", "x"}, {"type", "nominal"}, {"title", xname}, {"axis", {{"labelAngle", -25}, {"labelLimit", 0}}}}},
      {"y", {{"field", "y"}, {"type", "nominal"}, {"title", yname}, {"axis", {{"labelLimit", 0}}}}}};
  json tooltip = json::array(
      {{{"field", "x"}, {"title", xname}},
       {{"field", "y"}, {"title", yname}},
       {{"field", "eor_item"}, {"title", "EOR per item (score/Wh per item; mean over the cells)"}, {"format", ".4g"}},
       {{"field", "cells"}, {"title", "cells averaged"}},
       {{"field", "averaged_over"}, {"title", "averaged over (fields the cells differ in)"}},
       {{"field", "items"}, {"title", "items (all cells)"}}});
  json rect = {
      {"mark", "rect"},
      {"encoding",
       {{"color", {{"field", "eor_item"}, {"type", "quantitative"}, {"title", "EOR/item"}}}, {"tooltip", tooltip}}}};
  json text = {{"mark", {{"type", "text"}, {"fontSize", 10}}}, {"encoding", {{"text", {{"field", "text"}}}}}};
  spec["encoding"] = enc;
  spec["layer"] = json::array({rect, text});
  std::string caption =
      fmt::format("EOR per item (score ÷ Wh per item; 1/Wh) by {} × {}; {} cells, {} items per repetition in all. ",
                  yname, xname, cells, items);
  if (averaged > 0)
    caption += fmt::format(
        "{} of {} squares hold several cells and show their mean, averaged over the fields those cells differ in "
        "({}); each square's text gives the number of cells, its tooltip the fields. ",
        averaged, squares.size(), join({over_all.begin(), over_all.end()}));
  else
    caption += "Each square is one cell (nothing averaged). ";
  caption += chance_note(random, cells) + estimated_note(s);
  if (missing) caption += fmt::format(" {} cells without energy or score are left out (unavailable).", missing);
  return {id, title, caption, spec};
}

Chart pareto_chart(const Summary& s) {
  std::vector<size_t> shown;
  for (size_t i = 0; i < s.rows.size(); ++i)
    if (s.rows[i].metrics.stats.j_per_question && s.rows[i].metrics.score) shown.push_back(i);
  // One panel per workload (the task, and limit, shots, preset and seed where they differ): a front
  // compares configurations on the same items only.
  const auto ids = identities(s, shown);
  std::vector<std::string> workload = {"task"};
  for (const auto& k : results::varying_fields(ids))
    if (k != "task" && std::find(workload_keys().begin(), workload_keys().end(), k) != workload_keys().end())
      workload.push_back(k);
  const auto config_keys = distinguishing_fields(ids, {"model", "precision"}, workload_keys());
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
                        {"config", row_label(r.identity, config_keys)},
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
  spec["facet"] = {{"field", "task"}, {"type", "nominal"}, {"title", "workload"}};
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
      "Accuracy (task headline metric, 0–1) against energy per question (J, mean over repetitions), one point per "
      "cell, one panel per workload ({}); {} cells, {} on the Pareto front (dashed line: no other cell of the panel "
      "is both cheaper and more accurate). {}{}",
      join(workload), cells, front, chance_note(random, cells), estimated_note(s));
  return {"chart-pareto", "Accuracy vs energy per question (Pareto front)", caption, spec};
}

Chart complexity_chart(const Summary& s) {
  std::vector<size_t> shown;
  for (size_t i = 0; i < s.rows.size(); ++i) {
    const auto& m = s.rows[i].metrics;
    if (!m.stats.j_per_question || m.items <= 0 || m.stats.j_per_question->mean <= 0.0) continue;
    if ((m.prompt_tokens + m.generated_tokens) / m.items <= 0.0) continue;
    shown.push_back(i);
  }
  const auto keys = distinguishing_fields(identities(s, shown), {"model", "precision", "task"});
  json values = json::array();
  int cells = 0, random = 0, items = 0;
  for (size_t i : shown) {
    const SummaryRow& r = s.rows[i];
    const auto& m = r.metrics;
    const double tpq = (m.prompt_tokens + m.generated_tokens) / m.items;
    values.push_back({{"task", r.key.task},
                      {"config", row_label(r.identity, keys)},
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
  std::vector<size_t> compared;
  for (const auto& c : comps) compared.push_back(c.row);
  // The fields that tell the comparisons apart (the precision is in every label).
  const auto keys = distinguishing_fields(identities(s, compared), {"model", "task"}, {"precision", "file_sha256"});
  json values = json::array();
  int random = 0;
  std::set<std::string> refs;
  for (const auto& c : comps) {
    auto pct = [](const std::optional<double>& v) { return v ? json(100.0 * *v) : json(nullptr); };
    values.push_back(
        {{"label", fmt::format("{} · {} vs {}", row_label(s.rows[c.row].identity, keys), c.precision, c.reference)},
         {"energy_reduction", pct(c.energy_reduction)},
         {"energy_lo", pct(c.energy_ci_low)},
         {"energy_hi", pct(c.energy_ci_high)},
         {"accuracy_change", pct(c.accuracy_change)},
         {"accuracy_lo", pct(c.accuracy_ci_low)},
         {"accuracy_hi", pct(c.accuracy_ci_high)}});
    random += c.random_weights;
    refs.insert(c.reference);
  }
  // The second panel has the first one's rows in the same order: its labels are left out.
  auto panel = [](const char* field, const char* lo, const char* hi, const char* title, bool labels) {
    // Labels are never truncated: two of them may differ only at their end.
    json y = {{"field", "label"},
              {"type", "nominal"},
              {"title", nullptr},
              {"sort", nullptr},
              {"axis", {{"labelLimit", 0}, {"labels", labels}}}};
    json bar = {{"mark", {{"type", "bar"}, {"opacity", 0.7}}},
                {"encoding",
                 {{"y", y},
                  {"x", {{"field", field}, {"type", "quantitative"}, {"title", title}, {"stack", nullptr}}},
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
  spec["hconcat"] =
      json::array({panel("energy_reduction", "energy_lo", "energy_hi", "energy reduction (%)", true),
                   panel("accuracy_change", "accuracy_lo", "accuracy_hi", "accuracy change (points)", false)});
  std::string ref_list;
  for (const auto& r : refs) ref_list += (ref_list.empty() ? "" : ", ") + r;
  const std::string caption = fmt::format(
      "Energy reduction (%, 1 − J/question ÷ reference J/question) and accuracy change (percentage points) of each "
      "precision against the reference precision among the cells identical to it except for the precision (same "
      "machine, model, KV type, placement, task, limit, shots, preset, seed and engine settings; reference: "
      "fp16/bf16, else fp32, else the highest-bit precision present; here {}). One bar per comparison. Black rules: "
      "95% "
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
          "{:.3g} × the bound, drawn clamped at 1: an assumption of the bound does not hold for this cell (see the "
          "caption)",
          fraction);
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
  json spec = base("Achieved vs physical limit");
  spec["data"] = {{"values", values}};
  spec["width"] = 420;
  spec["height"] = {{"step", 14}};
  spec["mark"] = "bar";
  spec["encoding"] = {
      {"y",
       {{"field", "label"}, {"type", "nominal"}, {"title", nullptr}, {"sort", nullptr}, {"axis", {{"labelLimit", 0}}}}},
      {"yOffset", {{"field", "measure"}, {"type", "nominal"}}},
      {"x",
       {{"field", "fraction"},
        {"type", "quantitative"},
        {"title", "fraction of the physical limit (clamped at 1)"},
        {"stack", nullptr},
        {"scale", {{"domain", {0, 1}}}}}},
      {"color", {{"field", "measure"}, {"type", "nominal"}, {"title", nullptr}, {"legend", {{"labelLimit", 0}}}}},
      {"stroke", {{"condition", {{"test", "datum.above_bound"}, {"value", "black"}}}, {"value", nullptr}}},
      {"strokeWidth", {{"condition", {{"test", "datum.above_bound"}, {"value", 2}}}, {"value", 0}}},
      {"tooltip", json::array({{{"field", "label"}},
                               {{"field", "measure"}},
                               {{"field", "achieved_fraction"}, {"format", ".3f"}, {"title", "fraction"}},
                               {{"field", "achieved"}, {"format", ".4g"}},
                               {{"field", "bound"}, {"format", ".4g"}},
                               {{"field", "batch"}, {"format", ".3g"}, {"title", "B (tokens per weight read)"}},
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
    caption +=
        fmt::format("B, the generated tokens per read of the weights, is estimated per cell from {} (here {:.3g}",
                    join({bases.begin(), bases.end()}, "; "), b_min);
    caption += b_max != b_min ? fmt::format(" to {:.3g}). ", b_max) : "). ";
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
  charts.push_back(eor_heatmap(summary, "chart-eor-machine", "EOR per item by model × hardware", "machine", "machine",
                               "model", "model"));
  charts.push_back(eor_heatmap(summary, "chart-eor-precision", "EOR per item by precision × task", "task", "task",
                               "precision", "precision"));
  charts.push_back(pareto_chart(summary));
  charts.push_back(complexity_chart(summary));
  charts.push_back(precision_chart(summary));
  charts.push_back(timeline_chart(summary, cells));
  charts.push_back(limits_chart(summary));
  return charts;
}

}  // namespace jouleval::report
