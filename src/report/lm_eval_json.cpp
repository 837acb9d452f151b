#include "report/lm_eval_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <set>

#include "report/metrics.h"
#include "results/headline.h"
#include "results/lm_eval_tasks.h"

namespace jouleval::report {
namespace {

using Json = nlohmann::ordered_json;

// A metric value and its standard error ("N/A" when undefined, as lm-eval writes it).
struct Value {
  double value = 0;
  std::optional<double> stderr_;
  int n = 0;
};

Json stderr_json(const std::optional<double>& s) { return s ? Json(*s) : Json("N/A"); }

// Mean of 0/1 outcomes; stderr sqrt(p(1-p)/(n-1)) (lm-eval's mean_stderr of 0/1 values).
Value binary_value(const std::vector<bool>& outcomes) {
  Value v;
  v.n = static_cast<int>(outcomes.size());
  if (outcomes.empty()) return v;
  double sum = 0;
  for (bool b : outcomes) sum += b ? 1.0 : 0.0;
  const double n = static_cast<double>(outcomes.size());
  v.value = sum / n;
  if (outcomes.size() >= 2) v.stderr_ = std::sqrt(v.value * (1.0 - v.value) / (n - 1.0));
  return v;
}

// lm-eval's group aggregation (weight_by_size): size-weighted mean, pooled sample stderr; "N/A"
// when any member's stderr is.
Value group_value(const std::vector<Value>& members) {
  Value g;
  double weighted = 0, pooled = 0;
  bool all_stderr = true;
  for (const Value& m : members) {
    g.n += m.n;
    weighted += m.value * m.n;
    if (m.stderr_) {
      pooled += (m.n - 1.0) * *m.stderr_ * *m.stderr_ * m.n;
    } else {
      all_stderr = false;
    }
  }
  if (g.n == 0) return g;
  g.value = weighted / g.n;
  const double dof = static_cast<double>(g.n) - static_cast<double>(members.size());
  if (all_stderr && dof > 0) g.stderr_ = std::sqrt(pooled / dof / g.n);
  return g;
}

// The fixed keys of a task's entry in "results" (lm-eval's _TaskMetrics): its name, display name and
// the number of items evaluated; the metric keys follow.
Json entry_head(const std::string& name, const std::string& alias, int n) {
  return {{"name", name}, {"alias", alias}, {"sample_len", n}};
}

void put_metric(Json& entry, const std::string& name, const std::string& filter, const Value& v) {
  entry[name + "," + filter] = v.value;
  entry[name + "_stderr," + filter] = stderr_json(v.stderr_);
}

Json stat_value(const std::optional<results::Stat>& s) { return s ? Json(s->mean) : Json("unavailable"); }

// jouleval's energy block of one cell (docs/lm-eval.md "energy").
Json energy_json(const results::Cell& cell) {
  const CellMetrics m = compute_cell_metrics(cell);
  Json e;
  e["available"] = m.stats.total_j.has_value();
  e["energy_j"] = stat_value(m.stats.total_j);
  if (m.stats.total_j && m.stats.total_j->ci_low)
    e["energy_j_ci95"] = {*m.stats.total_j->ci_low, *m.stats.total_j->ci_high};
  e["energy_wh"] = stat_value(m.stats.total_wh);
  e["active_energy_j"] = stat_value(m.stats.active_j);
  e["j_per_item"] = stat_value(m.stats.j_per_question);
  e["eor"] = stat_value(m.stats.eor);
  e["eor_metric"] = m.headline.name;
  e["seconds"] = stat_value(m.stats.seconds);
  e["repetitions"] = static_cast<int>(cell.repetitions.size());
  e["items"] = m.items;
  e["passes"] = m.max_passes;
  e["estimated"] = m.estimated;
  e["short_window"] = m.short_window;
  // Idle handling: energy_j includes the idle draw; active_energy_j subtracts each meter's idle
  // baseline (watts measured with the model loaded, before the windows) times the window's length.
  Json idle = Json::object();
  Json meters = Json::array();
  if (!cell.repetitions.empty()) {
    for (const auto& meter : cell.repetitions.front().meters) {
      if (meter.idle_watts) idle[meter.meter] = *meter.idle_watts;
      Json j = {{"meter", meter.meter}, {"kind", meter.kind}, {"device", meter.device}, {"available", meter.available}};
      if (!meter.available) j["reason"] = meter.unavailable_reason;
      if (meter.estimated) j["estimated"] = true;
      meters.push_back(std::move(j));
    }
  }
  e["idle"] = {{"measured", !idle.empty()}, {"baseline_w", idle}, {"subtracted_in", "active_energy_j"}};
  e["meters"] = std::move(meters);
  e["unavailable"] = m.unavailable_meters;
  return e;
}

Json metric_list_json(const results::LmEvalTask& task) {
  Json list = Json::array();
  std::set<std::string> seen;
  for (const auto& m : task.metrics) {
    if (!seen.insert(m.name).second) continue;
    list.push_back({{"metric", m.name}, {"aggregation", "mean"}, {"higher_is_better", m.higher_is_better}});
  }
  return list;
}

Json higher_is_better_json(const results::LmEvalTask& task) {
  Json h = Json::object();
  for (const auto& m : task.metrics) h[m.name] = m.higher_is_better;
  return h;
}

// lm-eval's config of one leaf task (the fields of its YAML that describe what was scored).
// `key`'s few-shot settings as lm-eval's task config shows them: the task's own sampler, or first_n
// for a first_n cell of a task with a few-shot pool (docs/tasks.md "Few-shot").
Json task_config(const results::LmEvalTask& task, const std::string& name, const std::string& alias,
                 const std::string& dataset_name, const results::CellKey& key) {
  const std::string& sampler =
      key.fewshot_sampler == "first_n" && !task.fewshot_sampler.empty() ? key.fewshot_sampler : task.fewshot_sampler;
  Json c;
  c["task"] = name;
  if (alias != name) c["task_alias"] = alias;
  c["dataset_path"] = task.dataset_path;
  c["dataset_name"] = dataset_name.empty() ? Json(nullptr) : Json(dataset_name);
  c["test_split"] = task.test_split;
  c["fewshot_split"] = task.fewshot_split.empty() ? Json(nullptr) : Json(task.fewshot_split);
  c["num_fewshot"] = key.shots;
  if (!sampler.empty()) c["fewshot_config"] = {{"sampler", sampler}};
  c["fewshot_seed"] = key.seed;
  c["output_type"] = task.output_type;
  c["metric_list"] = metric_list_json(task);
  if (task.output_type == "generate_until") {
    c["generation_kwargs"] = {{"until", {"Question:", "</s>", "<|im_end|>"}},
                              {"do_sample", false},
                              {"temperature", 0.0},
                              {"max_gen_toks", 256}};
    c["filter_list"] = {{{"name", "strict-match"}}, {{"name", "flexible-extract"}}};
  }
  c["metadata"] = {{"version", task.version}};
  return c;
}

// The per-subject outcomes of an MMLU cell, read from its item records.
struct SubjectOutcomes {
  std::vector<bool> acc, acc_norm;
  bool has_norm = true;
};

std::map<std::string, SubjectOutcomes> mmlu_subjects(const results::Cell& cell) {
  std::map<std::string, SubjectOutcomes> out;
  for (const auto& item : cell.items) {
    const nlohmann::json rec = nlohmann::json::parse(item.json, nullptr, /*allow_exceptions=*/false);
    std::string subject = "unknown";
    if (rec.is_object() && rec.contains("subject") && rec["subject"].is_string()) subject = rec["subject"];
    SubjectOutcomes& s = out[subject];
    s.acc.push_back(item.correct);
    if (rec.is_object() && rec.contains("correct_norm") && rec["correct_norm"].is_boolean()) {
      s.acc_norm.push_back(rec["correct_norm"].get<bool>());
    } else {
      s.has_norm = false;
    }
  }
  return out;
}

Json sorted(const Json& object) {
  std::map<std::string, Json> by_key;
  for (const auto& [k, v] : object.items()) by_key.emplace(k, v);
  Json out = Json::object();
  for (auto& [k, v] : by_key) out[k] = std::move(v);
  return out;
}

int original_items(const LmEvalRunInfo& info, const std::string& name, int evaluated) {
  auto it = info.original_items.find(name);
  return it == info.original_items.end() ? evaluated : it->second;
}

}  // namespace

std::string lm_eval_model_dir_name(const results::CellKey& key) {
  std::string out = key.model + "__" + key.precision;
  for (char& c : out) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    if (!ok) c = '_';
  }
  if (out.front() == '.') out.front() = '_';  // never "." or ".." or a hidden name
  return out;
}

