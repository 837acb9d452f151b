// Store's writes: cells, repetitions, metrics and items (each public write is one transaction).
#include <fmt/format.h>

#include "store/statement.h"
#include "store/store.h"
#include "store/transaction.h"

namespace jouleval::store {

namespace {

// The cell identity: machine id and every CellKey field, in this order (the cells' UNIQUE key).
constexpr const char* kKeyColumns =
    "machine_id, model, model_sha256, file_sha256, precision, kv_type, placement, task, item_limit, shots, preset, "
    "seed, context_size, batch_size, ubatch_size, scoring_lanes, max_sequences, threads, flash_attention, "
    "arrival_rate, endpoint_api, fewshot_sampler";
constexpr const char* kKeyParams = "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?";

// Binds machine id + key to the parameters from `first` on; returns the next parameter index.
int bind_key(Statement& st, int first, const std::string& machine_id, const CellKey& key) {
  int i = first;
  st.bind(i++, machine_id);
  st.bind(i++, key.model);
  st.bind(i++, key.model_sha256);
  st.bind(i++, key.file_sha256);
  st.bind(i++, key.precision);
  st.bind(i++, key.kv_type);
  st.bind(i++, key.placement);
  st.bind(i++, key.task);
  st.bind(i++, key.limit);
  st.bind(i++, key.shots);
  st.bind(i++, key.preset);
  st.bind(i++, key.seed);
  st.bind(i++, key.engine.context_size);
  st.bind(i++, key.engine.batch_size);
  st.bind(i++, key.engine.ubatch_size);
  st.bind(i++, key.engine.scoring_lanes);
  st.bind(i++, key.engine.max_sequences);
  st.bind(i++, key.engine.threads);
  st.bind(i++, key.engine.flash_attention);
  st.bind(i++, key.engine.arrival_rate);
  st.bind(i++, key.engine.endpoint_api);
  st.bind(i++, key.fewshot_sampler);
  return i;
}

int64_t returned_id(Statement& st) {
  if (!st.step()) return 0;
  const int64_t id = st.column_int64(0);
  st.reset();
  return id;
}

}  // namespace

std::optional<CellProgress> Store::find_cell(const std::string& machine_id, const CellKey& key) {
  Statement st(
      db_,
      fmt::format("SELECT id, status, skip_reason, coalesce(engine_used_json, '{{}}') FROM cells WHERE ({}) = ({})",
                  kKeyColumns, kKeyParams));
  bind_key(st, 1, machine_id, key);
  if (!st.step()) return std::nullopt;
  CellProgress progress{
      st.column_int64(0), results::parse_cell_status(st.column_text(1)), st.column_text(2), {}, st.column_text(3)};
  Statement reps(db_, "SELECT idx FROM repetitions WHERE cell_id = ? ORDER BY idx");
  reps.bind(1, progress.id);
  while (reps.step()) progress.done_repetitions.push_back(static_cast<int32_t>(reps.column_int64(0)));
  return progress;
}

int64_t Store::ensure_cell(const std::string& machine_id, const CellKey& key) {
  Statement st(db_, fmt::format(R"sql(
    INSERT INTO cells ({0}, status) VALUES ({1}, 'pending')
    ON CONFLICT ({0}) DO UPDATE SET status = status
    RETURNING id)sql",
                                kKeyColumns, kKeyParams));
  bind_key(st, 1, machine_id, key);
  return returned_id(st);
}

std::optional<int64_t> Store::find_done_cell_with_precision(const std::string& machine_id, const CellKey& key,
                                                            const std::string& precision) {
  CellKey reference = key;
  reference.precision = precision;
  Statement st(db_, R"sql(
    SELECT id FROM cells WHERE status = 'done' AND machine_id = ? AND model = ? AND model_sha256 = ?
      AND precision = ? AND kv_type = ? AND placement = ? AND task = ? AND item_limit = ? AND shots = ?
      AND preset = ? AND seed = ? AND context_size = ? AND batch_size = ? AND ubatch_size = ?
      AND scoring_lanes = ? AND max_sequences = ? AND threads = ? AND flash_attention = ? AND arrival_rate = ?
      AND endpoint_api = ? AND fewshot_sampler = ?
    ORDER BY id LIMIT 1)sql");
  const EngineSettings& e = reference.engine;
  st.bind_all(machine_id, reference.model, reference.model_sha256, reference.precision, reference.kv_type,
              reference.placement, reference.task, reference.limit, reference.shots, reference.preset, reference.seed,
              e.context_size, e.batch_size, e.ubatch_size, e.scoring_lanes, e.max_sequences, e.threads,
              e.flash_attention, e.arrival_rate, e.endpoint_api, reference.fewshot_sampler);
  if (!st.step()) return std::nullopt;
  return st.column_int64(0);
}

