#include "sweep/runner.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "engine/gguf_info.h"
#include "engine/model.h"
#include "engine/quantize.h"
#include "engine/synth.h"
#include "sweep/plan.h"
#include "tasks/fidelity.h"
#include "tasks/load_task.h"
#include "util/build_info.h"
#include "util/error.h"
#include "util/file_hash.h"
#include "util/json_text.h"

namespace jouleval::sweep {
namespace {

using util::Error;
using util::ExitCode;

std::string now_iso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Loaded tasks, shared by every cell with the same (task, limit, shots).
class TaskCache {
 public:
  explicit TaskCache(const SweepConfig& config) : config_(config) {}

  const tasks::Task& get(const PlannedCell& cell) {
    auto key = std::make_tuple(cell.task, cell.limit, cell.shots);
    auto it = tasks_.find(key);
    if (it != tasks_.end()) return *it->second;
    auto task = std::make_unique<tasks::Task>(tasks::load_task(cell.task, task_options(config_, cell)));
    return *tasks_.emplace(key, std::move(task)).first->second;
  }

 private:
  const SweepConfig& config_;
  std::map<std::tuple<tasks::TaskId, int, int>, std::unique_ptr<tasks::Task>> tasks_;
};

// Task metrics as the store keeps them (standard error absent when fewer than 2 items).
std::vector<store::Metric> to_store_metrics(const tasks::TaskResult& result) {
  std::vector<store::Metric> out;
  for (const auto& m : result.metrics) {
    store::Metric sm;
    sm.name = m.name;
    sm.value = m.value;
    sm.stderr_ = m.std_error;
    out.push_back(sm);
  }
  return out;
}

std::vector<store::ItemRecord> to_store_items(const tasks::TaskResult& result) {
  std::vector<store::ItemRecord> out;
  out.reserve(result.item_records.size());
  for (const auto& rec : result.item_records) {
    store::ItemRecord item;
    item.item_id = rec.value("id", std::string());
    item.correct = rec.value("correct", false);
    item.json = util::json_text(rec);
    out.push_back(std::move(item));
  }
  return out;
}

engine::FlashAttention parse_flash(const std::string& text) {
  if (text == "on") return engine::FlashAttention::kOn;
  if (text == "off") return engine::FlashAttention::kOff;
  return engine::FlashAttention::kAuto;
}

// The evaluation of one task: runs its requests and scores them.
struct Evaluation {
  tasks::TaskResult result;
  int64_t requests = 0;
};

Evaluation evaluate(engine::Model& model, const tasks::Task& task, const engine::ProgressFn& progress) {
  Evaluation ev;
  if (task.kind() == tasks::RequestKind::kLoglikelihood) {
    ev.requests = static_cast<int64_t>(task.loglikelihood_requests().size());
    ev.result = task.score(model.loglikelihood(task.loglikelihood_requests(), progress));
  } else {
    ev.requests = static_cast<int64_t>(task.generation_requests().size());
    ev.result = task.score(model.generate(task.generation_requests(), progress));
  }
  return ev;
}

int64_t request_count(const tasks::Task& task) {
  return task.kind() == tasks::RequestKind::kLoglikelihood ? static_cast<int64_t>(task.loglikelihood_requests().size())
                                                           : static_cast<int64_t>(task.generation_requests().size());
}

// Unmeasured work before the first window of a loaded model: first kernels, allocations, clocks.
void warm_up(engine::Model& model, const tasks::Task& task, int n) {
  if (n <= 0) return;
  if (task.kind() == tasks::RequestKind::kLoglikelihood) {
    const auto& all = task.loglikelihood_requests();
    std::vector<engine::LoglikelihoodRequest> some(all.begin(), all.begin() + std::min<size_t>(all.size(), n));
    model.loglikelihood(some);
  } else {
    const auto& all = task.generation_requests();
    std::vector<engine::GenerationRequest> some(all.begin(), all.begin() + std::min<size_t>(all.size(), n));
    for (auto& r : some) r.max_new_tokens = std::min(r.max_new_tokens, 8);
    model.generate(some);
  }
  model.synchronize();
}

// Synthesizes a synth:PRESET source model when its file is missing; throws when a file is missing.
void ensure_source(const ModelSpec& spec, int threads, Observer& observer) {
  if (!spec.synth_preset.empty() && !std::filesystem::exists(spec.path)) {
    observer.message(fmt::format("synthesizing {} ({}, random weights) -> {}", spec.synth_preset,
                                 spec.synth_weight_type, spec.path.string()));
    if (spec.path.has_parent_path()) std::filesystem::create_directories(spec.path.parent_path());
    engine::SynthOptions so;
    so.preset = spec.synth_preset;
    so.weight_type = spec.synth_weight_type;
    so.output = spec.path;
    so.threads = threads;
    engine::synthesize(so);
  }
  if (!std::filesystem::exists(spec.path)) {
    throw Error(fmt::format("model {}: no such file", spec.path.string()), ExitCode::kBadInput);
  }
}

class SweepRun {
 public:
  SweepRun(const SweepConfig& config, energy::Monitor& monitor, store::Store& store, Observer& observer,
           const RunOptions& options)
      : config_(config), monitor_(monitor), store_(store), observer_(observer), options_(options), tasks_(config) {}

