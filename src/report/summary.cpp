#include "report/summary.h"

#include <map>
#include <utility>

#include <fmt/format.h>

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

std::string machine_label(const results::Machine& machine) {
  const std::string& device = machine.gpu_name.empty() ? machine.cpu_model : machine.gpu_name;
  if (machine.hostname.empty()) return device.empty() ? machine.id : device;
  return device.empty() ? machine.hostname : fmt::format("{} / {}", machine.hostname, device);
}

Summary build_summary(const std::vector<results::Cell>& cells, const std::vector<results::Machine>& machines) {
  Summary s;
  s.machines = machines;
  for (const auto& cell : cells) {
    if (cell.status != results::CellStatus::kDone) {
      ++s.not_done;
      continue;
    }
    SummaryRow row;
    row.cell_id = cell.id;
    row.machine_id = cell.machine_id;
    const results::Machine* m = find_machine(machines, cell.machine_id);
    row.machine_label = m ? machine_label(*m) : cell.machine_id;
    row.gpu_name = m ? m->gpu_name : "";
    row.key = cell.key;
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

std::vector<std::string> latex_default_columns() {
  return {"model", "precision", "task", "score", "energy_wh", "j_per_question", "eor_item"};
}

Table summary_table(const Summary& summary) {
  Table t;
  auto col = [&](const char* key, const char* label, bool energy = false) {
    t.columns.push_back(Column{key, label, energy, false});
  };
  col("cell_id", "Cell");
  col("machine", "Machine");
  col("model", "Model");
  col("precision", "Precision");
  col("kv", "KV");
  col("placement", "Placement");
  col("task", "Task");
  col("limit", "Limit");
  col("shots", "Shots");
  col("reps", "Reps");
  col("items", "Items");
  col("metric", "Metric");
  col("score", "Score");
  col("score_stderr", "Score SE");
  col("random_weights", "Random weights");
  col("energy_j", "Energy (J)", true);
  col("energy_j_sd", "Energy SD (J)", true);
  col("energy_j_ci_low", "Energy CI low (J)", true);
  col("energy_j_ci_high", "Energy CI high (J)", true);
  col("energy_wh", "Energy (Wh)", true);
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
  col("answer_flips", "Answer flips");
  col("mean_kl", "Mean KL");
  col("energy_estimated", "Estimated");
  col("unavailable_meters", "Unavailable meters");
  col("flags", "Flags");
  t.default_columns = {"model",     "precision", "kv",           "placement",      "machine", "task",     "score",
                       "energy_wh", "seconds",   "tokens_per_s", "j_per_question", "eor",     "eor_item", "tweor_item"};

  for (const auto& r : summary.rows) {
    const auto& m = r.metrics;
    const auto& st = m.stats;
    std::vector<std::string> flags;
    if (m.short_window) flags.push_back("short window");
    if (m.max_passes > 1)
      flags.push_back(fmt::format("work repeated up to {}x per window (figures per run)", m.max_passes));
    if (m.disagreement_flag) flags.push_back("counter/integral disagree");
    if (m.random_weights) flags.push_back("random weights (chance level)");
    if (m.cpu_placement && !m.stats.total_j && m.stats.gpu_j)
      flags.push_back("CPU placement: no CPU meter, the GPU's reading is not the work's energy");
    std::vector<Value> row = {
        Value{r.cell_id},
        Value{r.machine_label},
        Value{r.key.model},
        Value{r.key.precision},
        Value{r.key.kv_type},
        Value{r.key.placement},
        Value{r.key.task},
        Value{int64_t{r.key.limit}},
        Value{int64_t{r.key.shots}},
        Value{static_cast<int64_t>(m.repetitions.size())},
        Value{int64_t{m.items}},
        Value{m.headline.name},
        opt_value(m.score),
        opt_value(m.score_stderr),
        Value{m.random_weights},
        mean(st.total_j),
        sd(st.total_j),
        ci_low(st.total_j),
        ci_high(st.total_j),
        mean(st.total_wh),
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
        Value{join(m.unavailable_meters, "; ")},
        Value{join(flags, "; ")},
    };
    t.rows.push_back(std::move(row));
    t.row_estimated.push_back(m.estimated);
  }
  append_one_hz_columns(t, summary);
  return t;
}

Table items_table(const std::vector<results::Cell>& cells, const std::vector<results::Machine>& machines) {
  Table t;
  t.columns = {{"cell_id", "Cell"},    {"machine", "Machine"},           {"model", "Model"}, {"precision", "Precision"},
               {"kv", "KV"},           {"placement", "Placement"},       {"task", "Task"},   {"item_id", "Item"},
               {"correct", "Correct"}, {"record", "Record", false, true}};
  t.default_columns = {"cell_id", "machine", "model", "precision", "kv", "placement", "task", "item_id", "correct"};
  for (const auto& cell : cells) {
    if (cell.status != results::CellStatus::kDone) continue;
    const results::Machine* m = find_machine(machines, cell.machine_id);
    const std::string label = m ? machine_label(*m) : cell.machine_id;
    for (const auto& item : cell.items) {
      t.rows.push_back({Value{cell.id}, Value{label}, Value{cell.key.model}, Value{cell.key.precision},
                        Value{cell.key.kv_type}, Value{cell.key.placement}, Value{cell.key.task}, Value{item.item_id},
                        Value{item.correct}, item.json.empty() ? Value{} : Value{item.json}});
      t.row_estimated.push_back(false);
    }
  }
  return t;
}

}  // namespace jouleval::report