int64_t Store::upsert_cell_pending(const Cell& cell) {
  Statement st(db_, fmt::format(R"sql(
    INSERT INTO cells ({0}, status, skip_reason, run_id, model_path, model_size_bytes, model_params, weight_types,
                       random_weights, load_seconds, peak_gpu_memory_bytes, engine_used_json)
    VALUES ({1}, 'pending', '', ?,?,?,?,?,?,?,?,?)
    ON CONFLICT ({0}) DO UPDATE SET status = 'pending', skip_reason = '', run_id = coalesce(excluded.run_id, run_id),
      model_path = excluded.model_path, model_size_bytes = excluded.model_size_bytes,
      model_params = excluded.model_params, weight_types = excluded.weight_types,
      random_weights = excluded.random_weights, load_seconds = excluded.load_seconds,
      peak_gpu_memory_bytes = excluded.peak_gpu_memory_bytes, engine_used_json = excluded.engine_used_json
    RETURNING id)sql",
                                kKeyColumns, kKeyParams));
  int i = bind_key(st, 1, cell.machine_id, cell.key);
  st.bind(i++, current_run_);
  st.bind(i++, cell.model_path);
  st.bind(i++, cell.model_size_bytes);
  st.bind(i++, cell.model_params);
  st.bind(i++, cell.weight_types);
  st.bind(i++, cell.random_weights);
  st.bind(i++, cell.load_seconds);
  st.bind(i++, cell.peak_gpu_memory_bytes);
  st.bind(i++, cell.engine_used_json);
  return returned_id(st);
}

int64_t Store::mark_skipped(const std::string& machine_id, const CellKey& key, const std::string& reason) {
  return mark_status(machine_id, key, CellStatus::kSkipped, reason);
}

int64_t Store::mark_failed(const std::string& machine_id, const CellKey& key, const std::string& reason) {
  return mark_status(machine_id, key, CellStatus::kFailed, reason);
}

int64_t Store::mark_status(const std::string& machine_id, const CellKey& key, CellStatus status,
                           const std::string& reason) {
  Statement st(db_, fmt::format(R"sql(
    INSERT INTO cells ({0}, status, skip_reason, run_id) VALUES ({1}, ?, ?, ?)
    ON CONFLICT ({0}) DO UPDATE SET status = excluded.status, skip_reason = excluded.skip_reason,
      run_id = coalesce(excluded.run_id, run_id)
    RETURNING id)sql",
                                kKeyColumns, kKeyParams));
  int i = bind_key(st, 1, machine_id, key);
  st.bind(i++, to_string(status));
  st.bind(i++, reason);
  st.bind(i++, current_run_);
  return returned_id(st);
}

bool Store::add_repetition(int64_t cell_id, const Repetition& repetition) {
  Transaction tx(db_);
  {
    Statement exists(db_, "SELECT 1 FROM repetitions WHERE cell_id = ? AND idx = ?");
    exists.bind_all(cell_id, repetition.index);
    if (exists.step()) return false;  // already stored: nothing written, tx rolls back
  }
  write_repetition(cell_id, repetition, current_run_);
  tx.commit();
  return true;
}

void Store::write_repetition(int64_t cell_id, const Repetition& r, std::optional<int64_t> run_id) {
  Statement rep(db_, R"sql(
    INSERT INTO repetitions (cell_id, idx, run_id, started_at, seconds, short_window, prompt_tokens,
                             generated_tokens, decode_calls, items, passes, jouleval_version, llama_revision,
                             peak_rss_bytes)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?))sql");
  rep.bind_all(cell_id, r.index, run_id, r.started_at, r.seconds, r.short_window, r.prompt_tokens, r.generated_tokens,
               r.decode_calls, r.items, r.passes, r.jouleval_version, r.llama_revision, r.peak_rss_bytes)
      .run();
  const int64_t rep_id = db_.last_insert_rowid();

  Statement meter(db_, R"sql(
    INSERT INTO meters (repetition_id, meter, device, kind, available, unavailable_reason, estimated,
      counter_joules, integrated_joules, disagreement, disagreement_flag, idle_watts, total_joules,
      active_joules, avg_watts, peak_watts, temp_start_c, temp_end_c)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?))sql");
  for (const MeterEnergy& m : r.meters) {
    meter
        .bind_all(rep_id, m.meter, m.device, m.kind, m.available, m.unavailable_reason, m.estimated, m.counter_joules,
                  m.integrated_joules, m.disagreement, m.disagreement_flag, m.idle_watts, m.total_joules,
                  m.active_joules, m.avg_watts, m.peak_watts, m.temp_start_c, m.temp_end_c)
        .run();
  }
  Statement sample(db_, "INSERT INTO timeline (repetition_id, t, meter, watts) VALUES (?, ?, ?, ?)");
  for (const PowerSample& s : r.timeline) sample.bind_all(rep_id, s.t_seconds, s.meter, s.watts).run();
  if (!r.latency_json.empty()) {
    Statement latency(db_, "INSERT INTO request_latency (repetition_id, summary) VALUES (?, ?)");
    latency.bind_all(rep_id, r.latency_json).run();
  }
  if (r.phases.empty()) return;
  Statement phase(db_, R"sql(
    INSERT INTO phase_energy (repetition_id, meter, phase, seconds, joules, joules_idle_subtracted, tokens, steps,
                              batch, method, note)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?))sql");
  for (const PhaseEnergy& p : r.phases) {
    phase
        .bind_all(rep_id, p.meter, p.phase, p.seconds, p.joules, p.joules_idle_subtracted, p.tokens, p.steps, p.batch,
                  p.method, p.note)
        .run();
  }
}