  SweepResult run() {
    const std::vector<PlannedCell> plan = selected_cells(config_, options_.only_cell);
    // Load every task and check every model file first: bad input stops the sweep before anything
    // is measured.
    for (const auto& cell : plan) tasks_.get(cell);
    for (const auto& spec : config_.models) {
      if (spec.synth_preset.empty() && !std::filesystem::is_regular_file(spec.path)) {
        throw Error(fmt::format("model {}: no such file", spec.path.string()), ExitCode::kBadInput);
      }
    }

    for (const auto& m : monitor_.meters_status()) any_meter_ = any_meter_ || m.available;
    energy::Fingerprint fp = monitor_.fingerprint();
    machine_id_ = fp.machine_id;
    store_.upsert_machine(fp.machine());
    store::Run run;
    run.started_at = now_iso8601();
    run.command_line = options_.command_line;
    run.config_json = config_.to_json().dump();
    run.machine_id = machine_id_;
    run.jouleval_version = util::build::kVersion;
    store_.begin_run(run);
    if (!options_.log_items.empty()) {
      items_log_.open(options_.log_items, std::ios::app);
      if (!items_log_)
        throw Error(fmt::format("{}: cannot open for writing", options_.log_items.string()), ExitCode::kBadInput);
    }

    for (size_t i = 0; i < plan.size();) {
      size_t j = i;
      while (j < plan.size() && same_model_group(plan[i], plan[j])) ++j;
      run_group(std::vector<PlannedCell>(plan.begin() + i, plan.begin() + j));
      i = j;
    }
    if (stopped_) {
      result_.stopped_at_budget = true;
      result_.cells_remaining = static_cast<int>(plan.size()) - result_.cells_done - result_.cells_already_done -
                                result_.cells_skipped - result_.cells_failed;
    }
    return result_;
  }

 private:
  static bool same_model_group(const PlannedCell& a, const PlannedCell& b) {
    return a.model_index == b.model_index && a.precision == b.precision && a.kv_type == b.kv_type &&
           a.placement == b.placement;
  }

  // The source model file of a spec, synthesized on first use; and its hash.
  const std::string& source_hash(size_t model_index) {
    auto it = hashes_.find(model_index);
    if (it != hashes_.end()) return it->second;
    const ModelSpec& spec = config_.models[model_index];
    ensure_source(spec, config_.threads, observer_);
    return hashes_.emplace(model_index, util::sha256_file(spec.path)).first->second;
  }

  std::vector<store::CellKey> keys_of(const std::vector<PlannedCell>& group) {
    std::vector<store::CellKey> keys;
    const ModelSpec& spec = config_.models[group.front().model_index];
    const std::string& hash = source_hash(group.front().model_index);
    for (const auto& cell : group) keys.push_back(cell_key(config_, cell, spec.label, hash));
    return keys;
  }

  void record_outcome(const store::CellKey& key, int64_t id, const CellOutcome& outcome) {
    result_.cell_ids.push_back(id);
    switch (outcome.kind) {
      case CellOutcome::Kind::kDone:
        ++result_.cells_done;
        break;
      case CellOutcome::Kind::kAlreadyDone:
        ++result_.cells_already_done;
        break;
      case CellOutcome::Kind::kSkipped:
        ++result_.cells_skipped;
        break;
      case CellOutcome::Kind::kFailed:
        ++result_.cells_failed;
        break;
    }
    observer_.cell_finished(key, outcome);
  }