std::string lm_eval_date_id(double unix_seconds) {
  // Rounded to the microsecond first, so that 0.9999999 s becomes the next second, not .000000.
  const long long total_micros = std::llround(std::max(0.0, unix_seconds) * 1e6);
  const auto whole = static_cast<std::time_t>(total_micros / 1000000);
  const auto micros = static_cast<long>(total_micros % 1000000);
  std::tm tm{};
  gmtime_r(&whole, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}-{:02}-{:02}.{:06}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
}

nlohmann::ordered_json lm_eval_results(const std::vector<results::Cell>& cells, const LmEvalRunInfo& info) {
  Json results = Json::object(), groups = Json::object(), group_subtasks = Json::object(), configs = Json::object(),
       versions = Json::object(), n_shot = Json::object(), higher = Json::object(), n_samples = Json::object(),
       energy = Json::object();
  const results::Cell* first = nullptr;

  for (const auto& cell : cells) {
    if (cell.status != results::CellStatus::kDone) continue;
    const std::optional<results::LmEvalTask> task = results::lm_eval_task(cell.key.task);
    if (!task) continue;
    if (first == nullptr) first = &cell;
    const std::string& name = cell.key.task;
    const int n = static_cast<int>(cell.items.size());
    energy[name] = energy_json(cell);

    if (name != "mmlu") {
      Json entry = entry_head(name, name, n);
      for (const auto& m : task->metrics) {
        for (const auto& stored : cell.metrics) {
          if (stored.name != m.stored) continue;
          put_metric(entry, m.name, m.filter, Value{stored.value, stored.stderr_, n});
        }
      }
      results[name] = std::move(entry);
      group_subtasks[name] = Json::array();
      configs[name] = task_config(*task, name, name, task->dataset_name, cell.key);
      versions[name] = task->version;
      n_shot[name] = cell.key.shots;
      higher[name] = higher_is_better_json(*task);
      n_samples[name] = {{"original", original_items(info, name, n)}, {"effective", n}};
      continue;
    }

    // MMLU: one lm-eval task per subject, grouped by category under the group "mmlu".
    const auto subjects = mmlu_subjects(cell);
    bool all_norm = true;
    for (const auto& [subject, s] : subjects) all_norm = all_norm && s.has_norm;
    std::map<std::string, Value> acc, acc_norm;  // by subject
    for (const auto& [subject, s] : subjects) {
      acc[subject] = binary_value(s.acc);
      if (all_norm) acc_norm[subject] = binary_value(s.acc_norm);
    }
    auto group_entry = [&](const std::string& group, const std::string& alias,
                           const std::vector<std::string>& members) {
      std::vector<Value> a, an;
      for (const auto& subject : members) {
        a.push_back(acc[subject]);
        if (all_norm) an.push_back(acc_norm[subject]);
      }
      const int size = group_value(a).n;
      Json entry = {{"alias", alias}, {"name", group}, {"sample_len", size}};
      if (!members.empty()) {
        put_metric(entry, "acc", "none", group_value(a));
        if (all_norm) put_metric(entry, "acc_norm", "none", group_value(an));
        entry["sample_count"] = {{"acc,none", size}};
        if (all_norm) entry["sample_count"]["acc_norm,none"] = size;
      }
      results[group] = entry;
      groups[group] = entry;
      versions[group] = results::kMmluGroupVersion;
      higher[group] = higher_is_better_json(*task);
      if (!members.empty()) n_shot[group] = cell.key.shots;
    };

    std::vector<std::string> all, uncategorised;
    std::map<results::MmluCategory, std::vector<std::string>> by_category;
    for (const auto& [subject, s] : subjects) {
      all.push_back(subject);
      if (auto c = results::mmlu_category(subject)) {
        by_category[*c].push_back(subject);
      } else {
        uncategorised.push_back(subject);
      }
    }
    group_entry("mmlu", "mmlu", all);
    // A subject's entry in results; returns its name.
    auto subject_entry = [&](const std::string& subject) {
      const std::string sub = "mmlu_" + subject;
      Json entry = entry_head(sub, subject, acc[subject].n);
      put_metric(entry, "acc", "none", acc[subject]);
      if (all_norm) put_metric(entry, "acc_norm", "none", acc_norm[subject]);
      results[sub] = std::move(entry);
      return sub;
    };
    Json mmlu_children = Json::array();
    for (results::MmluCategory c : results::mmlu_categories()) {
      const std::string group = "mmlu_" + std::string(results::mmlu_category_name(c));
      mmlu_children.push_back(group);
      group_entry(group, std::string(results::mmlu_category_alias(c)), by_category[c]);
      Json children = Json::array();
      for (const auto& subject : by_category[c]) children.push_back(subject_entry(subject));
      group_subtasks[group] = std::move(children);
    }
    // Subjects that are not MMLU's own 57 (other data) belong to the group "mmlu" directly.
    for (const auto& subject : uncategorised) mmlu_children.push_back(subject_entry(subject));
    group_subtasks["mmlu"] = std::move(mmlu_children);
    for (const auto& subject : all) {
      const std::string sub = "mmlu_" + subject;
      configs[sub] = task_config(*task, sub, subject, subject, cell.key);
      versions[sub] = task->version;
      n_shot[sub] = cell.key.shots;
      higher[sub] = higher_is_better_json(*task);
      n_samples[sub] = {{"original", original_items(info, sub, acc[subject].n)}, {"effective", acc[subject].n}};
    }
  }

  Json out;
  out["results"] = std::move(results);
  if (!groups.empty()) out["groups"] = std::move(groups);
  out["group_subtasks"] = std::move(group_subtasks);
  // lm-eval writes these four sorted by task name.
  out["configs"] = sorted(configs);
  out["versions"] = sorted(versions);
  out["n-shot"] = sorted(n_shot);
  out["higher_is_better"] = sorted(higher);
  out["n-samples"] = std::move(n_samples);
  Json config;
  if (first != nullptr) {
    const results::CellKey& k = first->key;
    config["model"] = k.model;
    config["model_args"] = info.model_args;
    config["model_sha256"] = k.model_sha256;
    config["file_sha256"] = k.file_sha256;
    config["model_dtype"] = k.precision;
    config["model_num_parameters"] = first->model_params;
    config["random_weights"] = first->random_weights;
    config["kv_type"] = k.kv_type;
    config["device"] = k.placement;
    config["batch_size"] = k.engine.batch_size == 0 ? Json("auto") : Json(k.engine.batch_size);
    config["ubatch_size"] = k.engine.ubatch_size == 0 ? Json("auto") : Json(k.engine.ubatch_size);
    config["engine_used"] = nlohmann::ordered_json::parse(first->engine_used_json, nullptr, false);
    if (config["engine_used"].is_discarded()) config["engine_used"] = first->engine_used_json;
    // As given: a count is written as an integer, a fraction as a number (lm-eval's int | float).
    if (!info.limit) {
      config["limit"] = nullptr;
    } else if (*info.limit == std::floor(*info.limit)) {
      config["limit"] = static_cast<int64_t>(*info.limit);
    } else {
      config["limit"] = *info.limit;
    }
    config["fewshot_seed"] = k.seed;
    config["shot_preset"] = k.preset;
    config["fewshot_sampler"] = k.fewshot_sampler;
    config["machine_id"] = first->machine_id;
  }
  out["config"] = std::move(config);
  out["date"] = info.date;
  out["energy"] = std::move(energy);
  out["jouleval_version"] = info.jouleval_version;
  return out;
}

}  // namespace jouleval::report
