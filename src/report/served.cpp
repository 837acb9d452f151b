#include "report/served.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "report/identify.h"
#include "report/metrics.h"

namespace jouleval::report {
namespace {

using nlohmann::json;

std::optional<double> number(const json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// Mean of `values` when every one is present (and there is one), else absent.
std::optional<double> mean_of_all(const std::vector<std::optional<double>>& values) {
  if (values.empty()) return std::nullopt;
  double sum = 0.0;
  for (const auto& v : values) {
    if (!v) return std::nullopt;
    sum += *v;
  }
  return sum / static_cast<double>(values.size());
}

std::optional<double> divide(std::optional<double> a, double b) {
  if (!a || !(b > 0.0)) return std::nullopt;
  return *a / b;
}

const char* kIdleSubtracted = "idle-subtracted";
const char* kTotal = "total (no idle baseline)";
const char* kUnavailable = "unavailable (no meter reading)";

std::optional<double> mean_stat(const std::optional<results::Stat>& s) {
  return s ? std::optional<double>(s->mean) : std::nullopt;
}

}  // namespace

bool is_endpoint_cell(const results::CellKey& key) { return key.placement.rfind("endpoint:", 0) == 0; }

std::vector<ServedLoadRow> served_load_rows(const Summary& summary, const std::vector<results::Cell>& cells) {
  // The finished endpoint cells that recorded latency, and their identities (for the series labels).
  std::vector<const results::Cell*> shown;
  std::vector<std::vector<results::IdentityField>> ids;
  for (const auto& cell : cells) {
    if (cell.status != results::CellStatus::kDone || !is_endpoint_cell(cell.key)) continue;
    if (std::none_of(cell.repetitions.begin(), cell.repetitions.end(),
                     [](const results::Repetition& r) { return !r.latency_json.empty(); }))
      continue;
    shown.push_back(&cell);
    const auto label = summary.machine_labels.find(cell.machine_id);
    ids.push_back(
        results::identity_fields(label == summary.machine_labels.end() ? cell.machine_id : label->second, cell.key));
  }
  const auto keys = distinguishing_fields(ids, {}, {"task", "parallel"});
  std::vector<ServedLoadRow> rows;
  std::vector<std::string> task_order;
  for (size_t k = 0; k < shown.size(); ++k) {
    const results::Cell& cell = *shown[k];
    ServedLoadRow row;
    row.cell_id = cell.id;
    row.task = cell.key.task;
    row.series = row_label(ids[k], keys);
    row.concurrency = cell.key.engine.max_sequences;
    if (std::find(task_order.begin(), task_order.end(), row.task) == task_order.end()) task_order.push_back(row.task);
    std::map<std::string, std::vector<std::optional<double>>> per_rep;
    std::vector<std::optional<double>> active, total;
    std::vector<double> requests, generated;
    for (const auto& rep : cell.repetitions) {
      if (rep.latency_json.empty()) continue;
      const json s = json::parse(rep.latency_json, nullptr, false);
      ++row.repetitions;
      for (const char* key : {"requests_per_s", "output_tokens_per_s", "goodput_requests_per_s", "ttft_p50_ms",
                              "ttft_p99_ms", "itl_p50_ms", "itl_p99_ms", "e2e_p50_ms", "e2e_p99_ms"})
        per_rep[key].push_back(number(s, key));
      // The window's energy: compute_repetition gives it per pass.
      const RepetitionMetrics m = compute_repetition(rep, std::nullopt);
      const double passes = std::max(1, rep.passes);
      active.push_back(m.active_j ? std::optional<double>(*m.active_j * passes) : std::nullopt);
      total.push_back(m.total_j ? std::optional<double>(*m.total_j * passes) : std::nullopt);
      requests.push_back(number(s, "requests").value_or(0.0));
      generated.push_back(static_cast<double>(rep.generated_tokens));
    }
    row.requests_per_s = mean_of_all(per_rep["requests_per_s"]);
    row.output_tokens_per_s = mean_of_all(per_rep["output_tokens_per_s"]);
    row.goodput_requests_per_s = mean_of_all(per_rep["goodput_requests_per_s"]);
    row.ttft_p50_ms = mean_of_all(per_rep["ttft_p50_ms"]);
    row.ttft_p99_ms = mean_of_all(per_rep["ttft_p99_ms"]);
    row.itl_p50_ms = mean_of_all(per_rep["itl_p50_ms"]);
    row.itl_p99_ms = mean_of_all(per_rep["itl_p99_ms"]);
    row.e2e_p50_ms = mean_of_all(per_rep["e2e_p50_ms"]);
    row.e2e_p99_ms = mean_of_all(per_rep["e2e_p99_ms"]);
    const bool idle = std::all_of(active.begin(), active.end(), [](const auto& v) { return v.has_value(); });
    const bool any = std::all_of(total.begin(), total.end(), [](const auto& v) { return v.has_value(); });
    const std::vector<std::optional<double>>& energy = idle ? active : total;
    row.energy_basis = idle ? kIdleSubtracted : any ? kTotal : kUnavailable;
    std::vector<std::optional<double>> per_request, per_token;
    for (size_t i = 0; i < energy.size(); ++i) {
      per_request.push_back(divide(energy[i], requests[i]));
      per_token.push_back(divide(energy[i], generated[i]));
    }
    row.j_per_request = mean_of_all(per_request);
    row.j_per_output_token = mean_of_all(per_token);
    rows.push_back(std::move(row));
  }
  std::stable_sort(rows.begin(), rows.end(), [&](const ServedLoadRow& a, const ServedLoadRow& b) {
    const auto ta = std::find(task_order.begin(), task_order.end(), a.task) - task_order.begin();
    const auto tb = std::find(task_order.begin(), task_order.end(), b.task) - task_order.begin();
    if (ta != tb) return ta < tb;
    if (a.series != b.series) return a.series < b.series;
    return a.concurrency < b.concurrency;
  });
  return rows;
}

Table served_load_table(const std::vector<ServedLoadRow>& rows, const std::string& task) {
  const bool series = std::any_of(rows.begin(), rows.end(),
                                  [&](const ServedLoadRow& r) { return r.task == task && !r.series.empty(); });
  Table t;
  t.columns.push_back(Column{"cell_id", "Cell"});
  t.columns.back().exact = true;
  if (series) t.columns.push_back(Column{"series", "Deployment"});
  t.columns.push_back(Column{"concurrency", "Concurrency"});
  struct Num {
    const char* key;
    const char* label;
    std::optional<double> ServedLoadRow::*field;
    bool energy;
    const char* absent;
  };
  const Num nums[] = {
      {"requests_per_s", "Requests/s", &ServedLoadRow::requests_per_s, false, "unavailable"},
      {"output_tokens_per_s", "Output tokens/s", &ServedLoadRow::output_tokens_per_s, false, "unavailable"},
      {"goodput_requests_per_s", "Goodput (requests/s)", &ServedLoadRow::goodput_requests_per_s, false, "no objective"},
      {"ttft_p50_ms", "TTFT p50 (ms)", &ServedLoadRow::ttft_p50_ms, false, "not streamed"},
      {"ttft_p99_ms", "TTFT p99 (ms)", &ServedLoadRow::ttft_p99_ms, false, "not streamed"},
      {"itl_p50_ms", "ITL p50 (ms)", &ServedLoadRow::itl_p50_ms, false, "not streamed"},
      {"itl_p99_ms", "ITL p99 (ms)", &ServedLoadRow::itl_p99_ms, false, "not streamed"},
      {"e2e_p50_ms", "E2E p50 (ms)", &ServedLoadRow::e2e_p50_ms, false, "unavailable"},
      {"e2e_p99_ms", "E2E p99 (ms)", &ServedLoadRow::e2e_p99_ms, false, "unavailable"},
      {"j_per_request", "J per request", &ServedLoadRow::j_per_request, true, "unavailable"},
      {"j_per_output_token", "J per output token", &ServedLoadRow::j_per_output_token, true, "unavailable"},
  };
  for (const Num& n : nums) {
    Column c{n.key, n.label};
    c.energy = n.energy;
    c.absent_text = n.absent;
    t.columns.push_back(c);
  }
  t.columns.push_back(Column{"energy_basis", "Energy"});
  for (const ServedLoadRow& r : rows) {
    if (r.task != task) continue;
    std::vector<Value> row = {Value{r.cell_id}};
    if (series) row.push_back(Value{r.series});
    row.push_back(Value{r.concurrency});
    for (const Num& n : nums) row.push_back(opt_value(r.*n.field));
    row.push_back(Value{r.energy_basis});
    t.rows.push_back(std::move(row));
    t.row_estimated.push_back(false);
  }
  for (const auto& c : t.columns) t.default_columns.push_back(c.key);
  return t;
}

Chart served_load_chart(const std::vector<ServedLoadRow>& rows) {
  json values = json::array();
  bool any_energy = false, any_e2e = false;
  std::vector<std::string> tasks;
  for (const ServedLoadRow& r : rows) {
    const std::string line = r.series.empty() ? r.task : r.task + " · " + r.series;
    values.push_back({{"line", line},
                      {"concurrency", r.concurrency},
                      {"j_per_output_token", r.j_per_output_token ? json(*r.j_per_output_token) : json(nullptr)},
                      {"e2e_p99_ms", r.e2e_p99_ms ? json(*r.e2e_p99_ms) : json(nullptr)}});
    any_energy = any_energy || r.j_per_output_token.has_value();
    any_e2e = any_e2e || r.e2e_p99_ms.has_value();
    if (std::find(tasks.begin(), tasks.end(), r.task) == tasks.end()) tasks.push_back(r.task);
  }
  auto panel = [](const char* field, const char* title) {
    const json x = {{"field", "concurrency"},
                    {"type", "quantitative"},
                    {"scale", {{"type", "log"}, {"base", 2}}},
                    {"title", "concurrency (requests in flight)"}};
    const json y = {{"field", field}, {"type", "quantitative"}, {"title", title}};
    const json color = {{"field", "line"}, {"type", "nominal"}, {"legend", {{"title", nullptr}, {"orient", "bottom"}}}};
    const json tooltip = json::array({{{"field", "line"}}, {{"field", "concurrency"}}, {{"field", field}}});
    return json{
        {"width", 300},
        {"height", 220},
        {"transform", json::array({{{"filter", fmt::format("isValid(datum.{})", field)}}})},
        {"layer", json::array({{{"mark", {{"type", "line"}}}, {"encoding", {{"x", x}, {"y", y}, {"color", color}}}},
                               {{"mark", {{"type", "point"}, {"filled", true}}},
                                {"encoding", {{"x", x}, {"y", y}, {"color", color}, {"tooltip", tooltip}}}}})}};
  };
  Chart chart;
  chart.id = "chart-served-load";
  chart.title = "Served deployments: energy and latency against concurrency";
  chart.spec = {{"$schema", "https://vega.github.io/schema/vega-lite/v6.json"},
                {"description", chart.title},
                {"data", {{"values", values}}},
                {"hconcat", json::array()}};
  // Without any energy reading the energy panel would be an empty frame: the caption says why instead.
  if (any_energy) chart.spec["hconcat"].push_back(panel("j_per_output_token", "J per output token"));
  chart.spec["hconcat"].push_back(panel("e2e_p99_ms", "p99 end-to-end latency (ms)"));
  std::string task_list;
  for (const auto& t : tasks) task_list += (task_list.empty() ? "" : ", ") + t;
  chart.caption = fmt::format(
      "{}99th percentile of end-to-end request latency (ms), against the number of requests in flight (log scale), one "
      "line per task and deployment ({} endpoint cells; tasks: "
      "{}). Means over repetitions.{}",
      any_energy ? "Left: energy per generated token (J, the measured window's energy ÷ its output tokens, "
                   "idle-subtracted where an idle baseline was measured) and right: the "
                 : "The ",
      rows.size(), task_list,
      any_energy ? "" : " Energy per output token is not drawn: no endpoint cell has a meter reading.");
  if (!any_energy && !any_e2e) chart.unavailable = "no endpoint cell recorded latency or energy";
  return chart;
}

std::vector<ServedVsInProcess> served_vs_in_process(const Summary& summary, const std::vector<results::Cell>& cells) {
  std::map<int64_t, std::string> stems;  // cell id -> its model file's stem
  for (const auto& cell : cells)
    if (!cell.model_path.empty()) stems[cell.id] = std::filesystem::path(cell.model_path).stem().string();
  std::vector<ServedVsInProcess> out;
  for (const SummaryRow& s : summary.rows) {
    if (!is_endpoint_cell(s.key)) continue;
    for (const SummaryRow& l : summary.rows) {
      if (is_endpoint_cell(l.key) || l.key.task != s.key.task || l.key.limit != s.key.limit) continue;
      const auto stem = stems.find(l.cell_id);
      if (s.key.model != l.key.model && (stem == stems.end() || s.key.model != stem->second)) continue;
      ServedVsInProcess p;
      p.served_cell = s.cell_id;
      p.in_process_cell = l.cell_id;
      p.task = s.key.task;
      p.limit = s.key.limit;
      p.served = fmt::format("{} · {} · concurrency {} · {}", s.key.model,
                             s.key.engine.endpoint_api.empty() ? "completions" : s.key.engine.endpoint_api,
                             s.key.engine.max_sequences, s.machine_label);
      p.in_process = fmt::format("{} · {} · {} · {}", l.key.model, l.key.precision, l.key.placement, l.machine_label);
      p.served_score = s.metrics.score;
      p.in_process_score = l.metrics.score;
      p.served_j_per_question = mean_stat(s.metrics.stats.j_per_question);
      p.in_process_j_per_question = mean_stat(l.metrics.stats.j_per_question);
      p.served_tokens_per_s = mean_stat(s.metrics.stats.tokens_per_s);
      p.in_process_tokens_per_s = mean_stat(l.metrics.stats.tokens_per_s);
      out.push_back(std::move(p));
    }
  }
  return out;
}

Table served_vs_in_process_table(const std::vector<ServedVsInProcess>& pairs) {
  Table t;
  t.columns = {{"task", "Task"},
               {"limit", "Limit"},
               {"served_cell", "Served cell"},
               {"served", "Served"},
               {"in_process_cell", "In-process cell"},
               {"in_process", "In-process"},
               {"served_score", "Accuracy served"},
               {"in_process_score", "Accuracy in-process"},
               {"served_j_per_question", "J/question served", true},
               {"in_process_j_per_question", "J/question in-process", true},
               {"served_tokens_per_s", "Tokens/s served"},
               {"in_process_tokens_per_s", "Tokens/s in-process"}};
  for (const auto& p : pairs) {
    t.rows.push_back({Value{p.task}, Value{int64_t{p.limit}}, Value{p.served_cell}, Value{p.served},
                      Value{p.in_process_cell}, Value{p.in_process}, opt_value(p.served_score),
                      opt_value(p.in_process_score), opt_value(p.served_j_per_question),
                      opt_value(p.in_process_j_per_question), opt_value(p.served_tokens_per_s),
                      opt_value(p.in_process_tokens_per_s)});
    t.row_estimated.push_back(false);
  }
  for (const auto& c : t.columns) t.default_columns.push_back(c.key);
  return t;
}

}  // namespace jouleval::report