  void skip_group(const std::vector<store::CellKey>& keys, const std::vector<bool>& todo, bool failed,
                  const std::string& reason) {
    for (size_t k = 0; k < keys.size(); ++k) {
      if (!todo[k]) continue;
      CellOutcome outcome;
      outcome.kind = failed ? CellOutcome::Kind::kFailed : CellOutcome::Kind::kSkipped;
      outcome.reason = reason;
      int64_t id =
          failed ? store_.mark_failed(machine_id_, keys[k], reason) : store_.mark_skipped(machine_id_, keys[k], reason);
      record_outcome(keys[k], id, outcome);
    }
  }

  // Whether work expected to take `seconds` more would overrun the time budget (and remember it).
  // Every call measures at least one repetition, so that repeated calls always make progress.
  bool over_budget(double seconds) {
    if (options_.time_budget_seconds <= 0 || !measured_any_) return false;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    if (elapsed + seconds > options_.time_budget_seconds) stopped_ = true;
    return stopped_;
  }

  void run_group(const std::vector<PlannedCell>& group) {
    if (stopped_) return;
    const PlannedCell& first = group.front();
    const ModelSpec& spec = config_.models[first.model_index];
    std::vector<store::CellKey> keys = keys_of(group);

    // Resume: which cells still need work, and which of their repetitions are stored already?
    std::vector<bool> todo(group.size(), true);
    std::vector<std::vector<int32_t>> stored_repetitions(group.size());
    bool any = false;
    for (size_t k = 0; k < group.size(); ++k) {
      auto progress = store_.find_cell(machine_id_, keys[k]);
      if (progress) stored_repetitions[k] = progress->done_repetitions;
      if (progress && progress->status == store::CellStatus::kDone) {
        todo[k] = false;
        CellOutcome outcome;
        outcome.kind = CellOutcome::Kind::kAlreadyDone;
        record_outcome(keys[k], progress->id, outcome);
      } else {
        any = true;
      }
    }
    if (!any || over_budget(0)) return;

    std::filesystem::path file;
    try {
      file = prepare_precision(spec.path, first.precision, config_.model_cache, observer_);
    } catch (const Error& e) {
      skip_group(keys, todo, false, e.what());
      return;
    }

    engine::ModelOptions mo;
    mo.placement = engine::Placement::parse(first.placement);
    mo.threads = config_.threads;
    mo.kv_type = first.kv_type;
    mo.flash_attention = parse_flash(config_.flash_attention);
    if (config_.context_size > 0) {
      mo.context_size = config_.context_size;
    } else {
      mo.context_size = mo.placement.kind == engine::Placement::Kind::kCpu ? 8192 : 32768;
    }
    if (config_.max_sequences > 0) mo.max_sequences = config_.max_sequences;
    mo.scoring_lanes = config_.scoring_lanes;
    mo.batch_size = config_.batch_size;
    mo.ubatch_size = config_.ubatch_size;

    std::unique_ptr<engine::Model> model;
    try {
      observer_.message(fmt::format("loading {} [{} kv={} {}]", file.filename().string(), first.precision,
                                    first.kv_type, first.placement));
      model = engine::Model::load(file, mo);
    } catch (const Error& e) {
      // Does not fit / cannot be placed: skipped, the sweep goes on.
      skip_group(keys, todo, e.code() != ExitCode::kUnavailable, e.what());
      return;
    }
    const engine::ModelInfo& info = model->info();
    observer_.message(fmt::format("loaded in {:.1f} s: batch {}, micro-batch {}, {} KV cells, {} sequences",
                                  info.load_seconds, info.n_batch, info.n_ubatch, info.n_ctx, info.n_seq_max));
    const engine::GgufSummary gguf = engine::read_gguf_summary(file);

    if (config_.idle_seconds > 0) {
      observer_.message(fmt::format("measuring idle baseline for {:.0f} s", config_.idle_seconds));
      model->synchronize();
      monitor_.measure_idle(config_.idle_seconds);
    }
    bool warmed = false;

    for (size_t k = 0; k < group.size(); ++k) {
      if (!todo[k]) continue;
      if (over_budget(0)) return;
      const tasks::Task& task = tasks_.get(group[k]);
      if (!warmed) {
        warm_up(*model, task, config_.warmup_requests);
        warmed = true;
      }
      store::Cell cell;
      cell.machine_id = machine_id_;
      cell.key = keys[k];
      cell.model_path = file.string();
      cell.model_size_bytes = info.size_bytes;
      cell.model_params = info.n_params;
      for (const auto& w : info.weight_types) cell.weight_types += (cell.weight_types.empty() ? "" : ",") + w;
      cell.random_weights = gguf.random_weights;
      cell.load_seconds = info.load_seconds;
      try {
        run_cell(*model, task, cell, stored_repetitions[k]);
      } catch (const Error& e) {
        CellOutcome outcome;
        outcome.kind = CellOutcome::Kind::kFailed;
        outcome.reason = e.what();
        record_outcome(keys[k], store_.mark_failed(machine_id_, keys[k], e.what()), outcome);
      }
    }
  }

