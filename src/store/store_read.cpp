// Store's queries for reports and merge: cells with their children, items, timelines.
#include <fmt/format.h>

#include "store/statement.h"
#include "store/store.h"

namespace jouleval::store {

namespace {

// The cell columns as read; a file older than schema version 3 lacks some, read as "not recorded".
std::string cell_select(int version) {
  const bool v3 = version >= 3;
  // Before version 8 every endpoint cell was measured through /v1/completions.
  const char* api =
      version >= 8 ? "endpoint_api" : "CASE WHEN placement LIKE 'endpoint:%' THEN 'completions' ELSE '' END";
  return fmt::format(R"sql(
  SELECT id, machine_id, model, model_sha256, {}, precision, kv_type, placement, task, item_limit, shots, {},
         status, skip_reason, run_id, model_path, model_size_bytes, model_params, weight_types, random_weights,
         load_seconds, peak_gpu_memory_bytes, reference_precision, answer_flips, mean_kl, {}, {}, {}, {}
  FROM cells)sql",
                     v3 ? "file_sha256" : "''",
                     v3 ? "preset, seed, context_size, batch_size, ubatch_size, scoring_lanes, max_sequences, threads, "
                          "flash_attention"
                        : "'', -1, -1, -1, -1, -1, -1, threads, ''",
                     v3 ? "engine_used_json" : "'{}'",
                     version >= 7 ? "arrival_rate" : "0",  // before version 7: closed loops only
                     api,
                     version >= 9 ? "fewshot_sampler" : "'lm-eval'");  // before version 9: lm-eval's samplers
}

std::string repetition_select(int version) {
  return fmt::format(R"sql(
    SELECT id, idx, started_at, seconds, short_window, prompt_tokens, generated_tokens, decode_calls, items, {}, {},
           {}
    FROM repetitions WHERE cell_id = ? ORDER BY idx)sql",
                     version >= 2 ? "passes" : "1",
                     version >= 3 ? "jouleval_version, llama_revision"
                                  : "coalesce((SELECT jouleval_version FROM runs WHERE runs.id = run_id), ''), ''",
                     version >= 4 ? "peak_rss_bytes" : "NULL");
}

Cell read_cell_row(const Statement& st) {
  Cell c;
  c.id = st.column_int64(0);
  c.machine_id = st.column_text(1);
  c.key.model = st.column_text(2);
  c.key.model_sha256 = st.column_text(3);
  c.key.file_sha256 = st.column_text(4);
  c.key.precision = st.column_text(5);
  c.key.kv_type = st.column_text(6);
  c.key.placement = st.column_text(7);
  c.key.task = st.column_text(8);
  c.key.limit = static_cast<int32_t>(st.column_int64(9));
  c.key.shots = static_cast<int32_t>(st.column_int64(10));
  c.key.preset = st.column_text(11);
  c.key.seed = st.column_int64(12);
  auto int32 = [&](int column) { return static_cast<int32_t>(st.column_int64(column)); };
  c.key.engine.context_size = int32(13);
  c.key.engine.batch_size = int32(14);
  c.key.engine.ubatch_size = int32(15);
  c.key.engine.scoring_lanes = int32(16);
  c.key.engine.max_sequences = int32(17);
  c.key.engine.threads = int32(18);
  c.key.engine.flash_attention = st.column_text(19);
  c.status = results::parse_cell_status(st.column_text(20));
  c.skip_reason = st.column_text(21);
  c.run_id = st.column_optional_int64(22).value_or(0);
  c.model_path = st.column_text(23);
  c.model_size_bytes = static_cast<uint64_t>(st.column_int64(24));
  c.model_params = static_cast<uint64_t>(st.column_int64(25));
  c.weight_types = st.column_text(26);
  c.random_weights = st.column_bool(27);
  c.load_seconds = st.column_double(28);
  c.peak_gpu_memory_bytes = static_cast<uint64_t>(st.column_int64(29));
  c.reference_precision = st.column_optional_text(30);
  c.answer_flips = st.column_optional_double(31);
  c.mean_kl = st.column_optional_double(32);
  c.engine_used_json = st.column_text(33);
  c.key.engine.arrival_rate = st.column_double(34);
  c.key.engine.endpoint_api = st.column_text(35);
  c.key.fewshot_sampler = st.column_text(36);
  return c;
}

MeterEnergy read_meter(const Statement& st) {
  MeterEnergy m;
  m.meter = st.column_text(0);
  m.device = st.column_text(1);
  m.kind = st.column_text(2);
  m.available = st.column_bool(3);
  m.unavailable_reason = st.column_text(4);
  m.estimated = st.column_bool(5);
  m.counter_joules = st.column_optional_double(6);
  m.integrated_joules = st.column_optional_double(7);
  m.disagreement = st.column_optional_double(8);
  m.disagreement_flag = st.column_bool(9);
  m.idle_watts = st.column_optional_double(10);
  m.total_joules = st.column_optional_double(11);
  m.active_joules = st.column_optional_double(12);
  m.avg_watts = st.column_optional_double(13);
  m.peak_watts = st.column_optional_double(14);
  m.temp_start_c = st.column_optional_double(15);
  m.temp_end_c = st.column_optional_double(16);
  return m;
}

