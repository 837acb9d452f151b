#include "report/latency.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "report/identify.h"
#include "report/summary.h"

namespace jouleval::report {
namespace {

using nlohmann::json;

std::optional<double> number(const json& j, const std::string& key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

json parse(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json() : j;
}

const results::Machine* find_machine(const std::vector<results::Machine>& machines, const std::string& id) {
  for (const auto& m : machines)
    if (m.id == id) return &m;
  return nullptr;
}

// The steady window's energy per meter in one text: "gpu0 512.0 J (counter-scaled); cpu too short (3
// power samples inside, fewer than 10)".
std::string steady_meters_text(const json& steady) {
  std::string out;
  if (!steady.is_object() || !steady.contains("meters") || !steady["meters"].is_array()) return out;
  for (const json& m : steady["meters"]) {
    if (!m.is_object()) continue;
    const std::string name = m.value("meter", std::string());
    const std::string method = m.value("method", std::string());
    const std::string note = m.value("note", std::string());
    if (!out.empty()) out += "; ";
    if (const auto j = number(m, "joules"))
      out += fmt::format("{} {:.1f} J ({}{})", name, *j, method, note.empty() ? "" : ", " + note);
    else
      out += fmt::format("{} {}{}", name, method, note.empty() ? "" : " (" + note + ")");
  }
  return out;
}

constexpr const char* kMetrics[] = {"ttft", "itl", "e2e"};
constexpr const char* kLabels[] = {"TTFT", "ITL", "E2E"};

}  // namespace

Table latency_table(const std::vector<results::Cell>& cells, const std::vector<results::Machine>& machines) {
  Table t;
  t.columns = {{"cell_id", "Cell"}};
  t.columns[0].exact = true;
  append_identity_columns(t, true);
  std::vector<std::pair<std::string, std::string>> values = {
      {"concurrency", "Concurrency"}, {"requests", "Requests"}, {"streamed", "Streamed"}};
  for (int m = 0; m < 3; ++m)
    for (const char* p : {"p50", "p90", "p99"})
      values.emplace_back(fmt::format("{}_{}_ms", kMetrics[m], p), fmt::format("{} {} (ms)", kLabels[m], p));
  values.insert(values.end(), {{"requests_per_s", "Requests/s"},
                               {"output_tokens_per_s", "Output tokens/s"},
                               {"goodput_requests_per_s", "Goodput (requests/s)"},
                               {"slo_ttft_ms", "SLO TTFT (ms)"},
                               {"slo_itl_ms", "SLO ITL (ms)"},
                               {"offered_requests_per_s", "Offered requests/s"},
                               {"achieved_requests_per_s", "Achieved requests/s"},
                               {"steady_seconds", "Steady (s)"},
                               {"steady_output_tokens", "Steady output tokens"},
                               {"steady_joules", "Steady (J)"},
                               {"steady_j_per_output_token", "Steady J/output token"},
                               {"steady_energy", "Steady energy per meter"},
                               {"steady_note", "Steady window"}});
  t.columns.push_back(Column{"repetition", "Repetition"});
  for (const auto& [key, label] : values) t.columns.push_back(Column{key, label});
  std::vector<std::string> unrecorded;
  for (const auto& cell : cells)
    if (!find_machine(machines, cell.machine_id)) unrecorded.push_back(cell.machine_id);
  const auto labels = machine_labels(machines, unrecorded);
  std::vector<std::vector<results::IdentityField>> shown;
  for (const auto& cell : cells) {
    if (cell.status != results::CellStatus::kDone) continue;
    const std::string& label = labels.at(cell.machine_id);
    const json used = parse(cell.engine_used_json);
    bool any = false;
    for (const auto& rep : cell.repetitions) {
      if (rep.latency_json.empty()) continue;
      any = true;
      const json s = parse(rep.latency_json);
      std::vector<Value> row = {Value{cell.id}};
      for (Value& v : identity_values(label, cell.machine_id, cell.key)) row.push_back(std::move(v));
      row.push_back(Value{static_cast<int64_t>(rep.index)});
      for (const auto& [key, label_] : values) {
        if (key == "concurrency") {
          const auto c = number(used, "concurrency");
          row.push_back(c ? Value{static_cast<int64_t>(*c)} : Value{});
        } else if (key == "streamed") {
          row.push_back(s.is_object() && s.contains("streamed") && s["streamed"].is_boolean()
                            ? Value{s["streamed"].get<bool>()}
                            : Value{});
        } else if (key.rfind("steady_", 0) == 0) {
          const json steady = s.is_object() && s.contains("steady") ? s["steady"] : json();
          if (key == "steady_energy") {
            const std::string text = steady_meters_text(steady);
            row.push_back(text.empty() ? Value{} : Value{text});
          } else if (key == "steady_note") {
            const std::string note = steady.is_object() ? steady.value("note", std::string()) : std::string();
            const std::string basis = steady.is_object() ? steady.value("basis", std::string()) : std::string();
            row.push_back(note.empty() && basis.empty() ? Value{} : Value{note.empty() ? basis : note});
          } else {
            row.push_back(opt_value(number(steady, key.substr(7))));
          }
        } else if (key == "requests") {
          const auto n = number(s, key);
          row.push_back(n ? Value{static_cast<int64_t>(*n)} : Value{});
        } else {
          row.push_back(opt_value(number(s, key)));
        }
      }
      t.rows.push_back(std::move(row));
      t.row_estimated.push_back(false);
    }
    if (any) shown.push_back(results::identity_fields(label, cell.key));
  }
  t.default_columns = {"cell_id"};
  for (const auto& k : compact_identity_columns(shown)) t.default_columns.push_back(k);
  for (const char* k : {"repetition", "concurrency", "ttft_p50_ms", "ttft_p99_ms", "itl_p50_ms", "itl_p99_ms",
                        "e2e_p50_ms", "e2e_p99_ms", "requests_per_s", "output_tokens_per_s", "goodput_requests_per_s",
                        "steady_seconds", "steady_j_per_output_token"})
    t.default_columns.push_back(k);
  return t;
}

std::optional<std::string> latency_line(const results::Repetition& rep) {
  if (rep.latency_json.empty()) return std::nullopt;
  const json s = parse(rep.latency_json);
  if (!s.is_object()) return std::nullopt;
  auto ms = [&](const std::string& key) {
    const auto v = number(s, key);
    return v ? fmt::format("{:.0f}", *v) : std::string("-");
  };
  std::string out = "latency:";
  for (int m = 0; m < 3; ++m) {
    const std::string k = kMetrics[m];
    if (!number(s, k + "_p50_ms")) continue;  // not streamed: no TTFT / ITL
    out += fmt::format(" {} p50 {} / p90 {} / p99 {} ms;", kLabels[m], ms(k + "_p50_ms"), ms(k + "_p90_ms"),
                       ms(k + "_p99_ms"));
  }
  out += fmt::format(" {:.2f} req/s, {:.0f} tok/s", number(s, "requests_per_s").value_or(0),
                     number(s, "output_tokens_per_s").value_or(0));
  if (const auto g = number(s, "goodput_requests_per_s")) {
    std::string slo;
    if (const auto v = number(s, "slo_ttft_ms")) slo += fmt::format("TTFT <= {:g} ms", *v);
    if (const auto v = number(s, "slo_itl_ms")) slo += fmt::format("{}ITL <= {:g} ms", slo.empty() ? "" : ", ", *v);
    out += fmt::format("; goodput {:.2f} req/s ({})", *g, slo);
  }
  if (const auto offered = number(s, "offered_requests_per_s")) {
    const auto achieved = number(s, "achieved_requests_per_s");
    out += fmt::format("; Poisson {:g} req/s offered, {} sent", *offered,
                       achieved ? fmt::format("{:.2f} req/s", *achieved) : std::string("-"));
  }
  if (s.contains("streamed") && s["streamed"] == false) out += " (not streamed: end-to-end latency only)";
  if (const json steady = s.value("steady", json()); steady.is_object()) {
    const std::string note = steady.value("note", std::string());
    if (!note.empty()) {
      out += fmt::format("; steady window: none ({})", note);
    } else {
      out += fmt::format("; steady {:.1f} s, {:.0f} output tokens", number(steady, "seconds").value_or(0),
                         number(steady, "output_tokens").value_or(0));
      if (const auto j = number(steady, "joules")) {
        const auto per = number(steady, "j_per_output_token");
        out += fmt::format(", {:.1f} J{}", *j, per ? fmt::format(" ({:.4g} J/output token)", *per) : "");
      } else if (const std::string meters = steady_meters_text(steady); !meters.empty()) {
        out += fmt::format(" ({})", meters);
      }
    }
  }
  return out;
}

}  // namespace jouleval::report