  // `done`: repetition indices already in the store (a resumed cell); they are not measured again.
  void run_cell(engine::Model& model, const tasks::Task& task, store::Cell& cell, const std::vector<int32_t>& done) {
    const int64_t cell_id = store_.upsert_cell_pending(cell);
    const int64_t total = request_count(task);
    std::optional<tasks::TaskResult> scored;
    CellOutcome outcome;
    double last_seconds = 0;

    int32_t passes = 1;
    int calibrations = 0;  // windows discarded for being too short (at most 3 per cell)
    for (int r = 0; r < config_.repetitions; ++r) {
      if (std::find(done.begin(), done.end(), r) != done.end()) continue;
      if (over_budget(last_seconds + config_.cooldown_seconds)) return;  // stays pending; resumed later
      if (r > 0 && config_.cooldown_seconds > 0) {
        std::this_thread::sleep_for(std::chrono::duration<double>(config_.cooldown_seconds));
      }
      observer_.repetition_started(cell.key, r, config_.repetitions, total);
      engine::ProgressFn progress = [this](int64_t d, int64_t t) { observer_.progress(d, t, monitor_.live_watts()); };
      const std::string started_at = now_iso8601();
      model.reset_counters();
      monitor_.begin_window([&] { model.synchronize(); });
      Evaluation ev = evaluate(model, task, progress);
      for (int32_t p = 1; p < passes; ++p) evaluate(model, task, {});  // same work again (deterministic)
      energy::WindowResult window = monitor_.end_window([&] { model.synchronize(); });
      const engine::WorkCounters work = model.counters();
      if (const int32_t needed = passes_needed(window.seconds / passes);
          window.seconds < config_.min_window_seconds && needed > passes && calibrations < 3) {
        // Too short for the meters to resolve: this window was a calibration; measure again with the
        // work repeated `needed` times (this and the following repetitions).
        passes = needed;
        ++calibrations;
        observer_.message(fmt::format("{:.2f} s window is under {} s: measuring again, the work repeated {} times",
                                      window.seconds, config_.min_window_seconds, passes));
        --r;
        continue;
      }

      store::Repetition rep;
      rep.index = r;
      rep.started_at = started_at;
      rep.seconds = window.seconds;
      rep.short_window = window.short_window;
      rep.prompt_tokens = work.prompt_tokens_evaluated;
      rep.generated_tokens = work.tokens_generated;
      rep.decode_calls = work.decode_calls;
      rep.items = ev.result.n_items;
      rep.passes = passes;
      rep.meters = std::move(window.meters);
      if (config_.timeline) rep.timeline = std::move(window.timeline);
      last_seconds = window.seconds;
      store_.add_repetition(cell_id, rep);  // committed atomically
      measured_any_ = true;
      observer_.repetition_finished(cell.key, rep);
      ++outcome.repetitions_run;
      if (!scored) scored = std::move(ev.result);
    }
    if (!scored) {
      // Every repetition was stored by an earlier (killed) invocation but the cell was not finished:
      // score once more, unmeasured.
      scored = evaluate(model, task, {}).result;
    }

    store::Fidelity fidelity = compute_fidelity(cell.key, *scored);
    std::optional<uint64_t> peak;
    if (auto used = model.gpu_memory_used()) peak = *used;
    store_.finish_cell(cell_id, to_store_metrics(*scored), to_store_items(*scored), fidelity, peak);
    if (items_log_) {
      for (const auto& rec : scored->item_records) {
        nlohmann::json line = rec;
        line["task"] = cell.key.task;
        line["model"] = cell.key.model;
        line["precision"] = cell.key.precision;
        items_log_ << util::json_text(line) << "\n";
      }
      items_log_.flush();
    }
    outcome.kind = CellOutcome::Kind::kDone;
    outcome.headline_metric = scored->headline;
    if (const tasks::Metric* m = scored->find(scored->headline)) {
      outcome.headline_value = m->value;
      outcome.headline_stderr = m->std_error;
    }
    record_outcome(cell.key, cell_id, outcome);
  }

