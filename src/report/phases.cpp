#include "report/phases.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "report/identify.h"
#include "report/summary.h"

namespace jouleval::report {
namespace {

const results::Machine* find_machine(const std::vector<results::Machine>& machines, const std::string& id) {
  for (const auto& m : machines)
    if (m.id == id) return &m;
  return nullptr;
}

std::optional<double> per_token(const results::PhaseEnergy& p) {
  if (!p.joules || p.tokens <= 0) return std::nullopt;
  return *p.joules / static_cast<double>(p.tokens);
}

// "counter-scaled (2 of 3 repetitions; 1 too short)" from the methods of the repetitions.
std::string combined_method(const std::vector<std::string>& methods) {
  std::map<std::string, int> counts;
  for (const auto& m : methods) ++counts[m];
  if (counts.size() == 1) return methods.front();
  std::string out;
  for (const auto& m : methods) {
    if (counts.count(m) == 0) continue;
    out += out.empty() ? fmt::format("{} ({} of {} repetitions", m, counts[m], methods.size())
                       : fmt::format("; {} {}", counts[m], m);
    counts.erase(m);
  }
  return out + ")";
}

}  // namespace

std::vector<CellPhase> cell_phases(const results::Cell& cell) {
  std::vector<CellPhase> out;
  std::vector<std::vector<std::string>> methods;
  std::vector<int> per_token_count;
  std::vector<int> idle_count;
  for (const auto& rep : cell.repetitions) {
    const double passes = std::max(1, rep.passes);
    for (const auto& p : rep.phases) {
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const CellPhase& c) { return c.meter == p.meter && c.phase == p.phase; });
      if (it == out.end()) {
        CellPhase c;
        c.meter = p.meter;
        c.phase = p.phase;
        out.push_back(c);
        methods.emplace_back();
        per_token_count.push_back(0);
        idle_count.push_back(0);
        it = out.end() - 1;
      }
      const auto k = static_cast<size_t>(it - out.begin());
      // Prefill, decode and other add up over the passes; steady is one stretch of one pass.
      const double scale = p.phase == "steady" ? 1.0 : 1.0 / passes;
      ++it->repetitions;
      it->seconds += p.seconds * scale;
      it->tokens += static_cast<double>(p.tokens) * scale;
      it->batch = std::max(it->batch, p.batch);
      methods[k].push_back(p.method);
      if (it->note.empty()) it->note = p.note;
      if (p.joules) {
        ++it->with_energy;
        it->joules = it->joules.value_or(0.0) + *p.joules * scale;
      }
      if (p.joules_idle_subtracted) {
        ++idle_count[k];
        it->joules_idle_subtracted = it->joules_idle_subtracted.value_or(0.0) + *p.joules_idle_subtracted * scale;
      }
      if (const auto jpt = per_token(p)) {
        ++per_token_count[k];
        it->joules_per_token = it->joules_per_token.value_or(0.0) + *jpt;
      }
    }
  }
  for (size_t k = 0; k < out.size(); ++k) {
    CellPhase& c = out[k];
    c.seconds /= c.repetitions;
    c.tokens /= c.repetitions;
    if (c.joules) *c.joules /= c.with_energy;
    if (c.joules_idle_subtracted) *c.joules_idle_subtracted /= idle_count[k];
    if (c.joules_per_token) *c.joules_per_token /= per_token_count[k];
    c.method = combined_method(methods[k]);
  }
  return out;
}

Table cell_phases_table(const std::vector<results::Cell>& cells, const std::map<std::string, std::string>& labels) {
  Table t;
  t.columns = {{"cell_id", "Cell"},
               {"config", "Cell identity"},
               {"meter", "Meter"},
               {"phase", "Phase"},
               {"seconds", "Time (s)"},
               {"tokens", "Tokens"},
               {"sequences", "Sequences (B)"},
               {"joules", "Energy (J)", true},
               {"joules_idle_subtracted", "Energy above idle (J)", true},
               {"j_per_token", "J per token", true},
               {"method", "Method"}};
  t.columns[0].exact = true;
  std::vector<const results::Cell*> shown;
  std::vector<std::vector<results::IdentityField>> ids;
  for (const auto& cell : cells) {
    if (cell.status != results::CellStatus::kDone) continue;
    const bool any = std::any_of(cell.repetitions.begin(), cell.repetitions.end(),
                                 [](const results::Repetition& r) { return !r.phases.empty(); });
    if (!any) continue;
    shown.push_back(&cell);
    auto label = labels.find(cell.machine_id);
    ids.push_back(results::identity_fields(label == labels.end() ? cell.machine_id : label->second, cell.key));
  }
  const auto keys = distinguishing_fields(ids, {"machine", "model", "precision", "task"});
  for (size_t i = 0; i < shown.size(); ++i) {
    for (const CellPhase& p : cell_phases(*shown[i])) {
      std::string method = p.method;
      if (!p.note.empty() && !p.joules) method += ": " + p.note;
      t.rows.push_back({Value{shown[i]->id}, Value{row_label(ids[i], keys)},
                        p.meter.empty() ? Value{std::string("no meter")} : Value{p.meter}, Value{p.phase},
                        Value{p.seconds}, count_value(p.tokens), Value{static_cast<int64_t>(p.batch)},
                        opt_value(p.joules), opt_value(p.joules_idle_subtracted), opt_value(p.joules_per_token),
                        Value{method}});
      t.row_estimated.push_back(false);
    }
  }
  return t;
}

