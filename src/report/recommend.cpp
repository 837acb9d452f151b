#include "report/recommend.h"

#include "report/number_format.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "report/identify.h"
#include "report/precision.h"
#include "report/summary.h"
#include "results/identity.h"
#include "util/error.h"

namespace jouleval::report {
namespace {

bool maximize(Objective o) { return o != Objective::kEnergy; }

std::optional<double> objective_value(const Candidate& c, Objective o) {
  switch (o) {
    case Objective::kEnergy:
      return c.j_per_question;
    case Objective::kEor:
      return c.eor_item;
    case Objective::kTweor:
      return c.tweor_item;
    case Objective::kThroughput:
      return c.tokens_per_s;
    case Objective::kAccuracy:
      return c.score;
  }
  return std::nullopt;
}

std::string pct(double v) { return fmt::format("{:.1f}%", 100.0 * v); }

// The reference of each row: the cell identical to it except for the precision whose precision is
// the reference among those cells (results/precision.h) -- the row itself when it is the reference.
std::map<const SummaryRow*, const SummaryRow*> references(const Summary& s) {
  std::map<std::string, std::vector<const SummaryRow*>> groups;
  for (const auto& r : s.rows)
    groups[results::identity_except(r.machine_id, r.key, results::Axis::kPrecision)].push_back(&r);
  std::map<const SummaryRow*, const SummaryRow*> out;
  for (const auto& [key, rows] : groups) {
    std::vector<std::string> precisions;
    for (const auto* r : rows) precisions.push_back(r->key.precision);
    const auto ref = results::reference_precision(precisions);
    const auto it =
        std::find_if(rows.begin(), rows.end(), [&](const SummaryRow* r) { return r->key.precision == *ref; });
    for (const auto* r : rows) out[r] = *it;
  }
  return out;
}

// The configuration of a row: every identity field except the workload ones (task, limit, shots,
// preset, seed), with the machine's id.
std::string configuration_key(const SummaryRow& r) {
  std::string out;
  for (const auto& f : results::identity_fields(r.machine_id, r.key)) {
    if (std::find(workload_keys().begin(), workload_keys().end(), f.key) != workload_keys().end()) continue;
    out += f.key + "=" + f.value + '\x1f';
  }
  return out;
}

std::vector<results::IdentityField> configuration_fields(const SummaryRow& r) {
  std::vector<results::IdentityField> out;
  for (const auto& f : r.identity)
    if (std::find(workload_keys().begin(), workload_keys().end(), f.key) == workload_keys().end()) out.push_back(f);
  return out;
}

// Workload label of each row: the task, and the workload fields that differ among the rows of that
// task ("mmlu · limit=500").
std::map<const SummaryRow*, std::string> workload_labels(const std::vector<const SummaryRow*>& rows) {
  std::map<std::string, std::vector<const SummaryRow*>> by_task;
  for (const auto* r : rows) by_task[r->key.task].push_back(r);
  std::map<const SummaryRow*, std::string> out;
  for (const auto& [task, task_rows] : by_task) {
    std::vector<std::vector<results::IdentityField>> ids;
    for (const auto* r : task_rows) ids.push_back(r->identity);
    std::vector<std::string> keys = {"task"};
    for (const auto& k : results::varying_fields(ids))
      if (std::find(workload_keys().begin(), workload_keys().end(), k) != workload_keys().end()) keys.push_back(k);
    for (const auto* r : task_rows) out[r] = row_label(r->identity, keys);
  }
  return out;
}

Candidate aggregate(const std::vector<const SummaryRow*>& rows,
                    const std::map<const SummaryRow*, const SummaryRow*>& refs,
                    const std::map<const SummaryRow*, std::string>& workloads) {
  Candidate c;
  const SummaryRow& first = *rows.front();
  c.model = first.key.model;
  c.precision = first.key.precision;
  c.kv_type = first.key.kv_type;
  c.placement = first.key.placement;
  c.machine_id = first.machine_id;
  c.machine_label = first.machine_label;
  c.identity = configuration_fields(first);
  c.own_reference = true;
  double score_sum = 0.0, ref_sum = 0.0, energy = 0.0, seconds = 0.0, tokens = 0.0, gen_seconds = 0.0, gen_tokens = 0.0;
  bool scores_ok = true, refs_ok = true, energy_ok = true, time_ok = true;
  std::optional<double> peak, avg, worst;
  bool peak_ok = true;
  std::optional<double> gpu_memory, host_memory;
  bool host_ok = true;
  for (const SummaryRow* r : rows) {
    const auto& m = r->metrics;
    c.tasks.push_back(workloads.at(r));
    if (!r->mixed_versions.empty()) c.mixed_versions.push_back(workloads.at(r) + ": " + r->mixed_versions);
    c.items += m.items;
    c.estimated = c.estimated || m.estimated;
    c.random_weights = c.random_weights || m.random_weights;
    if (m.score)
      score_sum += *m.score;
    else
      scores_ok = false;
    const SummaryRow* ref = refs.at(r);
    c.own_reference = c.own_reference && ref == r;
    if (ref->metrics.score && m.score) {
      ref_sum += *ref->metrics.score;
      if (*ref->metrics.score > 0.0) worst = std::min(worst.value_or(1e300), *m.score / *ref->metrics.score);
    } else {
      refs_ok = false;
    }
    if (m.stats.total_j)
      energy += m.stats.total_j->mean;
    else
      energy_ok = false;
    if (m.stats.seconds)
      seconds += m.stats.seconds->mean;
    else
      time_ok = false;
    tokens += m.prompt_tokens + m.generated_tokens;
    if (m.generated_tokens > 0.0 && m.stats.seconds) {
      gen_seconds += m.stats.seconds->mean;
      gen_tokens += m.generated_tokens;
    }
    if (m.stats.peak_power_w)
      peak = std::max(peak.value_or(0.0), m.stats.peak_power_w->mean);
    else
      peak_ok = false;
    if (m.stats.avg_power_w) avg = std::max(avg.value_or(0.0), m.stats.avg_power_w->mean);
    if (r->peak_gpu_memory_bytes > 0)
      gpu_memory = std::max(gpu_memory.value_or(0.0), static_cast<double>(r->peak_gpu_memory_bytes));
    if (m.peak_rss_bytes)
      host_memory = std::max(host_memory.value_or(0.0), *m.peak_rss_bytes);
    else
      host_ok = false;
  }
  const double n_tasks = static_cast<double>(rows.size());
  const double items = static_cast<double>(c.items);
  if (scores_ok) c.score = score_sum / n_tasks;
  if (scores_ok && refs_ok) {
    c.reference_score = ref_sum / n_tasks;
    if (ref_sum > 0.0) c.retention = score_sum / ref_sum;
    c.worst_retention = worst;
  }
  if (energy_ok && items > 0.0) c.j_per_question = energy / items;
  if (time_ok && items > 0.0) c.s_per_question = seconds / items;
  if (time_ok && seconds > 0.0) c.tokens_per_s = tokens / seconds;
  if (c.score && c.j_per_question && *c.j_per_question > 0.0) {
    const double wh = *c.j_per_question / 3600.0;
    c.eor_item = *c.score / wh;
    if (c.s_per_question && *c.s_per_question > 0.0) c.tweor_item = *c.score / (wh * *c.s_per_question);
  }
  if (peak_ok && peak) {
    c.power_w = peak;
    c.power_basis = "peak";
  } else if (avg) {
    c.power_w = avg;
    c.power_basis = "average";
  }
  // The memory the placement's device needed: the GPU's for a GPU or partial placement, the host's
  // for a CPU placement (docs/report.md "Recommendations").
  if (gpu_memory) c.gpu_memory_gb = *gpu_memory / 1e9;
  if (host_ok && host_memory) c.host_memory_gb = *host_memory / 1e9;
  if (c.placement == "cpu") {
    c.memory_basis = "host peak RSS";
    c.memory_gb = c.host_memory_gb;
  } else {
    c.memory_basis = "GPU peak";
    c.memory_gb = c.gpu_memory_gb;
  }
  if (gen_tokens > 0.0) {
    c.latency_ms_per_token = 1000.0 * gen_seconds / gen_tokens;
    c.latency_basis = "per generated token";
  } else if (time_ok && tokens > 0.0) {
    c.latency_ms_per_token = 1000.0 * seconds / tokens;
    c.latency_basis = "per processed token";
  }
  return c;
}

void check(Candidate& c, std::string name, bool passed, std::string detail) {
  c.checks.push_back({std::move(name), passed, std::move(detail)});
}

void apply_checks(Candidate& c, const Constraints& k, Objective objective, const std::vector<std::string>& all_tasks) {
  c.checks.clear();
  std::vector<std::string> missing;
  for (const auto& t : all_tasks)
    if (std::find(c.tasks.begin(), c.tasks.end(), t) == c.tasks.end()) missing.push_back(t);
  check(c, "covers all tasks", missing.empty(),
        missing.empty() ? fmt::format("{} workload(s)", c.tasks.size())
                        : fmt::format("missing {}", fmt::join(missing, ", ")));
  c.objective = objective_value(c, objective);
  check(c, fmt::format("{} measured", objective_name(objective)), c.objective.has_value(),
        c.objective               ? format_human(*c.objective)
        : needs_energy(objective) ? "unavailable (no energy or score)"
                                  : "unavailable");
  if (k.min_accuracy_retention) {
    const std::string name = fmt::format("accuracy retention >= {}", pct(*k.min_accuracy_retention));
    if (c.retention)
      check(c, name, *c.retention >= *k.min_accuracy_retention - 1e-12,
            pct(*c.retention) + (c.own_reference ? " (its own reference: no other precision measured with the same "
                                                   "settings)"
                                                 : ""));
    else
      check(c, name, false, "no reference precision measured");
  }
  if (k.max_power_w) {
    const std::string name = fmt::format("power <= {:g} W", *k.max_power_w);
    if (c.power_w)
      check(c, name, *c.power_w <= *k.max_power_w, fmt::format("{:.1f} W ({})", *c.power_w, c.power_basis));
    else
      check(c, name, false, "power unavailable");
  }
  if (k.max_memory_gb) {
    const std::string name = fmt::format("memory <= {:g} GB", *k.max_memory_gb);
    if (c.memory_gb)
      check(c, name, *c.memory_gb <= *k.max_memory_gb, fmt::format("{:.2f} GB ({})", *c.memory_gb, c.memory_basis));
    else
      check(c, name, false, fmt::format("{} not recorded", c.memory_basis));
  }
  if (k.max_latency_ms_per_token) {
    const std::string name = fmt::format("latency <= {:g} ms/token", *k.max_latency_ms_per_token);
    if (c.latency_ms_per_token)
      check(c, name, *c.latency_ms_per_token <= *k.max_latency_ms_per_token,
            fmt::format("{:.2f} ms {}", *c.latency_ms_per_token, c.latency_basis));
    else
      check(c, name, false, "latency unavailable");
  }
  c.eligible = std::all_of(c.checks.begin(), c.checks.end(), [](const auto& ch) { return ch.passed; });
}

// "model precision kv=.. placement on machine", then the other configuration fields that tell the
// candidates apart (engine settings, hashes when needed).
void label_candidates(std::vector<Candidate>& candidates) {
  std::vector<std::vector<results::IdentityField>> ids;
  for (const auto& c : candidates) ids.push_back(c.identity);
  const std::vector<std::string> shown = {"machine", "model", "precision", "kv", "placement"};
  std::vector<std::string> extra;
  for (const auto& k : distinguishing_fields(ids, shown))
    if (std::find(shown.begin(), shown.end(), k) == shown.end()) extra.push_back(k);
  for (auto& c : candidates) {
    c.label = fmt::format("{} {} kv={} {} on {}", c.model, c.precision, c.kv_type, c.placement, c.machine_label);
    const std::string more = row_label(c.identity, extra);
    if (!more.empty()) c.label += " · " + more;
  }
}

// The rows `--task`, `--model` and `--machine` keep. Every value must name something in the results.
struct Filters {
  std::set<std::string> tasks, models, machine_ids;
  std::vector<std::string> task_names, model_names, machine_names;  // as given

