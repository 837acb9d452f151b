#include "report/summary.h"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "report/identify.h"
#include "results/stats.h"

namespace jouleval::report {
namespace {

const results::Machine* find_machine(const std::vector<results::Machine>& machines, const std::string& id) {
  for (const auto& m : machines)
    if (m.id == id) return &m;
  return nullptr;
}

Value ci_low(const std::optional<results::Stat>& s) { return s ? opt_value(s->ci_low) : Value{}; }
Value ci_high(const std::optional<results::Stat>& s) { return s ? opt_value(s->ci_high) : Value{}; }
Value mean(const std::optional<results::Stat>& s) { return s ? Value{s->mean} : Value{}; }
Value sd(const std::optional<results::Stat>& s) { return s ? opt_value(s->stddev) : Value{}; }

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

// "nvml:0 812.4 J; nvml:1 790.1 J": each GPU's share of the GPU energy.
std::string gpu_energy_text(const std::vector<std::pair<std::string, double>>& gpus) {
  std::string out;
  for (const auto& [meter, joules] : gpus) out += fmt::format("{}{} {:.1f} J", out.empty() ? "" : "; ", meter, joules);
  return out;
}

constexpr const char* kNotRecordedText = "not recorded";

// The endpoint API of an in-process cell: it has none (docs/endpoint.md "Chat completions").
constexpr const char* kInProcessText = "in-process";

Value text_or_absent(const std::string& v) { return v.empty() ? Value{} : Value{v}; }
Value int_or_absent(int64_t v) { return v == results::kNotRecorded ? Value{} : Value{v}; }

void add_identity_columns(Table& t) {
  for (const auto& [key, label] : identity_columns()) {
    Column c{key, label};
    c.absent_text = key == "api" ? kInProcessText : kNotRecordedText;
    c.exact = true;
    t.columns.push_back(c);
  }
}

// Marks the columns `low` and `high` of `t` as the ends of the 95% interval of `value`.
void link_interval(Table& t, const std::string& value, const std::string& low, const std::string& high,
                   const std::string& note) {
  t.columns[*t.column_index(value)].interval_note = note;
  Column& l = t.columns[*t.column_index(low)];
  l.interval_of = value;
  Column& h = t.columns[*t.column_index(high)];
  h.interval_of = value;
  h.interval_high = true;
}

// The opt-in columns of the study's 1 Hz GPU method (docs/report.md): key and label.
constexpr std::pair<const char*, const char*> kOneHzColumns[] = {
    {"gpu_j_1hz", "GPU 1 Hz (J)"},
    {"one_hz_reference_j", "1 Hz reference (J)"},
    {"one_hz_reference", "1 Hz reference"},
    {"one_hz_error_pct", "1 Hz error (%)"},
    {"one_hz_error_pct_sd", "1 Hz error SD (%)"},
    {"one_hz_polls", "1 Hz polls"},
};

// Appends the 1 Hz columns to every row; absent for cells without a 1 Hz estimate (no GPU timeline
// or no GPU energy reading).
void append_one_hz_columns(Table& t, const Summary& summary) {
  for (const auto& [key, label] : kOneHzColumns) t.columns.push_back(Column{key, label, false, false, true});
  for (size_t i = 0; i < summary.rows.size(); ++i) {
    const std::optional<OneHzSummary>& o = summary.rows[i].metrics.one_hz;
    const std::optional<results::Stat> error = o ? o->error_pct : std::nullopt;
    auto& row = t.rows[i];
    row.push_back(o ? Value{o->gpu_j_1hz.mean} : Value{});
    row.push_back(o ? Value{o->reference_j.mean} : Value{});
    row.push_back(o ? Value{o->reference} : Value{});
    row.push_back(mean(error));
    row.push_back(sd(error));
    row.push_back(o ? count_value(o->polls) : Value{});
  }
}

}  // namespace

std::vector<Value> identity_values(const std::string& machine_label, const std::string& machine_id,
                                   const results::CellKey& k) {
  const results::EngineSettings& e = k.engine;
  return {Value{machine_label},
          Value{machine_id},
          Value{k.model},
          text_or_absent(k.model_sha256),
          text_or_absent(k.file_sha256),
          Value{k.precision},
          Value{k.kv_type},
          Value{k.placement},
          Value{k.task},
          Value{int64_t{k.limit}},
          Value{int64_t{k.shots}},
          text_or_absent(k.preset),
          int_or_absent(k.seed),
          text_or_absent(k.fewshot_sampler),
          int_or_absent(e.context_size),
          int_or_absent(e.batch_size),
          int_or_absent(e.ubatch_size),
          int_or_absent(e.scoring_lanes),
          int_or_absent(e.max_sequences),
          text_or_absent(e.flash_attention),
          int_or_absent(e.threads),
          Value{e.arrival_rate},
          text_or_absent(e.endpoint_api)};
}

const std::vector<std::pair<std::string, std::string>>& identity_columns() {
  static const std::vector<std::pair<std::string, std::string>> kColumns = {{"machine", "Machine"},
                                                                            {"machine_id", "Machine id"},
                                                                            {"model", "Model"},
                                                                            {"model_sha256", "Model SHA-256"},
                                                                            {"file_sha256", "File SHA-256"},
                                                                            {"precision", "Precision"},
                                                                            {"kv", "KV"},
                                                                            {"placement", "Placement"},
                                                                            {"task", "Task"},
                                                                            {"limit", "Limit"},
                                                                            {"shots", "Shots"},
                                                                            {"preset", "Preset"},
                                                                            {"seed", "Seed"},
                                                                            {"sampler", "Few-shot sampler"},
                                                                            {"ctx", "Context"},
                                                                            {"batch", "Batch"},
                                                                            {"ubatch", "Micro-batch"},
                                                                            {"lanes", "Lanes"},
                                                                            {"parallel", "Parallel"},
                                                                            {"flash_attn", "Flash attention"},
                                                                            {"threads", "Threads"},
                                                                            {"arrival_rate", "Arrival rate (/s)"},
                                                                            {"api", "Endpoint API"}};
  return kColumns;
}

void append_identity_columns(Table& t, bool exact) {
  for (const auto& [key, label] : identity_columns()) {
    Column c{key, label};
    c.absent_text = key == "api" ? kInProcessText : "not recorded";
    c.exact = exact;
    t.columns.push_back(c);
  }
}

std::vector<std::string> compact_identity_columns(const std::vector<std::vector<results::IdentityField>>& rows) {
  return distinguishing_fields(rows, {"machine", "model", "precision", "task"});
}

Summary build_summary(const std::vector<results::Cell>& cells, const std::vector<results::Machine>& machines) {
  Summary s;
  s.machines = machines;
  std::vector<std::string> unrecorded;
  for (const auto& cell : cells)
    if (!find_machine(machines, cell.machine_id)) unrecorded.push_back(cell.machine_id);
  s.machine_labels = machine_labels(machines, unrecorded);
  for (const auto& cell : cells) {
    const std::string& label = s.machine_labels[cell.machine_id];
    if (cell.status != results::CellStatus::kDone) {
      ++s.not_done;
      s.not_done_rows.push_back({cell.id, label, cell.key, cell.status, cell.skip_reason});
      continue;
    }
    SummaryRow row;
    row.cell_id = cell.id;
    row.machine_id = cell.machine_id;
    const results::Machine* m = find_machine(machines, cell.machine_id);
    row.machine_label = label;
    row.gpu_name = m ? m->gpu_name : "";
    row.key = cell.key;
    row.identity = results::identity_fields(label, cell.key);
    row.engine_used_json = cell.engine_used_json;
    const CellVersions versions = cell_versions(cell.repetitions);
    row.jouleval_version = versions.jouleval;
    row.llama_revision = versions.llama;
    row.mixed_versions = versions.mixed;
    row.model_size_bytes = cell.model_size_bytes;
    row.model_params = cell.model_params;
    row.peak_gpu_memory_bytes = cell.peak_gpu_memory_bytes;
    row.reference_precision = cell.reference_precision;
    row.answer_flips = cell.answer_flips;
    row.mean_kl = cell.mean_kl;
    row.metrics = compute_cell_metrics(cell);
    s.rows.push_back(std::move(row));
  }
  return s;
}

bool summary_columns_need_timeline(const std::vector<std::string>& keys) {
  for (const auto& key : keys)
    for (const auto& column : kOneHzColumns)
      if (key == column.first) return true;
  return false;
}

namespace {

std::vector<std::vector<results::IdentityField>> identities(const Summary& s) {
  std::vector<std::vector<results::IdentityField>> out;
  for (const auto& r : s.rows) out.push_back(r.identity);
  return out;
}

bool any_mixed_versions(const Summary& s) {
  return std::any_of(s.rows.begin(), s.rows.end(), [](const SummaryRow& r) { return !r.mixed_versions.empty(); });
}

// The flags of a row (the `flags` column): what makes its numbers need care.
std::vector<std::string> row_flags(const SummaryRow& r) {
  const CellMetrics& m = r.metrics;
  std::vector<std::string> flags;
  if (m.short_window) flags.push_back("short window");
  if (m.max_passes > 1)
    flags.push_back(fmt::format("work repeated up to {}x per window (figures per run)", m.max_passes));
  if (m.disagreement_flag) flags.push_back("counter/integral disagree");
  if (m.random_weights) flags.push_back("random weights (chance level)");
  if (m.cpu_placement && !m.stats.total_j && m.stats.gpu_j)
    flags.push_back("CPU placement: no CPU meter, the GPU's reading is not the work's energy");
  if (!r.mixed_versions.empty()) flags.push_back(r.mixed_versions);
  return flags;
}

// The identity columns of the exports for people: machine, model, precision, task, the other
// identity fields that vary, and the shots always.
std::vector<std::string> export_identity_columns(const Summary& summary) {
  std::vector<std::string> keys = compact_identity_columns(identities(summary));
  if (std::find(keys.begin(), keys.end(), "shots") == keys.end()) keys.push_back("shots");
  return keys;
}

// `key` and the ends of its 95% interval (shown as "value ± half-width" by the formats for people).
void add_with_interval(std::vector<std::string>& keys, const std::string& key) {
  keys.push_back(key);
  keys.push_back(key + "_ci_low");
  keys.push_back(key + "_ci_high");
}

}  // namespace

std::vector<std::string> markdown_default_columns(const Summary& summary) {
  std::vector<std::string> keys = export_identity_columns(summary);
  keys.push_back("items");
  keys.push_back("metric");
  add_with_interval(keys, "score");
  add_with_interval(keys, "energy_wh");
  keys.push_back("seconds");
  keys.push_back("tokens_per_s");
  add_with_interval(keys, "j_per_question");
  add_with_interval(keys, "eor");
  add_with_interval(keys, "eor_item");
  keys.push_back("tweor_item");
  if (std::any_of(summary.rows.begin(), summary.rows.end(), [](const SummaryRow& r) { return !row_flags(r).empty(); }))
    keys.push_back("flags");
  return keys;
}

std::vector<std::string> latex_default_columns(const Summary& summary) {
  std::vector<std::string> keys = export_identity_columns(summary);
  keys.push_back("items");
  keys.push_back("metric");
  for (const char* k : {"score", "energy_wh", "j_per_question", "eor_item"}) add_with_interval(keys, k);
  if (any_mixed_versions(summary)) keys.push_back("flags");
  return keys;
}

std::vector<std::string> caption_notes(const Summary& summary, const std::vector<int64_t>& cell_ids) {
  std::vector<const SummaryRow*> rows;
  for (const auto& r : summary.rows)
    if (cell_ids.empty() || std::find(cell_ids.begin(), cell_ids.end(), r.cell_id) != cell_ids.end())
      rows.push_back(&r);
  if (rows.empty()) return {};
  std::vector<std::string> notes;
  // The meters whose readings make the energy, per machine when the rows ran on several.
  std::vector<std::pair<std::string, std::vector<std::string>>> meters;  // machine label -> meters
  std::vector<std::string> random_models;
  for (const SummaryRow* r : rows) {
    auto it = std::find_if(meters.begin(), meters.end(), [&](const auto& m) { return m.first == r->machine_label; });
    if (it == meters.end()) it = meters.insert(meters.end(), {r->machine_label, {}});
    for (const auto& m : r->metrics.meters_used)
      if (std::find(it->second.begin(), it->second.end(), m) == it->second.end()) it->second.push_back(m);
    if (r->metrics.random_weights &&
        std::find(random_models.begin(), random_models.end(), r->key.model) == random_models.end())
      random_models.push_back(r->key.model);
  }
  auto list = [](const std::vector<std::string>& m) {
    return m.empty() ? std::string("no meter available") : join(m, ", ");
  };
  const std::string energy = "Energy: each meter's total over the run, idle draw included (not idle-subtracted)";
  const bool same_everywhere =
      std::all_of(meters.begin(), meters.end(), [&](const auto& m) { return m.second == meters[0].second; });
  if (same_everywhere && meters[0].second.empty()) {
    notes.push_back("Energy: unavailable, no meter had a reading.");
  } else if (same_everywhere) {
    notes.push_back(
        fmt::format("{}; meters{}: {}.", energy, meters.size() > 1 ? " on every machine" : "", list(meters[0].second)));
  } else {
    std::vector<std::string> parts;
    for (const auto& [machine, m] : meters) parts.push_back(fmt::format("{}: {}", machine, list(m)));
    notes.push_back(fmt::format("{}; meters on {}.", energy, join(parts, "; on ")));
  }
  if (!random_models.empty())
    notes.push_back(fmt::format("Random-weight model{} ({}): accuracy is chance level.",
                                random_models.size() > 1 ? "s" : "", join(random_models, ", ")));
  return notes;
}

Table summary_table(const Summary& summary) {
  Table t;
  auto col = [&](const char* key, const char* label, bool energy = false) -> Column& {
    t.columns.push_back(Column{key, label, energy, false});
    return t.columns.back();
  };
  col("cell_id", "Cell").exact = true;
  add_identity_columns(t);
  col("jouleval_version", "jouleval");
  col("llama_revision", "llama.cpp");
  col("reps", "Reps");
  col("items", "Items");
  col("metric", "Metric");
  col("score", "Score").decimals = 3;
  col("score_stderr", "Score SE").decimals = 3;
  col("score_ci_low", "Score CI low").decimals = 3;
  col("score_ci_high", "Score CI high").decimals = 3;
  col("random_weights", "Random weights");
  col("energy_j", "Energy (J)", true);
  col("energy_j_sd", "Energy SD (J)", true);
  col("energy_j_ci_low", "Energy CI low (J)", true);
  col("energy_j_ci_high", "Energy CI high (J)", true);
  col("energy_wh", "Energy (Wh)", true);
  col("energy_wh_ci_low", "Energy CI low (Wh)", true);
  col("energy_wh_ci_high", "Energy CI high (Wh)", true);
  col("gpu_j", "GPU (J)", true);
  col("cpu_j", "CPU (J)", true);
  col("dram_j", "DRAM (J)", true);
  col("system_j", "System (J)", true);
  col("active_j", "Active (J)", true);
  col("seconds", "Time (s)");
  col("seconds_sd", "Time SD (s)");
  col("prompt_tokens", "Prompt tokens");
  col("generated_tokens", "Gen. tokens");
  col("tokens_per_s", "Tokens/s");
  col("gen_tokens_per_s", "Gen. tokens/s");
  col("avg_power_w", "Avg power (W)", true);
  col("peak_power_w", "Peak power (W)", true);
  col("j_per_token", "J/token", true);
  col("j_per_prompt_token", "J/prompt token", true);
  col("j_per_gen_token", "J/gen. token", true);
  col("j_per_question", "J/question", true);
  col("j_per_question_ci_low", "J/question CI low", true);
  col("j_per_question_ci_high", "J/question CI high", true);
  col("eor", "EOR (1/Wh)", true);
  col("eor_ci_low", "EOR CI low", true);
  col("eor_ci_high", "EOR CI high", true);
  col("tweor", "TWEOR (1/(Wh s))", true);
  col("eor_item", "EOR/item", true);
  col("eor_item_ci_low", "EOR/item CI low", true);
  col("eor_item_ci_high", "EOR/item CI high", true);
  col("tweor_item", "TWEOR/item", true);
  col("peak_gpu_memory_gb", "Peak GPU mem (GB)");
  col("model_gb", "Model (GB)");
  col("params_b", "Params (B)");
  col("reference_precision", "Reference");
  col("answer_flips", "Answer flips").decimals = 3;
  col("mean_kl", "Mean KL");
  col("energy_estimated", "Estimated");
  col("meters", "Meters");
  col("unavailable_meters", "Unavailable meters");
  col("gpu_j_by_device", "GPU (J) per GPU");
  col("unused_gpus", "Unused GPUs (not counted)");
  col("flags", "Flags");
  const std::string over_items = "1.96 × the standard error over the items";
  const std::string over_reps = "Student t over the repetitions";
  link_interval(t, "score", "score_ci_low", "score_ci_high", over_items);
  link_interval(t, "energy_j", "energy_j_ci_low", "energy_j_ci_high", over_reps);
  link_interval(t, "energy_wh", "energy_wh_ci_low", "energy_wh_ci_high", over_reps);
  link_interval(t, "j_per_question", "j_per_question_ci_low", "j_per_question_ci_high", over_reps);
  link_interval(t, "eor", "eor_ci_low", "eor_ci_high", over_reps);
  link_interval(t, "eor_item", "eor_item_ci_low", "eor_item_ci_high", over_reps);
  t.default_columns = compact_identity_columns(identities(summary));
  for (const char* k :
       {"score", "energy_wh", "seconds", "tokens_per_s", "j_per_question", "eor", "eor_item", "tweor_item"})
    t.default_columns.push_back(k);
  bool any_flag = false;

  for (const auto& r : summary.rows) {
    const auto& m = r.metrics;
    const auto& st = m.stats;
    const std::vector<std::string> flags = row_flags(r);
    any_flag = any_flag || !flags.empty();
    std::vector<Value> row = {Value{r.cell_id}};
    for (Value& v : identity_values(r.machine_label, r.machine_id, r.key)) row.push_back(std::move(v));
    const std::vector<Value> rest = {
        text_or_absent(r.jouleval_version),
        text_or_absent(r.llama_revision),
        Value{static_cast<int64_t>(m.repetitions.size())},
        Value{int64_t{m.items}},
        Value{m.headline.name},
        opt_value(m.score),
        opt_value(m.score_stderr),
        m.score && m.score_stderr ? Value{*m.score - results::kZ95 * *m.score_stderr} : Value{},
        m.score && m.score_stderr ? Value{*m.score + results::kZ95 * *m.score_stderr} : Value{},
        Value{m.random_weights},
        mean(st.total_j),
        sd(st.total_j),
        ci_low(st.total_j),
        ci_high(st.total_j),
        mean(st.total_wh),
        ci_low(st.total_wh),
        ci_high(st.total_wh),
        mean(st.gpu_j),
        mean(st.cpu_j),
        mean(st.dram_j),
        mean(st.system_j),
        mean(st.active_j),
        mean(st.seconds),
        sd(st.seconds),
        Value{m.prompt_tokens},
        Value{m.generated_tokens},
        mean(st.tokens_per_s),
        mean(st.generated_tokens_per_s),
        mean(st.avg_power_w),
        mean(st.peak_power_w),
        mean(st.j_per_token),
        mean(st.j_per_prompt_token),
        mean(st.j_per_generated_token),
        mean(st.j_per_question),
        ci_low(st.j_per_question),
        ci_high(st.j_per_question),
        mean(st.eor),
        ci_low(st.eor),
        ci_high(st.eor),
        mean(st.tweor),
        mean(st.eor_item),
        ci_low(st.eor_item),
        ci_high(st.eor_item),
        mean(st.tweor_item),
        r.peak_gpu_memory_bytes ? Value{static_cast<double>(r.peak_gpu_memory_bytes) / 1e9} : Value{},
        r.model_size_bytes ? Value{static_cast<double>(r.model_size_bytes) / 1e9} : Value{},
        r.model_params ? Value{static_cast<double>(r.model_params) / 1e9} : Value{},
        r.reference_precision ? Value{*r.reference_precision} : Value{},
        opt_value(r.answer_flips),
        opt_value(r.mean_kl),
        Value{m.estimated},
        Value{join(m.meters_used, "; ")},
        Value{join(m.unavailable_meters, "; ")},
        Value{gpu_energy_text(m.gpu_j_by_meter)},
        Value{join(m.unused_gpus, "; ")},
        Value{join(flags, "; ")},
    };
    row.insert(row.end(), rest.begin(), rest.end());
    t.rows.push_back(std::move(row));
    t.row_estimated.push_back(m.estimated);
  }
  if (any_flag) t.default_columns.push_back("flags");
  append_one_hz_columns(t, summary);
  return t;
}

Table items_table(const std::vector<results::Cell>& cells, const std::vector<results::Machine>& machines) {
  Table t;
  t.columns = {{"cell_id", "Cell"}};
  t.columns[0].exact = true;
  add_identity_columns(t);
  t.columns.push_back({"item_id", "Item"});
  t.columns.push_back({"correct", "Correct"});
  t.columns.push_back({"record", "Record", false, true});
  std::vector<std::string> unrecorded;
  for (const auto& cell : cells)
    if (!find_machine(machines, cell.machine_id)) unrecorded.push_back(cell.machine_id);
  const auto labels = machine_labels(machines, unrecorded);
  std::vector<std::vector<results::IdentityField>> shown;
  for (const auto& cell : cells) {
    if (cell.status != results::CellStatus::kDone) continue;
    const std::string& label = labels.at(cell.machine_id);
    if (!cell.items.empty()) shown.push_back(results::identity_fields(label, cell.key));
    for (const auto& item : cell.items) {
      std::vector<Value> row = {Value{cell.id}};
      for (Value& v : identity_values(label, cell.machine_id, cell.key)) row.push_back(std::move(v));
      row.push_back(Value{item.item_id});
      row.push_back(Value{item.correct});
      row.push_back(item.json.empty() ? Value{} : Value{item.json});
      t.rows.push_back(std::move(row));
      t.row_estimated.push_back(false);
    }
  }
  t.default_columns = {"cell_id"};
  for (const auto& k : compact_identity_columns(shown)) t.default_columns.push_back(k);
  t.default_columns.push_back("item_id");
  t.default_columns.push_back("correct");
  return t;
}

}  // namespace jouleval::report