Table phases_table(const std::vector<results::Cell>& cells, const std::vector<results::Machine>& machines) {
  Table t;
  t.columns = {{"cell_id", "Cell"}};
  t.columns[0].exact = true;
  append_identity_columns(t, true);
  auto add = [&](const char* key, const char* label, bool energy = false) {
    Column c{key, label, energy};
    t.columns.push_back(c);
  };
  add("repetition", "Repetition");
  add("passes", "Passes");
  add("meter", "Meter");
  add("phase", "Phase");
  add("seconds", "Time (s)");
  add("tokens", "Tokens");
  add("steps", "Steps");
  add("sequences", "Sequences (B)");  // not "batch": the identity's batch is the engine's batch size
  add("joules", "Energy (J)", true);
  add("joules_idle_subtracted", "Energy above idle (J)", true);
  add("j_per_token", "J per token", true);
  add("method", "Method");
  add("note", "Note");
  std::vector<std::string> unrecorded;
  for (const auto& cell : cells)
    if (!find_machine(machines, cell.machine_id)) unrecorded.push_back(cell.machine_id);
  const auto labels = machine_labels(machines, unrecorded);
  std::vector<std::vector<results::IdentityField>> shown;
  for (const auto& cell : cells) {
    if (cell.status != results::CellStatus::kDone) continue;
    const std::string& label = labels.at(cell.machine_id);
    bool any = false;
    for (const auto& rep : cell.repetitions) {
      for (const auto& p : rep.phases) {
        any = true;
        std::vector<Value> row = {Value{cell.id}};
        for (Value& v : identity_values(label, cell.machine_id, cell.key)) row.push_back(std::move(v));
        const std::vector<Value> rest = {Value{static_cast<int64_t>(rep.index)},
                                         Value{static_cast<int64_t>(rep.passes)},
                                         Value{p.meter},
                                         Value{p.phase},
                                         Value{p.seconds},
                                         Value{p.tokens},
                                         Value{static_cast<int64_t>(p.steps)},
                                         Value{static_cast<int64_t>(p.batch)},
                                         opt_value(p.joules),
                                         opt_value(p.joules_idle_subtracted),
                                         opt_value(per_token(p)),
                                         Value{p.method},
                                         p.note.empty() ? Value{} : Value{p.note}};
        row.insert(row.end(), rest.begin(), rest.end());
        t.rows.push_back(std::move(row));
        t.row_estimated.push_back(false);
      }
    }
    if (any) shown.push_back(results::identity_fields(label, cell.key));
  }
  t.default_columns = {"cell_id"};
  for (const auto& k : compact_identity_columns(shown)) t.default_columns.push_back(k);
  for (const char* k : {"repetition", "meter", "phase", "seconds", "tokens", "joules", "j_per_token", "method", "note"})
    t.default_columns.push_back(k);
  return t;
}

std::optional<std::string> steady_state_line(const results::Repetition& rep) {
  std::vector<const results::PhaseEnergy*> steady;
  for (const auto& p : rep.phases)
    if (p.phase == "steady") steady.push_back(&p);
  if (steady.empty()) return std::nullopt;
  const results::PhaseEnergy& first = *steady.front();
  if (first.steps == 0) return first.note;  // "no steady state: ..."
  std::string energy;
  for (const auto* p : steady) {
    if (const auto jpt = per_token(*p))
      energy +=
          fmt::format("{}{} J/token ({}, {})", energy.empty() ? "" : ", ", format_number(*jpt), p->meter, p->method);
  }
  const std::string span = fmt::format("{} s (B = {})", format_number(first.seconds), first.batch);
  if (!energy.empty()) return fmt::format("steady-state decode: {} over {}", energy, span);
  return fmt::format("steady-state decode: {}, energy {}: {}", span, first.method, first.note);
}

}  // namespace jouleval::report