  // Passes of the work for a window of at least min_window_seconds (aiming 25 % above it, as the
  // time per pass varies), given one pass took `seconds`; 1 when filling is off or no meter is
  // available (nothing to resolve).
  int32_t passes_needed(double seconds) const {
    if (config_.min_window_seconds <= 0 || !any_meter_) return 1;
    if (seconds >= config_.min_window_seconds) return 1;
    const double n = std::ceil(1.25 * config_.min_window_seconds / std::max(seconds, 1e-3));
    return static_cast<int32_t>(std::clamp(n, 1.0, 10000.0));
  }

  // Against the reference precision of the same model, KV type, placement and task, when stored.
  store::Fidelity compute_fidelity(const store::CellKey& key, const tasks::TaskResult& result) {
    store::Fidelity fidelity;
    const std::string reference = reference_precision(config_.precisions);
    if (reference.empty() || reference == key.precision) return fidelity;
    store::CellKey ref_key = key;
    ref_key.precision = reference;
    auto ref = store_.find_cell(machine_id_, ref_key);
    if (!ref || ref->status != store::CellStatus::kDone) return fidelity;
    std::vector<nlohmann::json> ref_items;
    for (const auto& item : store_.items(ref->id)) ref_items.push_back(nlohmann::json::parse(item.json));
    tasks::Fidelity f = tasks::fidelity(ref_items, result.item_records);
    if (f.n_compared == 0) return fidelity;
    fidelity.reference_precision = reference;
    fidelity.answer_flips = f.answer_flips;
    fidelity.mean_kl = f.mean_kl;
    return fidelity;
  }

  const SweepConfig& config_;
  energy::Monitor& monitor_;
  store::Store& store_;
  Observer& observer_;
  const RunOptions& options_;
  TaskCache tasks_;
  std::string machine_id_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  bool stopped_ = false;
  bool measured_any_ = false;
  bool any_meter_ = false;  // some meter can measure: short windows are filled
  std::map<size_t, std::string> hashes_;
  std::ofstream items_log_;
  SweepResult result_;
};

}  // namespace

std::filesystem::path prepare_precision(const std::filesystem::path& source, const std::string& precision,
                                        const std::filesystem::path& cache_dir, Observer& observer) {
  const engine::Precision& target = engine::resolve_precision(precision);
  const engine::GgufSummary summary = engine::read_gguf_summary(source);
  if (summary.file_type == target.ftype) return source;
  std::filesystem::path dir = cache_dir.empty() ? source.parent_path() : cache_dir;
  if (dir.empty()) dir = ".";  // a bare file name: its directory is the current one
  std::filesystem::create_directories(dir);
  const std::filesystem::path out = dir / fmt::format("{}.{}.gguf", source.stem().string(), target.type_name);
  if (std::filesystem::exists(out)) return out;
  observer.message(fmt::format("quantizing {} -> {} ({})", source.filename().string(), target.type_name, out.string()));
  engine::QuantizeOptions qo;
  qo.input = source;
  qo.output = out.string() + ".partial";  // renamed when complete: a killed run leaves no usable-looking file
  qo.type = target.type_name;
  engine::quantize(qo);
  std::filesystem::rename(qo.output, out);
  return out;
}

int prepare_models(const SweepConfig& config, Observer& observer) {
  int unusable = 0;
  std::set<std::pair<size_t, std::string>> done;
  for (const auto& cell : plan_cells(config)) {
    if (!done.insert({cell.model_index, cell.precision}).second) continue;
    const ModelSpec& spec = config.models[cell.model_index];
    ensure_source(spec, config.threads, observer);
    try {
      const auto file = prepare_precision(spec.path, cell.precision, config.model_cache, observer);
      observer.message(fmt::format("ready: {} [{}]", file.string(), cell.precision));
    } catch (const Error& e) {
      ++unusable;
      observer.message(fmt::format("cannot prepare {} [{}]: {} (its cells will be skipped)", spec.path.string(),
                                   cell.precision, e.what()));
    }
  }
  return unusable;
}

SweepResult run_sweep(const SweepConfig& config, energy::Monitor& monitor, store::Store& store, Observer& observer,
                      const RunOptions& options) {
  SweepRun run(config, monitor, store, observer, options);
  return run.run();
}

}  // namespace jouleval::sweep