  bool any() const { return !tasks.empty() || !models.empty() || !machine_ids.empty(); }
  bool keep(const SummaryRow& r) const {
    return (tasks.empty() || tasks.count(r.key.task)) && (models.empty() || models.count(r.key.model)) &&
           (machine_ids.empty() || machine_ids.count(r.machine_id));
  }
  std::string describe() const {
    std::vector<std::string> parts;
    if (!task_names.empty()) parts.push_back(fmt::format("task {}", fmt::join(task_names, ", ")));
    if (!model_names.empty()) parts.push_back(fmt::format("model {}", fmt::join(model_names, ", ")));
    if (!machine_names.empty()) parts.push_back(fmt::format("machine {}", fmt::join(machine_names, ", ")));
    return fmt::format("{}", fmt::join(parts, " and "));
  }
};

[[noreturn]] void unknown_value(const char* option, const std::string& value, const char* what,
                                const std::vector<std::string>& known) {
  throw util::Error(fmt::format("{} '{}': no {} of that name in the results (known: {})", option, value, what,
                                known.empty() ? std::string("none") : fmt::format("{}", fmt::join(known, ", "))),
                    util::ErrorKind::kUsage);
}

// Checks each filter value against every cell of the results (whatever its status).
Filters check_filters(const std::vector<results::Cell>& cells, const Summary& summary, const Constraints& k) {
  Filters f;
  std::set<std::string> tasks, models, machine_ids;
  for (const auto& c : cells) {
    tasks.insert(c.key.task);
    models.insert(c.key.model);
    machine_ids.insert(c.machine_id);
  }
  for (const auto& t : k.tasks) {
    if (!tasks.count(t)) unknown_value("--task", t, "task", {tasks.begin(), tasks.end()});
    f.tasks.insert(t);
    f.task_names.push_back(t);
  }
  for (const auto& m : k.models) {
    if (!models.count(m)) unknown_value("--model", m, "model", {models.begin(), models.end()});
    f.models.insert(m);
    f.model_names.push_back(m);
  }
  const auto labels = machine_labels(summary.machines, {machine_ids.begin(), machine_ids.end()});
  for (const auto& name : k.machines) {
    std::set<std::string> found;
    for (const auto& id : machine_ids) {
      const auto label = labels.find(id);
      const auto recorded = std::find_if(summary.machines.begin(), summary.machines.end(),
                                         [&](const results::Machine& m) { return m.id == id; });
      if (id == name || (name.size() >= 8 && id.rfind(name, 0) == 0) ||
          (label != labels.end() && label->second == name) ||
          (recorded != summary.machines.end() && recorded->hostname == name))
        found.insert(id);
    }
    if (found.empty()) {
      std::vector<std::string> known;
      for (const auto& id : machine_ids) {
        const auto label = labels.find(id);
        known.push_back(label != labels.end() && label->second != id
                            ? fmt::format("{} [{}]", label->second, id.substr(0, 12))
                            : id);
      }
      unknown_value("--machine", name, "machine", known);
    }
    f.machine_ids.insert(found.begin(), found.end());
    f.machine_names.push_back(name);
  }
  return f;
}

const std::string& describe(const Candidate& c) { return c.label; }

}  // namespace

Objective parse_objective(const std::string& name) {
  if (name == "energy") return Objective::kEnergy;
  if (name == "eor") return Objective::kEor;
  if (name == "tweor") return Objective::kTweor;
  if (name == "throughput") return Objective::kThroughput;
  if (name == "accuracy") return Objective::kAccuracy;
  throw util::Error(fmt::format("unknown objective '{}' (energy, eor, tweor, throughput, accuracy)", name),
                    util::ErrorKind::kUsage);
}

std::string objective_name(Objective objective) {
  switch (objective) {
    case Objective::kEnergy:
      return "J per question";
    case Objective::kEor:
      return "EOR per item (score per Wh per item)";
    case Objective::kTweor:
      return "TWEOR per item";
    case Objective::kThroughput:
      return "tokens/s";
    case Objective::kAccuracy:
      return "accuracy (mean headline score)";
  }
  return "";
}

bool needs_energy(Objective objective) {
  return objective == Objective::kEnergy || objective == Objective::kEor || objective == Objective::kTweor;
}

Constraints apply_scenario(const std::string& scenario, Constraints k, bool retention_given) {
  k.scenario = scenario;
  double retention = 0.0;
  if (scenario == "datacenter")
    retention = 0.98;
  else if (scenario == "enterprise")
    retention = 0.99;
  else if (scenario == "edge") {
    retention = 0.95;
    if (!k.max_power_w && !k.max_memory_gb)
      throw util::Error("--scenario edge needs --max-power-w or --max-memory-gb", util::ErrorKind::kUsage);
  } else if (!scenario.empty()) {
    throw util::Error(fmt::format("unknown scenario '{}' (datacenter, enterprise, edge)", scenario),
                      util::ErrorKind::kUsage);
  }
  if (!scenario.empty() && !retention_given) k.min_accuracy_retention = retention;
  return k;
}

Recommendation recommend(const std::vector<results::Cell>& cells, const std::vector<results::Machine>& machines,
                         const Constraints& constraints) {
  Recommendation rec;
  rec.constraints = constraints;
  rec.objective = constraints.objective;
  const Summary summary = build_summary(cells, machines);
  const Filters filters = check_filters(cells, summary, constraints);
  const auto refs = references(summary);
  std::vector<const SummaryRow*> rows;
  std::vector<size_t> row_indices;
  for (size_t i = 0; i < summary.rows.size(); ++i) {
    const SummaryRow& r = summary.rows[i];
    if (!filters.keep(r)) continue;
    rows.push_back(&r);
    row_indices.push_back(i);
  }
  const auto workloads = workload_labels(rows);
  // One candidate per configuration, in the order of its first row.
  std::map<std::string, size_t> group_of;
  std::vector<std::vector<const SummaryRow*>> groups;
  std::set<std::string> tasks;
  for (const auto* r : rows) {
    const auto [it, added] = group_of.emplace(configuration_key(*r), groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(r);
    tasks.insert(workloads.at(r));
  }
  rec.tasks.assign(tasks.begin(), tasks.end());
  for (const auto& group : groups) rec.candidates.push_back(aggregate(group, refs, workloads));
  // Without any energy reading an energy objective ranks nothing: rank by what was measured.
  if (!rec.candidates.empty() && needs_energy(constraints.objective) &&
      std::none_of(rec.candidates.begin(), rec.candidates.end(),
                   [](const Candidate& c) { return c.j_per_question.has_value(); })) {
    rec.energy_measured = false;
    const bool timed = std::any_of(rec.candidates.begin(), rec.candidates.end(),
                                   [](const Candidate& c) { return c.tokens_per_s.has_value(); });
    rec.objective = timed ? Objective::kThroughput : Objective::kAccuracy;
    std::set<std::string> seen;
    for (const auto* r : rows)
      for (const auto& why : r->metrics.unavailable_meters)
        if (seen.insert(why).second) rec.no_energy.push_back(why);
  }
  for (auto& c : rec.candidates) apply_checks(c, constraints, rec.objective, rec.tasks);
  label_candidates(rec.candidates);
  rec.models = compare_models(summary, row_indices);
  const bool max = maximize(rec.objective);
  std::stable_sort(rec.candidates.begin(), rec.candidates.end(), [max](const Candidate& a, const Candidate& b) {
    if (a.eligible != b.eligible) return a.eligible;
    if (a.objective.has_value() != b.objective.has_value()) return a.objective.has_value();
    if (!a.objective) return false;
    return max ? *a.objective > *b.objective : *a.objective < *b.objective;
  });
  if (rec.candidates.empty()) {
    rec.message = filters.any() ? fmt::format("No finished cells for {}.", filters.describe())
                                : "No finished cells in the results.";
    return rec;
  }
  std::string prefix;
  if (!rec.energy_measured) {
    prefix = fmt::format(
        "No energy was measured in these results{}, so {} cannot rank them. Ranked by {} instead, under the same "
        "constraints. To measure energy, run on a machine with an NVIDIA GPU (NVML) or readable RAPL counters "
        "(/sys/class/powercap/intel-rapl:*/energy_uj), or give an external meter (--external-cmd or "
        "--external-file) to run, sweep or demo; see docs/energy.md.\n",
        rec.no_energy.empty() ? "" : fmt::format(" ({})", fmt::join(rec.no_energy, "; ")),
        objective_name(constraints.objective), objective_name(rec.objective));
  }
  if (rec.candidates.front().eligible) {
    rec.chosen = 0;
    const Candidate& c = rec.candidates.front();
    rec.message = prefix + fmt::format("Chosen: {} — best {} ({}) among {} of {} candidates meeting every constraint",
                                       describe(c), objective_name(rec.objective), format_human(*c.objective),
                                       std::count_if(rec.candidates.begin(), rec.candidates.end(),
                                                     [](const Candidate& x) { return x.eligible; }),
                                       rec.candidates.size());
    if (c.retention) rec.message += fmt::format("; accuracy retention {}", pct(*c.retention));
    if (c.j_per_question) rec.message += fmt::format("; {} J per question", format_human(*c.j_per_question));
    if (c.tokens_per_s && !rec.energy_measured)
      rec.message += fmt::format("; {} tokens/s", format_human(*c.tokens_per_s));
    if (c.estimated) rec.message += " (energy estimated)";
    if (c.random_weights) rec.message += "; accuracy is chance level (random-weight model)";
    rec.message += ".";
    return rec;
  }
  // Nothing eligible: name the constraints that excluded the best candidates.
  std::map<std::string, int> excluded;
  for (const auto& c : rec.candidates)
    for (const auto& ch : c.checks)
      if (!ch.passed) ++excluded[ch.name];
  std::string msg = prefix + "No configuration meets the constraints.";
  msg += fmt::format(" Best candidates by {} and the constraints that excluded them:", objective_name(rec.objective));
  for (size_t i = 0; i < rec.candidates.size() && i < 3; ++i) {
    const auto& c = rec.candidates[i];
    std::vector<std::string> failed;
    for (const auto& ch : c.checks)
      if (!ch.passed) failed.push_back(fmt::format("{} (got {})", ch.name, ch.detail));
    msg += fmt::format("\n  {}. {}: {}", i + 1, describe(c), fmt::join(failed, "; "));
  }
  std::vector<std::string> counts;
  for (const auto& [name, n] : excluded)
    counts.push_back(fmt::format("{} excluded {} of {}", name, n, rec.candidates.size()));
  msg += fmt::format("\n  Overall: {}.", fmt::join(counts, "; "));
  rec.message = msg;
  return rec;
}

}  // namespace jouleval::report
