#include "sweep/runner.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <optional>
#include <set>
#include <thread>

#include "endpoint/evaluator.h"
#include "endpoint/latency.h"
#include "energy/phases.h"
#include "engine/gguf_info.h"
#include "engine/gguf_validate.h"
#include "engine/model.h"
#include "engine/quantize.h"
#include "engine/synth.h"
#include "results/identity.h"
#include "results/precision.h"
#include "sweep/claims.h"
#include "sweep/measure_locks.h"
#include "sweep/model_source.h"
#include "sweep/steady_window.h"
#include "tasks/fidelity.h"
#include "tasks/load_task.h"
#include "util/atomic_file.h"
#include "util/build_info.h"
#include "util/file_hash.h"
#include "util/file_lock.h"
#include "util/json_text.h"
#include "util/peak_memory.h"

namespace jouleval::sweep {
namespace {

namespace fs = std::filesystem;
using util::Error;
using util::ErrorKind;

std::string now_iso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Task metrics as the store keeps them (standard error absent when fewer than 2 items).
std::vector<results::Metric> to_store_metrics(const tasks::TaskResult& result) {
  std::vector<results::Metric> out;
  for (const auto& m : result.metrics) {
    results::Metric sm;
    sm.name = m.name;
    sm.value = m.value;
    sm.stderr_ = m.std_error;
    out.push_back(sm);
  }
  return out;
}

std::vector<results::ItemRecord> to_store_items(const tasks::TaskResult& result) {
  std::vector<results::ItemRecord> out;
  out.reserve(result.item_records.size());
  for (const auto& rec : result.item_records) {
    results::ItemRecord item;
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
tasks::TaskResult evaluate(engine::Evaluator& model, const tasks::Task& task, const engine::ProgressFn& progress) {
  if (task.kind() == tasks::RequestKind::kLoglikelihood) {
    return task.score(model.loglikelihood(task.loglikelihood_requests(), progress));
  }
  return task.score(model.generate(task.generation_requests(), progress));
}

int64_t request_count(const tasks::Task& task) {
  return task.kind() == tasks::RequestKind::kLoglikelihood ? static_cast<int64_t>(task.loglikelihood_requests().size())
                                                           : static_cast<int64_t>(task.generation_requests().size());
}

// The meters a window's phases (and an endpoint's steady window) are measured with: those that can
// measure on this machine and are used by the work, with their power samples.
std::vector<energy::PhaseMeterInput> phase_meters(const energy::WindowResult& window,
                                                  const std::vector<energy::MeterStatus>& status) {
  std::vector<energy::PhaseMeterInput> meters;
  for (size_t i = 0; i < window.meters.size(); ++i) {
    const bool usable = std::any_of(status.begin(), status.end(), [&](const energy::MeterStatus& m) {
      return m.name == window.meters[i].meter && m.available;
    });
    // Never measured here, or a GPU the work does not use: the repetition's meters say why.
    if (!usable || results::meter_unused(window.meters[i])) continue;
    meters.push_back(
        {window.meters[i], i < window.samples.size() ? window.samples[i] : std::vector<energy::TimedWatts>{}});
  }
  return meters;
}

// The phases of a generation window, per meter of phase_meters (a window without any: the times
// alone, energy unavailable). Empty when the window ran no generation step.
std::vector<results::PhaseEnergy> generation_phases(const std::vector<engine::GenerationStep>& steps,
                                                    const energy::WindowResult& window,
                                                    const std::vector<energy::MeterStatus>& status) {
  return energy::compute_phases(steps, window.t0, window.t1, phase_meters(window, status));
}

// The latency under load of an endpoint's generation window (docs/endpoint.md "Latency under load"),
// with the offered and achieved request rates and the steady window ("Steady state").
std::string endpoint_latency_json(const std::vector<endpoint::RequestTiming>& timings,
                                  const std::vector<endpoint::RequestSpan>& spans, const PlannedCell& cell,
                                  const endpoint::Slo& slo, double seconds, const energy::WindowResult& window,
                                  const std::vector<energy::MeterStatus>& status) {
  nlohmann::json j = endpoint::to_json(endpoint::summarize_latency(timings, seconds, slo));
  j["offered_requests_per_s"] = cell.arrival_rate > 0 ? nlohmann::json(cell.arrival_rate) : nlohmann::json(nullptr);
  const auto achieved = achieved_request_rate(spans);
  j["achieved_requests_per_s"] = achieved ? nlohmann::json(*achieved) : nlohmann::json(nullptr);
  j["steady"] = to_json(
      steady_window(spans, cell.concurrency, cell.arrival_rate, window.t0, window.t1, phase_meters(window, status)));
  return j.dump();
}

// Unmeasured work before the first window of a loaded model: first kernels, allocations, clocks.
void warm_up(engine::Evaluator& model, const tasks::Task& task, int n) {
  if (n <= 0) return;
  if (task.kind() == tasks::RequestKind::kLoglikelihood) {
    const auto& all = task.loglikelihood_requests();
    std::vector<engine::LoglikelihoodRequest> some(all.begin(), all.begin() + std::min<size_t>(all.size(), n));
    model.loglikelihood(some, {});
  } else {
    const auto& all = task.generation_requests();
    std::vector<engine::GenerationRequest> some(all.begin(), all.begin() + std::min<size_t>(all.size(), n));
    for (auto& r : some) r.max_new_tokens = std::min(r.max_new_tokens, 8);
    model.generate(some, {});
  }
  model.synchronize();
}

// Synthesizes a synth:PRESET source model when its file is missing; throws when a file is missing.
void ensure_source(const ModelSpec& spec, int threads, Observer& observer) {
  if (!spec.synth_preset.empty() && !fs::exists(spec.path)) {
    observer.message(fmt::format("synthesizing {} ({}, random weights) -> {}", spec.synth_preset,
                                 spec.synth_weight_type, spec.path.string()));
    if (spec.path.has_parent_path()) fs::create_directories(spec.path.parent_path());
    engine::SynthOptions so;
    so.preset = spec.synth_preset;
    so.weight_type = spec.synth_weight_type;
    so.output = spec.path;
    so.threads = threads;
    engine::synthesize(so);
  }
  if (!fs::exists(spec.path)) {
    throw Error(fmt::format("model {}: no such file", spec.path.string()), ErrorKind::kBadInput);
  }
}

// The model options of a planned cell's group.
engine::ModelOptions model_options(const SweepConfig& config, const PlannedCell& cell) {
  engine::ModelOptions mo;
  mo.placement = engine::Placement::parse(cell.placement);
  mo.threads = config.threads;
  mo.kv_type = cell.kv_type;
  mo.flash_attention = parse_flash(config.flash_attention);
  if (config.context_size > 0) {
    mo.context_size = config.context_size;
  } else {
    mo.context_size = mo.placement.kind == engine::Placement::Kind::kCpu ? 8192 : 32768;
  }
  if (config.max_sequences > 0) mo.max_sequences = config.max_sequences;
  mo.scoring_lanes = config.scoring_lanes;
  mo.batch_size = config.batch_size;
  mo.ubatch_size = config.ubatch_size;
  return mo;
}

// The GPUs a loaded model is on, for the meter: with placement cpu, the visible GPUs (their idle
// draw is recorded, not counted: docs/energy.md "Which GPUs are metered").
energy::GpuUse gpu_use(const std::string& placement, const engine::ModelInfo& info) {
  energy::GpuUse use;
  use.label = "placement " + placement;
  if (engine::Placement::parse(placement).kind == engine::Placement::Kind::kCpu) return use;
  use.all_visible = false;
  for (const auto& g : info.gpus)
    use.gpus.push_back({g.index, g.device_id, fmt::format("{} ({})", g.name, g.description)});
  return use;
}

// What the engine used, auto choices resolved (stored with the cell, beside its identity), with
// generation's settings as generation_settings_stored() reads them back.
std::string engine_used_json(const engine::ModelInfo& info) {
  return nlohmann::json{{"context_size", info.n_ctx},
                        {"batch_size", info.n_batch},
                        {"ubatch_size", info.n_ubatch},
                        {"max_sequences", info.n_seq_max},
                        {"threads", info.threads},
                        {"kv_bytes_per_token", info.kv_bytes_per_token},
                        {"generation_argmax", info.generation.argmax_on_device ? "device" : "host"},
                        {"prefill_blocks", info.generation.prefill_blocks},
                        {"move_sequences", info.generation.move_sequences}}
      .dump();
}

// Generation's settings in a cell's stored engine_used_json (written by engine_used_json); nullopt
// for a cell stored before they were recorded, or unreadable JSON.
std::optional<engine::GenerationSettings> generation_settings_stored(const std::string& engine_used_json) {
  const auto used = nlohmann::json::parse(engine_used_json, nullptr, false);
  if (!used.is_object() || !used.contains("generation_argmax")) return std::nullopt;
  return engine::GenerationSettings{used.value("generation_argmax", "") == "device", used.value("prefill_blocks", true),
                                    used.value("move_sequences", true)};
}

class SweepRun {
 public:
  SweepRun(const PreparedSweep& sweep, energy::Monitor& monitor, store::Store& store, Observer& observer,
           const RunOptions& options)
      : sweep_(sweep),
        config_(sweep.config()),
        monitor_(monitor),
        store_(store),
        observer_(observer),
        options_(options) {}

  SweepResult run() {
    const std::vector<PlannedCell>& plan = sweep_.cells();
    std::optional<util::AtomicFile> items_log;
    if (!options_.log_items.empty()) items_log.emplace(options_.log_items, util::Existing::kReplace, "--log-items");
    items_log_ = items_log ? &*items_log : nullptr;

    for (const auto& m : monitor_.meters_status()) any_meter_ = any_meter_ || m.available;
    energy::Fingerprint fp = monitor_.fingerprint();
    machine_id_ = fp.machine_id;
    store_.upsert_machine(fp.machine());
    results::Run run;
    run.started_at = now_iso8601();
    run.command_line = options_.command_line;
    run.config_json = util::json_text(config_.to_json());
    run.machine_id = machine_id_;
    run.jouleval_version = util::build::kVersion;
    store_.begin_run(run);
    for (const auto& p : config_.precisions) precisions_.push_back(canonical_precision(p));
    reference_ = results::reference_precision(precisions_).value_or("");

    claims_ = std::make_unique<ClaimKeeper>(store_.file(), options_.heartbeat_seconds, options_.claim_stale_seconds);
    try {
      run_groups(plan);
    } catch (...) {
      store_.release_claims(claims_->me().owner);
      throw;
    }
    store_.release_claims(claims_->me().owner);
    claims_.reset();

    if (stopped_) {
      result_.stopped_at_budget = true;
      result_.cells_remaining = static_cast<int>(plan.size()) - result_.cells_done - result_.cells_already_done -
                                result_.cells_skipped - result_.cells_failed;
    }
    // Cell ids in plan order (outcomes may arrive out of order when waiting for other processes).
    for (size_t i = 0; i < plan.size(); ++i)
      if (auto it = cell_ids_.find(i); it != cell_ids_.end()) result_.cell_ids.push_back(it->second);
    if (items_log) items_log->commit();
    return result_;
  }

 private:
  // The cells of one loaded model: indices into the plan.
  using Group = std::vector<size_t>;

  static bool same_model_group(const PlannedCell& a, const PlannedCell& b) {
    return a.model_index == b.model_index && a.precision == b.precision && a.kv_type == b.kv_type &&
           a.placement == b.placement;
  }

  void run_groups(const std::vector<PlannedCell>& plan) {
    std::vector<Group> waiting;
    for (size_t i = 0; i < plan.size();) {
      Group group;
      for (size_t j = i; j < plan.size() && same_model_group(plan[i], plan[j]); ++j) group.push_back(j);
      i += group.size();
      if (stopped_) return;
      if (!run_group(group)) waiting.push_back(group);
    }
    // Cells another live process is measuring: wait for them to finish, or for their holder to die
    // (then measure them here).
    while (!waiting.empty() && !stopped_) {
      std::this_thread::sleep_for(std::chrono::duration<double>(options_.wait_poll_seconds));
      if (over_budget(0)) return;
      std::vector<Group> still;
      for (const Group& g : waiting)
        if (!run_group(g)) still.push_back(g);
      waiting = std::move(still);
    }
  }

  // The source model file of a spec, synthesized on first use; and its hash.
  const std::string& source_hash(size_t model_index) {
    auto it = hashes_.find(model_index);
    if (it != hashes_.end()) return it->second;
    const ModelSpec& spec = config_.models[model_index];
    ensure_source(spec, config_.threads, observer_);
    return hashes_.emplace(model_index, util::sha256_file(spec.path)).first->second;
  }

  // The model name and hash stored with the cells that evaluate model `model_index`'s file as it is:
  // its source's when the file is a quantized one whose made-from record still matches it (the same
  // identity as cells the sweep quantizes from that source itself), else the file's own (docs/sweep.md
  // "Quantized files keep their source's identity"). Says which, once per model.
  std::pair<std::string, std::string> model_identity(size_t model_index) {
    const ModelSpec& spec = config_.models[model_index];
    auto it = identities_.find(model_index);
    if (it == identities_.end()) {
      std::optional<SourceIdentity> id;
      if (spec.synth_preset.empty()) {
        std::string note;
        id = source_identity(spec.path, source_hash(model_index), note);
        if (!note.empty()) observer_.message(note);
      }
      if (id) {
        std::string precision = id->record.type;
        try {
          precision = canonical_precision(precision);
        } catch (const Error&) {
          // a GGUF type without an alias: stored under its type name
        }
        observer_.message(fmt::format("{}: quantized from {} (sha256 {}): stored as model {} at {}",
                                      spec.path.filename().string(), id->record.source, id->sha256.substr(0, 12),
                                      id->label, precision));
      }
      it = identities_.emplace(model_index, std::move(id)).first;
    }
    if (it->second) return {it->second->label, it->second->sha256};
    return {spec.label, source_hash(model_index)};
  }

  void record_outcome(size_t plan_index, const results::CellKey& key, int64_t id, const CellOutcome& outcome) {
    resolved_.insert(plan_index);
    cell_ids_[plan_index] = id;
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

  // Records every cell of `cells` as skipped (or failed) for `error`.
  void give_up(const std::vector<size_t>& cells, const std::vector<results::CellKey>& keys, bool failed,
               const std::string& reason, ErrorKind kind) {
    for (size_t k = 0; k < cells.size(); ++k) {
      CellOutcome outcome;
      outcome.kind = failed ? CellOutcome::Kind::kFailed : CellOutcome::Kind::kSkipped;
      outcome.reason = reason;
      const int64_t id =
          failed ? store_.mark_failed(machine_id_, keys[k], reason) : store_.mark_skipped(machine_id_, keys[k], reason);
      if (!failed && !result_.first_skip_kind) result_.first_skip_kind = kind;
      store_.release_claim(id, claims_->me().owner);
      record_outcome(cells[k], keys[k], id, outcome);
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

  // Writes the stored items of a finished cell to --log-items.
  void log_items(const results::CellKey& key, int64_t cell_id) {
    if (items_log_ == nullptr) return;
    std::string lines;
    for (const auto& item : store_.items(cell_id)) {
      lines += util::json_text(results::item_json(machine_id_, key, item));
      lines += '\n';
    }
    items_log_->write(lines);
  }

  // Runs what is left of a group. Returns false when some of its cells are being measured by another
  // live process (the caller comes back to them), true when every cell has an outcome.
  // Makes cell `i` (its key) this process's to measure. Empty when it is already done (recorded as
  // such) or another live process measures it (announced once; `busy` is set). Otherwise its id and
  // the repetitions stored so far, read again under the claim: the previous holder may have added
  // some since.
  struct Claimed {
    int64_t id;
    std::vector<int32_t> stored;
  };
  std::optional<Claimed> claim_open_cell(size_t i, const results::CellKey& key, bool& busy) {
    // A cell finished with every repetition is reported as already done, not claimed.
    auto finished = [&](const std::optional<store::CellProgress>& p) {
      if (!p || p->status != results::CellStatus::kDone ||
          static_cast<int>(p->done_repetitions.size()) < config_.repetitions)
        return false;
      CellOutcome outcome;
      outcome.kind = CellOutcome::Kind::kAlreadyDone;
      log_items(key, p->id);
      record_outcome(i, key, p->id, outcome);
      return true;
    };
    auto progress = store_.find_cell(machine_id_, key);
    if (progress) refuse_other_generation_settings(i, key, *progress);
    if (finished(progress)) return std::nullopt;
    const int64_t id = progress ? progress->id : store_.ensure_cell(machine_id_, key);
    const store::ClaimResult claim =
        store_.claim_cell(id, claims_->me(), [this](const store::ClaimHolder& h) { return claims_->alive(h); });
    if (claim.outcome == store::ClaimOutcome::kBusy) {
      if (announced_wait_.insert(i).second) {
        observer_.message(fmt::format("{}: being measured by another process ({}); waiting for it",
                                      results::describe(key), ClaimKeeper::describe(*claim.previous)));
      }
      busy = true;
      return std::nullopt;
    }
    if (claim.outcome == store::ClaimOutcome::kTakenOver) {
      observer_.message(fmt::format("{}: taking over from a process that stopped ({})", results::describe(key),
                                    ClaimKeeper::describe(*claim.previous)));
    }
    // Another process may have finished the cell and released it between the look above and the
    // claim (seen under load: sweep.Runner.ACellClaimedByALiveProcessIsWaitedForNotMeasured).
    auto now = store_.find_cell(machine_id_, key);
    if (now) refuse_other_generation_settings(i, key, *now);
    if (finished(now)) {
      store_.release_claim(id, claims_->me().owner);
      return std::nullopt;
    }
    return Claimed{id, now ? now->done_repetitions : std::vector<int32_t>{}};
  }

  // The A/B switches of generation are not part of a cell's identity but change a GPU's generated
  // tokens (docs/engine.md "Reproducibility on a GPU"): a generation cell stored with other
  // settings is neither reported as done nor added to. Throws util::Error (kUsage) naming the cell,
  // both settings and the variables, before anything of the cell is measured.
  void refuse_other_generation_settings(size_t i, const results::CellKey& key, const store::CellProgress& stored) {
    const PlannedCell& planned = sweep_.cells()[i];
    if (sweep_.task(planned).kind() != tasks::RequestKind::kGeneration || stored.done_repetitions.empty()) return;
    const std::optional<engine::GenerationSettings> then = generation_settings_stored(stored.engine_used_json);
    if (!then) return;  // stored before they were recorded
    const engine::GenerationSettings now = engine::generation_settings(model_options(config_, planned));
    if (*then == now) return;
    const auto describe = [](const engine::GenerationSettings& g) {
      return fmt::format("argmax on the {}, prefill blocks {}, sequence moves {}",
                         g.argmax_on_device ? "device" : "host", g.prefill_blocks ? "on" : "off",
                         g.move_sequences ? "on" : "off");
    };
    throw Error(fmt::format("{}: its stored repetitions ran generation with {}; this run would use {}. "
                            "JOULEVAL_DEVICE_ARGMAX, JOULEVAL_PREFILL_BLOCKS and JOULEVAL_MOVE_SEQUENCES are not "
                            "part of a cell's identity: run with the settings it was stored with, or into another "
                            "database",
                            results::describe(key), describe(*then), describe(now)),
                ErrorKind::kUsage);
  }

  bool run_group(const Group& group) {
    std::vector<size_t> open;
    for (size_t i : group)
      if (!resolved_.count(i)) open.push_back(i);
    if (open.empty() || over_budget(0)) return true;
    // One process measures on each GPU (and on the host, when the work or a meter is the host's) at a
    // time: another process's work (a load, a warm-up, a quantization, its own windows) would be inside
    // this group's windows, on the same meters (docs/sweep.md "Several processes, one database").
    const PlannedCell& first = sweep_.cells()[open.front()];
    const engine::Placement placement =
        sweep_.client() != nullptr ? engine::Placement{} : engine::Placement::parse(first.placement);
    MeasurementLocks locks(
        measurement_locks(placement, monitor_.visible_gpu_bus_ids(), monitor_.host_meter_available()),
        [this](const LockRequest& r) {
          observer_.message(
              fmt::format("waiting for another jouleval process measuring on {} (lock {})", r.what, r.path.string()));
        });
    if (sweep_.client() != nullptr) return run_endpoint_group(open);
    const ModelSpec& spec = config_.models[first.model_index];
    const std::string& source_sha256 = source_hash(first.model_index);

    // The file evaluated (its hash is part of every cell's identity).
    PreparedModelFile file;
    try {
      file = prepare_precision(spec.path, source_sha256, first.precision, config_.model_cache, observer_);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kNoSpace) throw;
      std::vector<results::CellKey> keys;
      for (size_t i : open) keys.push_back(cell_key(config_, sweep_.cells()[i], spec.label, source_sha256, ""));
      give_up(open, keys, false, e.what(), e.kind());
      return true;
    }

    // Resume and claims: which cells still need work, and which of their repetitions are stored?
    struct Todo {
      size_t plan_index;
      results::CellKey key;
      int64_t id;
      std::vector<int32_t> stored;
    };
    std::vector<Todo> todo;
    bool busy = false;
    // A file evaluated as it is may carry its source's identity; a variant made from it is the file's.
    const auto [model_label, model_sha256] =
        file.path == spec.path ? model_identity(first.model_index) : std::pair{spec.label, source_sha256};
    for (size_t i : open) {
      results::CellKey key = cell_key(config_, sweep_.cells()[i], model_label, model_sha256, file.sha256);
      auto claimed = claim_open_cell(i, key, busy);
      if (!claimed) continue;
      todo.push_back({i, key, claimed->id, std::move(claimed->stored)});
    }
    if (todo.empty()) return !busy;

    std::vector<size_t> todo_cells;
    std::vector<results::CellKey> todo_keys;
    for (const auto& t : todo) {
      todo_cells.push_back(t.plan_index);
      todo_keys.push_back(t.key);
    }
    std::unique_ptr<engine::Model> model;
    try {
      observer_.message(fmt::format("loading {} [{} kv={} {}]", file.path.filename().string(), first.precision,
                                    first.kv_type, first.placement));
      model = engine::Model::load(file.path, model_options(config_, first));
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kNoSpace) throw;
      // Does not fit / cannot be placed: skipped, the sweep goes on.
      give_up(todo_cells, todo_keys, e.kind() != ErrorKind::kUnavailable, e.what(), e.kind());
      return !busy;
    }
    const engine::ModelInfo& info = model->info();
    observer_.message(fmt::format("loaded in {:.1f} s: batch {}, micro-batch {}, {} KV cells, {} sequences",
                                  info.load_seconds, info.n_batch, info.n_ubatch, info.n_ctx, info.n_seq_max));
    // Meter exactly the GPUs the model is on (docs/energy.md "Which GPUs are metered").
    observer_.message(monitor_.select_gpus(gpu_use(first.placement, info)));

    bool prepared = false;  // idle baseline and warm-up done
    for (size_t k = 0; k < todo.size(); ++k) {
      const Todo& t = todo[k];
      if (over_budget(0)) {
        store_.release_claim(t.id, claims_->me().owner);
        continue;
      }
      const tasks::Task& task = sweep_.task(sweep_.cells()[t.plan_index]);
      // One boundary per cell: whatever fails in it (the engine, a file, a meter) fails this cell only.
      // A full disk stops the sweep: nothing more could be stored.
      try {
        if (!prepared) {
          if (config_.idle_seconds > 0 && !monitor_.any_meter_available()) {
            observer_.message("idle baseline: skipped, no energy meter available");
          } else if (config_.idle_seconds > 0) {
            observer_.message(fmt::format("measuring idle baseline for {:.0f} s", config_.idle_seconds));
            model->synchronize();
            monitor_.measure_idle(config_.idle_seconds);
          }
          warm_up(*model, task, config_.warmup_requests);
          prepared = true;
        }
        results::Cell cell;
        cell.id = t.id;
        cell.machine_id = machine_id_;
        cell.key = t.key;
        cell.model_path = file.path.string();
        cell.model_size_bytes = info.size_bytes;
        cell.model_params = info.n_params;
        for (const auto& w : info.weight_types) cell.weight_types += (cell.weight_types.empty() ? "" : ",") + w;
        cell.random_weights = engine::read_gguf_summary(file.path).random_weights;
        cell.load_seconds = info.load_seconds;
        cell.engine_used_json = engine_used_json(info);
        run_cell(*model, task, t.plan_index, cell, t.stored);
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::kNoSpace) throw;
        fail_cell(t.plan_index, t.key, e.what());
      } catch (const std::exception& e) {
        fail_cell(t.plan_index, t.key, e.what());
      }
      store_.release_claim(t.id, claims_->me().owner);
    }
    return !busy;
  }

  // The cells of an endpoint (docs/endpoint.md): no model to prepare or load; each cell is claimed,
  // warmed up and measured as any other. An endpoint error (unreachable, HTTP error, malformed
  // response) fails the cell (nothing of it is stored but the failure) and stops the sweep with that
  // error: the next cells would meet the same server.
  bool run_endpoint_group(const std::vector<size_t>& open) {
    const endpoint::Client& client = *sweep_.client();
    const endpoint::ServerInfo& server = sweep_.server();
    observer_.message(
        fmt::format("endpoint {}: {} serving '{}'", client.base_url(), server.kind, client.options().served_model));
    endpoint::EndpointEvaluator evaluator(client, sweep_.loglikelihood_support());
    evaluator.set_streaming(sweep_.streaming_support().supported);
    nlohmann::json used = nlohmann::json{
        {"endpoint", client.base_url()},
        {"server", server.kind},
        {"owned_by", server.owned_by},
        {"server_header", server.server_header},
        {"served_model", client.options().served_model},
        {"api", client.generation_path()},
        {"chat_template", client.chat() ? "server's (one user turn per request)" : "none (raw prompts)"},
        {"loglikelihood", sweep_.loglikelihood_support().supported
                              ? fmt::format("echo, max_tokens {}", sweep_.loglikelihood_support().max_tokens)
                              : "unsupported"},
        {"request_timeout", client.options().request_timeout_seconds},
        {"streaming", sweep_.streaming_support().supported
                          ? "yes"
                          : fmt::format("no ({})", sweep_.streaming_support().why_not.empty()
                                                       ? "no generation task"
                                                       : sweep_.streaming_support().why_not)}};
    bool busy = false;
    bool prepared = false;
    for (size_t i : open) {
      if (over_budget(0)) return true;
      const PlannedCell& planned = sweep_.cells()[i];
      const results::CellKey key = cell_key(config_, planned, client.options().served_model, "", "");
      auto claimed = claim_open_cell(i, key, busy);
      if (!claimed) continue;
      const int64_t id = claimed->id;
      const tasks::Task& task = sweep_.task(planned);
      evaluator.set_task(key.task);
      evaluator.set_concurrency(planned.concurrency);
      evaluator.set_arrival_rate(planned.arrival_rate, static_cast<uint64_t>(config_.seed));
      used["concurrency"] = planned.concurrency;
      used["arrival_rate"] = planned.arrival_rate;  // requests per second; 0: a closed loop
      try {
        if (!prepared) {
          if (config_.idle_seconds > 0 && monitor_.any_meter_available()) {
            observer_.message(fmt::format("measuring idle baseline for {:.0f} s", config_.idle_seconds));
            monitor_.measure_idle(config_.idle_seconds);
          }
          prepared = true;
        }
        warm_up(evaluator, task, config_.warmup_requests);
        results::Cell cell;
        cell.id = id;
        cell.machine_id = machine_id_;
        cell.key = key;
        cell.model_path = client.base_url();
        cell.engine_used_json = used.dump();
        run_cell(evaluator, task, i, cell, claimed->stored);
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::kNoSpace) throw;
        fail_cell(i, key, e.what());
        store_.release_claim(id, claims_->me().owner);
        throw;
      } catch (const std::exception& e) {
        fail_cell(i, key, e.what());
      }
      store_.release_claim(id, claims_->me().owner);
    }
    return !busy;
  }

  void fail_cell(size_t plan_index, const results::CellKey& key, const std::string& reason) {
    CellOutcome outcome;
    outcome.kind = CellOutcome::Kind::kFailed;
    outcome.reason = reason;
    record_outcome(plan_index, key, store_.mark_failed(machine_id_, key, reason), outcome);
  }

  // `done`: repetition indices already in the store (a resumed cell); they are not measured again.
  void run_cell(engine::Evaluator& model, const tasks::Task& task, size_t plan_index, results::Cell& cell,
                const std::vector<int32_t>& done) {
    const int64_t cell_id = store_.upsert_cell_pending(cell);
    const int64_t total = request_count(task);
    std::optional<tasks::TaskResult> scored;
    CellOutcome outcome;
    double last_seconds = 0;

    int32_t passes = 1;
    int calibrations = 0;         // windows discarded for being too short (at most 3 per cell)
    bool said_sequences = false;  // the generation sequence count is said once per cell
    // The generation context is an allocation, as the scoring contexts made at load are: made
    // before the first window (docs/energy.md "What a window holds").
    if (task.kind() == tasks::RequestKind::kGeneration) model.prepare_generation(task.generation_requests());
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
      (void)model.take_generation_steps();  // the warm-up's and unmeasured scoring's steps are not this window's
      auto* served = dynamic_cast<endpoint::EndpointEvaluator*>(&model);
      if (served != nullptr) {  // nor their request times
        (void)served->take_request_timings();
        (void)served->take_request_spans();
      }
      const util::PeakRssWindow host_memory;  // the process's peak resident memory over this window
      auto window = monitor_.open_window([&] { model.synchronize(); });
      tasks::TaskResult result = evaluate(model, task, progress);
      for (int32_t p = 1; p < passes; ++p) evaluate(model, task, {});  // same work again (deterministic)
      energy::WindowResult measured = window.close([&] { model.synchronize(); });
      const engine::WorkCounters work = model.counters();
      const std::vector<engine::GenerationStep> steps = model.take_generation_steps();
      if (const int32_t needed = passes_needed(measured.seconds / passes);
          measured.seconds < config_.min_window_seconds && needed > passes && calibrations < 3) {
        // Too short for the meters to resolve: this window was a calibration; measure again with the
        // work repeated `needed` times (this and the following repetitions).
        passes = needed;
        ++calibrations;
        observer_.message(fmt::format("{:.2f} s window is under {} s: measuring again, the work repeated {} times",
                                      measured.seconds, config_.min_window_seconds, passes));
        --r;
        continue;
      }

      if (work.generation_sequences > 0 && !said_sequences) {
        said_sequences = true;
        observer_.message(fmt::format("generation: {} sequences decoded together{}", work.generation_sequences,
                                      work.generation_sequences < work.generation_sequences_wanted
                                          ? fmt::format(" (fewer than the {} wanted: their KV cache did not fit)",
                                                        work.generation_sequences_wanted)
                                          : ""));
        if (work.generation_shared_prefix > 0) {
          observer_.message(fmt::format(
              "generation: the prompts share their first {} tokens: evaluated once, {} prompt tokens reused",
              work.generation_shared_prefix, work.prompt_tokens_reused));
        }
      }
      results::Repetition rep;
      rep.index = r;
      rep.started_at = started_at;
      rep.seconds = measured.seconds;
      rep.short_window = measured.short_window;
      rep.prompt_tokens = work.prompt_tokens_evaluated;
      rep.generated_tokens = work.tokens_generated;
      rep.decode_calls = work.decode_calls;
      rep.items = result.n_items;
      rep.passes = passes;
      rep.jouleval_version = util::build::kVersion;
      rep.llama_revision = util::build::kLlamaRevision;
      rep.peak_rss_bytes = host_memory.peak_bytes();
      rep.phases = generation_phases(steps, measured, monitor_.meters_status());
      if (work.prompt_padding_tokens > 0) {
        observer_.message(
            fmt::format("prefill: {} padding tokens computed beside {} prompt tokens ({:.1f} %) to fill prefill blocks",
                        work.prompt_padding_tokens, work.prompt_tokens_evaluated,
                        100.0 * static_cast<double>(work.prompt_padding_tokens) /
                            static_cast<double>(std::max<int64_t>(work.prompt_tokens_evaluated, 1))));
      }
      if (const energy::DecodeStepTimes t = energy::decode_step_times(steps); t.steps > 0) {
        observer_.message(fmt::format(
            "decode steps: {} without prompt tokens, {:.1f} ms each: {:.1f} ms in llama_decode and the copy of "
            "its outputs, {:.1f} ms on the host (argmax, detokenisation, stop strings); {:.2f} runs of "
            "consecutive sequence ids per step (at most {}; a forward pass each)",
            t.steps, 1e3 * t.mean_s, 1e3 * (t.mean_s - t.mean_host_s), 1e3 * t.mean_host_s, t.mean_sequence_runs,
            t.max_sequence_runs));
      }
      if (!steps.empty()) {
        observer_.message(fmt::format(
            "generation outside its steps: {:.3f} s tokenising the prompts, {:.3f} s making the generation context, "
            "{:.3f} s between steps (admission, planning, KV-cache bookkeeping)",
            work.generation_tokenize_s, work.generation_context_s, energy::seconds_between_steps(steps)));
      }
      if (served != nullptr) {  // before the meters move out of `measured`
        const auto timings = served->take_request_timings();
        const auto spans = served->take_request_spans();
        if (!timings.empty())
          rep.latency_json = endpoint_latency_json(timings, spans, sweep_.cells()[plan_index], config_.slo, rep.seconds,
                                                   measured, monitor_.meters_status());
      }
      rep.meters = std::move(measured.meters);
      if (config_.timeline) rep.timeline = std::move(measured.timeline);
      last_seconds = measured.seconds;
      store_.add_repetition(cell_id, rep);  // committed atomically
      measured_any_ = true;
      observer_.repetition_finished(cell.key, rep);
      ++outcome.repetitions_run;
      if (!scored) scored = std::move(result);
    }
    if (!scored) {
      // Every repetition was stored by an earlier (killed) invocation but the cell was not finished:
      // score once more, unmeasured.
      scored = evaluate(model, task, {});
    }

    results::Fidelity fidelity = compute_fidelity(cell.key, *scored);
    std::optional<uint64_t> peak;
    if (auto* in_process = dynamic_cast<engine::Model*>(&model))
      if (auto used = in_process->gpu_memory_used()) peak = *used;
    store_.finish_cell(cell_id, to_store_metrics(*scored), to_store_items(*scored), fidelity, peak);
    log_items(cell.key, cell_id);
    outcome.kind = CellOutcome::Kind::kDone;
    outcome.headline_metric = scored->headline;
    if (const tasks::Metric* m = scored->find(scored->headline)) {
      outcome.headline_value = m->value;
      outcome.headline_stderr = m->std_error;
    }
    record_outcome(plan_index, cell.key, cell_id, outcome);
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

  // Against the reference precision (results::reference_precision of the sweep's precisions) of the
  // same cell otherwise, when it is stored and finished.
  results::Fidelity compute_fidelity(const results::CellKey& key, const tasks::TaskResult& result) {
    results::Fidelity fidelity;
    if (reference_.empty() || reference_ == key.precision) return fidelity;
    auto ref = store_.find_done_cell_with_precision(machine_id_, key, reference_);
    if (!ref) return fidelity;
    std::vector<nlohmann::json> ref_items;
    for (const auto& item : store_.items(*ref)) ref_items.push_back(nlohmann::json::parse(item.json));
    tasks::Fidelity f = tasks::fidelity(ref_items, result.item_records);
    if (f.n_compared == 0) return fidelity;
    fidelity.reference_precision = reference_;
    fidelity.answer_flips = f.answer_flips;
    fidelity.mean_kl = f.mean_kl;
    return fidelity;
  }

  const PreparedSweep& sweep_;
  const SweepConfig& config_;
  energy::Monitor& monitor_;
  store::Store& store_;
  Observer& observer_;
  const RunOptions& options_;
  std::unique_ptr<ClaimKeeper> claims_;
  std::string machine_id_;
  std::vector<std::string> precisions_;  // canonical
  std::string reference_;                // the sweep's reference precision ("" if none)
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  bool stopped_ = false;
  bool measured_any_ = false;
  bool any_meter_ = false;  // some meter can measure: short windows are filled
  std::map<size_t, std::string> hashes_;
  std::map<size_t, std::optional<SourceIdentity>> identities_;
  std::set<size_t> resolved_;        // plan indices with an outcome
  std::set<size_t> announced_wait_;  // plan indices whose wait was announced
  std::map<size_t, int64_t> cell_ids_;
  util::AtomicFile* items_log_ = nullptr;
  SweepResult result_;
};

}  // namespace

const tasks::Task& PreparedSweep::task(const PlannedCell& cell) const {
  return *tasks_.at(std::make_tuple(cell.task, cell.limit, cell.shots));
}

PreparedSweep prepare_sweep(const SweepConfig& config, std::optional<size_t> only_cell) {
  PreparedSweep p;
  p.config_ = &config;
  p.cells_ = selected_cells(config, only_cell);
  for (const auto& cell : p.cells_) {
    const auto key = std::make_tuple(cell.task, cell.limit, cell.shots);
    if (!p.tasks_.count(key))
      p.tasks_[key] = std::make_shared<const tasks::Task>(tasks::load_task(cell.task, task_options(config, cell)));
  }
  if (config.endpoint) {
    // Probed up front: a server that cannot do the work fails the command before anything is stored.
    p.client_ = std::make_shared<endpoint::Client>(*config.endpoint);
    std::string scored;
    for (const auto& cell : p.cells_)
      if (p.task(cell).kind() == tasks::RequestKind::kLoglikelihood &&
          scored.find(tasks::task_name(cell.task)) == std::string::npos)
        scored += (scored.empty() ? "" : ", ") + std::string(tasks::task_name(cell.task));
    // The chat API has no prompt logprobs (lm-evaluation-harness refuses these tasks with chat too).
    if (!scored.empty() && p.client_->chat())
      throw Error(fmt::format("--endpoint-api chat: loglikelihood tasks ({}) cannot be scored through the chat API: "
                              "it has no prompt logprobs (use --endpoint-api completions for them)",
                              scored),
                  ErrorKind::kUsage);
    p.server_ = p.client_->probe_server();
    if (!scored.empty()) {
      p.loglikelihood_ = p.client_->probe_loglikelihood();
      if (!p.loglikelihood_.supported)
        throw Error(fmt::format("endpoint {} cannot score loglikelihood tasks ({}): its /v1/completions does not "
                                "return prompt logprobs with echo ({})",
                                p.client_->base_url(), scored, p.loglikelihood_.why_not),
                    ErrorKind::kUnavailable);
    }
    // Streamed generation when the server can (docs/endpoint.md "Latency under load"); else whole
    // answers, with their end-to-end latency only.
    if (std::any_of(p.cells_.begin(), p.cells_.end(),
                    [&](const PlannedCell& c) { return p.task(c).kind() != tasks::RequestKind::kLoglikelihood; }))
      p.streaming_ = p.client_->probe_streaming();
    return p;
  }
  std::set<size_t> models;
  for (const auto& cell : p.cells_) models.insert(cell.model_index);
  for (size_t m : models) {
    const ModelSpec& spec = config.models[m];
    if (!spec.synth_preset.empty() && !fs::exists(spec.path)) continue;  // synthesized when run
    std::error_code ec;
    if (!fs::is_regular_file(spec.path, ec)) {
      throw Error(fmt::format("model {}: no such file", spec.path.string()), ErrorKind::kBadInput);
    }
    // Throws (bad input) naming the file and the key when it is not a GGUF model llama.cpp can load.
    engine::validate_gguf(spec.path);
  }
  return p;
}

PreparedModelFile prepare_precision(const fs::path& source, const std::string& source_sha256,
                                    const std::string& precision, const fs::path& cache_dir, Observer& observer) {
  const engine::Precision& target = engine::resolve_precision(precision);
  const engine::GgufSummary summary = engine::read_gguf_summary(source);
  if (summary.file_type == target.ftype) return {source, source_sha256};
  fs::path dir = cache_dir.empty() ? source.parent_path() : cache_dir;
  if (dir.empty()) dir = ".";  // a bare file name: its directory is the current one
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(fmt::format("{}: cannot create the model cache directory: {}", dir.string(), ec.message()));
  const fs::path out = dir / fmt::format("{}.{}.gguf", source.stem().string(), target.type_name);

  // One process at a time makes (or checks) this file; the others wait, then reuse it.
  util::FileLock lock(dir / fmt::format(".{}.lock", out.filename().string()),
                      [&] { observer.message(fmt::format("waiting for another process making {}", out.string())); });
  if (fs::exists(out, ec)) {
    std::optional<MadeFrom> made;
    try {
      made = read_made_from(out);
    } catch (const Error&) {
      // unreadable record: the file is made again
    }
    if (made && made->source_sha256 == source_sha256 && made->type == target.type_name &&
        made->stamp == file_stamp(out))
      return {out, made->sha256};
    observer.message(fmt::format("{} was not made from this {} (or was changed since): making it again", out.string(),
                                 source.filename().string()));
  }
  observer.message(fmt::format("quantizing {} -> {} ({})", source.filename().string(), target.type_name, out.string()));
  // engine::quantize writes a temporary file and renames it over `out` when complete: a killed run
  // leaves no usable-looking file. The record is written last: a file without one is made again.
  remove_made_from(out);  // the old record describes the old file
  engine::QuantizeOptions qo;
  qo.input = source;
  qo.output = out;
  qo.type = target.type_name;
  qo.overwrite = true;  // a stale file made from another source, under the lock
  engine::quantize(qo);
  const MadeFrom made = write_made_from(out, source, source_sha256, target.type_name);
  return {out, made.sha256};
}

int prepare_models(const SweepConfig& config, Observer& observer) {
  if (config.endpoint) return 0;  // the server has its model
  int unusable = 0;
  std::set<std::pair<size_t, std::string>> done;
  std::map<size_t, std::string> hashes;
  for (const auto& cell : plan_cells(config)) {
    if (!done.insert({cell.model_index, cell.precision}).second) continue;
    const ModelSpec& spec = config.models[cell.model_index];
    ensure_source(spec, config.threads, observer);
    if (!hashes.count(cell.model_index)) hashes[cell.model_index] = util::sha256_file(spec.path);
    try {
      const auto file =
          prepare_precision(spec.path, hashes[cell.model_index], cell.precision, config.model_cache, observer);
      observer.message(fmt::format("ready: {} [{}]", file.path.string(), cell.precision));
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kNoSpace) throw;
      ++unusable;
      observer.message(fmt::format("cannot prepare {} [{}]: {} (its cells will be skipped)", spec.path.string(),
                                   cell.precision, e.what()));
    }
  }
  return unusable;
}

SweepResult run_sweep(const PreparedSweep& sweep, energy::Monitor& monitor, store::Store& store, Observer& observer,
                      const RunOptions& options) {
  SweepRun run(sweep, monitor, store, observer, options);
  return run.run();
}

}  // namespace jouleval::sweep