PhaseEnergy read_phase(const Statement& st) {
  PhaseEnergy p;
  p.phase = st.column_text(0);
  p.meter = st.column_text(1);
  p.seconds = st.column_double(2);
  p.tokens = st.column_int64(3);
  p.steps = static_cast<int32_t>(st.column_int64(4));
  p.batch = static_cast<int32_t>(st.column_int64(5));
  p.method = st.column_text(6);
  p.joules = st.column_optional_double(7);
  p.joules_idle_subtracted = st.column_optional_double(8);
  p.note = st.column_text(9);
  return p;
}

}  // namespace

std::vector<Cell> Store::cells(const CellQuery& query) { return read_cells("", std::nullopt, query); }

std::optional<Cell> Store::cell(int64_t cell_id, const CellQuery& query) {
  std::vector<Cell> found = read_cells(" WHERE id = ?", cell_id, query);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<Cell> Store::read_cells(const std::string& where, std::optional<int64_t> id, const CellQuery& query) {
  Statement st(db_, cell_select(schema_version_) + where + " ORDER BY id");
  if (id) st.bind(1, *id);
  std::vector<Cell> out;
  while (st.step()) out.push_back(read_cell_row(st));

  Statement metrics(db_, "SELECT name, value, stderr FROM metrics WHERE cell_id = ? ORDER BY rowid");
  Statement reps(db_, repetition_select(schema_version_));
  Statement meters(db_, R"sql(
    SELECT meter, device, kind, available, unavailable_reason, estimated, counter_joules, integrated_joules,
           disagreement, disagreement_flag, idle_watts, total_joules, active_joules, avg_watts, peak_watts,
           temp_start_c, temp_end_c
    FROM meters WHERE repetition_id = ? ORDER BY id)sql");
  // Version 5 and later: the phases of generation repetitions.
  std::optional<Statement> phases;
  if (schema_version_ >= 5) {
    phases.emplace(db_, R"sql(
    SELECT phase, meter, seconds, tokens, steps, batch, method, joules, joules_idle_subtracted, note
    FROM phase_energy WHERE repetition_id = ? ORDER BY rowid)sql");
  }
  // Version 6 and later: the latency under load of endpoint repetitions.
  std::optional<Statement> latency;
  if (schema_version_ >= 6) latency.emplace(db_, "SELECT summary FROM request_latency WHERE repetition_id = ?");
  for (Cell& c : out) {
    metrics.bind(1, c.id);
    while (metrics.step())
      c.metrics.push_back({metrics.column_text(0), metrics.column_double(1), metrics.column_optional_double(2)});
    metrics.reset();
    reps.bind(1, c.id);
    while (reps.step()) {
      Repetition r;
      r.id = reps.column_int64(0);
      r.index = static_cast<int32_t>(reps.column_int64(1));
      r.started_at = reps.column_text(2);
      r.seconds = reps.column_double(3);
      r.short_window = reps.column_bool(4);
      r.prompt_tokens = reps.column_int64(5);
      r.generated_tokens = reps.column_int64(6);
      r.decode_calls = reps.column_int64(7);
      r.items = static_cast<int32_t>(reps.column_int64(8));
      r.passes = static_cast<int32_t>(reps.column_int64(9));
      r.jouleval_version = reps.column_text(10);
      r.llama_revision = reps.column_text(11);
      if (const auto rss = reps.column_optional_int64(12)) r.peak_rss_bytes = static_cast<uint64_t>(*rss);
      c.repetitions.push_back(std::move(r));
    }
    reps.reset();
    for (Repetition& r : c.repetitions) {
      meters.bind(1, r.id);
      while (meters.step()) r.meters.push_back(read_meter(meters));
      meters.reset();
      if (phases) {
        phases->bind(1, r.id);
        while (phases->step()) r.phases.push_back(read_phase(*phases));
        phases->reset();
      }
      if (latency) {
        latency->bind(1, r.id);
        if (latency->step()) r.latency_json = latency->column_text(0);
        latency->reset();
      }
      if (query.with_timeline) r.timeline = timeline(r.id);
    }
    if (query.with_items) c.items = items(c.id);
  }
  return out;
}

std::vector<ItemRecord> Store::items(int64_t cell_id) {
  Statement st(db_, "SELECT item_id, correct, json FROM items WHERE cell_id = ? ORDER BY id");
  st.bind(1, cell_id);
  std::vector<ItemRecord> out;
  while (st.step()) out.push_back({st.column_text(0), st.column_bool(1), st.column_text(2)});
  return out;
}

std::vector<PowerSample> Store::timeline(int64_t repetition_id) {
  Statement st(db_, "SELECT t, meter, watts FROM timeline WHERE repetition_id = ? ORDER BY rowid");
  st.bind(1, repetition_id);
  std::vector<PowerSample> out;
  while (st.step()) out.push_back({st.column_double(0), st.column_text(1), st.column_double(2)});
  return out;
}

int64_t Store::count_repetitions(int64_t cell_id) {
  Statement st(db_, "SELECT count(*) FROM repetitions WHERE cell_id = ?");
  st.bind(1, cell_id);
  return st.step() ? st.column_int64(0) : 0;
}

}  // namespace jouleval::store