void Store::write_metrics(int64_t cell_id, const std::vector<Metric>& metrics) {
  Statement st(db_, "INSERT INTO metrics (cell_id, name, value, stderr) VALUES (?, ?, ?, ?)");
  for (const Metric& m : metrics) st.bind_all(cell_id, m.name, m.value, m.stderr_).run();
}

void Store::write_items(int64_t cell_id, const std::vector<ItemRecord>& items) {
  Statement st(db_, "INSERT INTO items (cell_id, item_id, correct, json) VALUES (?, ?, ?, ?)");
  for (const ItemRecord& item : items) st.bind_all(cell_id, item.item_id, item.correct, item.json).run();
}

void Store::finish_cell(int64_t cell_id, const std::vector<Metric>& metrics, const std::vector<ItemRecord>& items,
                        const Fidelity& fidelity, std::optional<uint64_t> peak_gpu_memory_bytes) {
  Transaction tx(db_);
  Statement st(db_, R"sql(
    UPDATE cells SET status = 'done', skip_reason = '', reference_precision = ?, answer_flips = ?, mean_kl = ?,
      peak_gpu_memory_bytes = coalesce(?, peak_gpu_memory_bytes), run_id = coalesce(?, run_id)
    WHERE id = ?)sql");
  st.bind_all(fidelity.reference_precision, fidelity.answer_flips, fidelity.mean_kl, peak_gpu_memory_bytes,
              current_run_, cell_id)
      .run();
  if (db_.changes() != 1) db_.fail_message(fmt::format("finish_cell: no cell with id {}", cell_id));
  Statement clear_metrics(db_, "DELETE FROM metrics WHERE cell_id = ?");
  clear_metrics.bind_all(cell_id).run();
  Statement clear_items(db_, "DELETE FROM items WHERE cell_id = ?");
  clear_items.bind_all(cell_id).run();
  write_metrics(cell_id, metrics);
  write_items(cell_id, items);
  tx.commit();
}

int64_t Store::insert_cell(const Cell& c, std::optional<int64_t> run_id) {
  Transaction tx(db_);
  Statement st(db_, fmt::format(R"sql(
    INSERT INTO cells ({}, status, skip_reason, run_id, model_path, model_size_bytes, model_params, weight_types,
                       random_weights, load_seconds, peak_gpu_memory_bytes, engine_used_json, reference_precision,
                       answer_flips, mean_kl)
    VALUES ({}, ?,?,?,?,?,?,?,?,?,?,?,?,?,?))sql",
                                kKeyColumns, kKeyParams));
  int i = bind_key(st, 1, c.machine_id, c.key);
  st.bind(i++, to_string(c.status));
  st.bind(i++, c.skip_reason);
  st.bind(i++, run_id);
  st.bind(i++, c.model_path);
  st.bind(i++, c.model_size_bytes);
  st.bind(i++, c.model_params);
  st.bind(i++, c.weight_types);
  st.bind(i++, c.random_weights);
  st.bind(i++, c.load_seconds);
  st.bind(i++, c.peak_gpu_memory_bytes);
  st.bind(i++, c.engine_used_json);
  st.bind(i++, c.reference_precision);
  st.bind(i++, c.answer_flips);
  st.bind(i++, c.mean_kl);
  st.run();
  const int64_t id = db_.last_insert_rowid();
  write_metrics(id, c.metrics);
  write_items(id, c.items);
  for (const Repetition& r : c.repetitions) write_repetition(id, r, run_id);
  tx.commit();
  return id;
}

void Store::delete_cell(int64_t cell_id) {
  Statement st(db_, "DELETE FROM cells WHERE id = ?");
  st.bind_all(cell_id).run();
}

}  // namespace jouleval::store
