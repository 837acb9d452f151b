// The results data model, as plain structs: what one measured cell records (docs/store.md). The
// sweep layer fills them, the store persists them, the report reads them. Every layer that shares a
// result uses these types; the rules that interpret them (identity, headline metric, reference
// precision, statistics) live beside them in results/.
// Optional fields are absent when the meter or quantity is unavailable — never zero-filled.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jouleval::results {

// The machine a measurement ran on. `fingerprint_json` holds everything collected (GPU name, UUID,
// driver, CUDA, power limits, clocks, CPU model, memory, OS, kernel, versions); `id` is a stable
// hash of the identifying parts (hostname, CPU model, GPU UUIDs) so merges can match machines.
struct Machine {
  std::string id;
  std::string hostname;
  std::string cpu_model;
  std::string gpu_name;  // empty when no GPU
  std::string fingerprint_json;
};

// A value of a cell's identity that a database written before it was recorded does not have
// (schema version 2 and older): such cells never match a new request and are shown "not recorded".
inline constexpr int32_t kNotRecorded = -1;

// The engine settings that can change a cell's answers or timing, as asked (0 or "auto": the
// engine's choice, which is recorded separately as what was used).
struct EngineSettings {
  int32_t context_size = 0;              // KV cache tokens
  int32_t batch_size = 0;                // tokens per decode call
  int32_t ubatch_size = 0;               // tokens per device micro-batch
  int32_t scoring_lanes = 0;             // scoring contexts taking turns
  int32_t max_sequences = 0;             // parallel sequences
  int32_t threads = 0;                   // CPU threads (0 = physical cores)
  std::string flash_attention = "auto";  // auto | on | off ("" = not recorded)
  // An endpoint's Poisson arrivals (docs/endpoint.md "Load levels"): requests per second, 0 = a
  // closed loop of max_sequences requests in flight.
  double arrival_rate = 0;
  // An endpoint cell's generation API, "completions" or "chat" (docs/endpoint.md "Chat
  // completions"); "" for in-process cells.
  std::string endpoint_api;

  bool operator==(const EngineSettings&) const = default;
};

// The identity of a cell: everything that defines *what* was measured. Two cells with equal keys on
// the same machine are the same cell (resume, claims and merge rely on this); a request that
// differs in any field is another cell.
struct CellKey {
  std::string model;         // model name (file stem or general.name)
  std::string model_sha256;  // hash of the source model file (before quantization)
  std::string file_sha256;   // hash of the file actually evaluated ("" = not recorded)
  std::string precision;     // alias or GGUF type actually evaluated: fp16, int8, Q4_K_M, ...
  std::string kv_type;       // f16 | q8_0 | q4_0
  std::string placement;     // gpu | cpu | partial:N
  std::string task;          // mmlu | arc_challenge | hellaswag | truthfulqa_mc1 | truthfulqa_mc2 | gsm8k
  int32_t limit = 0;         // 0 = all items
  int32_t shots = 0;
  std::string preset = "lm-eval";  // shot preset ("" = not recorded)
  int64_t seed = 1234;             // few-shot selection seed (kNotRecorded = not recorded)
  // How the few-shot examples were chosen (tasks::TaskOptions::fewshot_sampler): "lm-eval" or
  // "first_n"; cells stored before it was recorded were "lm-eval".
  std::string fewshot_sampler = "lm-eval";
  EngineSettings engine;

  bool operator==(const CellKey&) const = default;
};

// Energy of one meter over one measurement window.
struct MeterEnergy {
  std::string meter;   // "nvml:0", "rapl", "external", ...
  std::string device;  // "NVIDIA H100 80GB HBM3", "package-0 + dram-0", ...
  std::string kind;    // gpu | cpu | dram | system | external
  bool available = false;
  std::string unavailable_reason;           // when !available
  bool estimated = false;                   // true only for opt-in estimates; labelled everywhere
  std::optional<double> counter_joules;     // energy-counter delta (primary)
  std::optional<double> integrated_joules;  // trapezoid integral of sampled power
  std::optional<double> disagreement;       // |counter - integrated| / max(|counter|, |integrated|)
  bool disagreement_flag = false;           // disagreement above threshold (default 5%)
  std::optional<double> idle_watts;         // idle baseline of this meter
  std::optional<double> total_joules;       // counter if present, else integrated
  std::optional<double> active_joules;      // total - idle_watts * duration
  std::optional<double> avg_watts;
  std::optional<double> peak_watts;
  std::optional<double> temp_start_c;
  std::optional<double> temp_end_c;
};

// Whether `m` is a GPU the measured work did not use (energy::Monitor::select_gpus): listed, never
// summed (docs/energy.md "Which GPUs are metered").
inline bool meter_unused(const MeterEnergy& m) {
  return !m.available && m.unavailable_reason.rfind("unused: ", 0) == 0;
}

// One power sample of a timeline (optional, per repetition).
struct PowerSample {
  double t_seconds = 0.0;  // since the window began
  std::string meter;
  double watts = 0.0;
};

// One phase of a generation repetition as one meter saw it (docs/energy.md "Phases of
// generation"): prefill, decode, steady (the longest stretch with the batch full) or other (the
// window's time outside every generation step). Energy is absent unless `method` is
// "counter-scaled" or "integrated"; `note` says why it is absent ("too short", "unavailable").
struct PhaseEnergy {
  std::string phase;  // prefill | decode | steady | other
  std::string meter;  // the meter's name; "" when the window had no meter at all
  double seconds = 0.0;
  int64_t tokens = 0;  // prefill: prompt tokens; decode and steady: generated (decode) tokens; other: 0
  int32_t steps = 0;   // generation steps that contributed
  int32_t batch = 0;   // steady: the sequences decoded together (every slot); else the most active at once
  std::string method;  // counter-scaled | integrated | too short | unavailable
  std::optional<double> joules;
  std::optional<double> joules_idle_subtracted;  // joules - idle watts x seconds, with an idle baseline
  std::string note;  // why there is no energy; a caveat of the energy (counter and power disagree)
};

// One repetition of a cell: the task's whole work inside one measurement window.
struct Repetition {
  int64_t id = 0;  // database id (0 until stored); key for timeline()
  int32_t index = 0;
  std::string started_at;  // ISO 8601 UTC
  double seconds = 0.0;
  bool short_window = false;  // under ~1 s: energy not meaningful
  int64_t prompt_tokens = 0;  // evaluated (after KV reuse)
  int64_t generated_tokens = 0;
  int64_t decode_calls = 0;
  int32_t items = 0;
  // The task's whole work ran this many times inside the window (a short task repeated to fill a
  // window the meters can resolve); seconds, tokens and meter readings cover all passes.
  int32_t passes = 1;
  std::string jouleval_version;  // the jouleval that measured it ("" = not recorded)
  std::string llama_revision;    // the llama.cpp revision it ran on ("" = not recorded)
  // Peak resident memory of the measuring process during the window (Linux VmHWM, reset when the
  // window opens; util/peak_memory.h), model weights mapped from the file included; absent when not
  // recorded (databases before schema version 4, or a system without it).
  std::optional<uint64_t> peak_rss_bytes;
  std::vector<MeterEnergy> meters;
  std::vector<PowerSample> timeline;  // may be empty
  // Generation cells: each phase of the window per meter (empty for other cells and for databases
  // before the phase_energy table).
  std::vector<PhaseEnergy> phases;
  // Endpoint generation cells: the window's latency under load (docs/endpoint.md "Latency under
  // load"), the JSON object of endpoint::to_json(LatencySummary); "" for other cells and for
  // databases before the request_latency table.
  std::string latency_json;
};

// Accuracy of a cell (identical across repetitions for greedy evaluation; recorded once).
struct Metric {
  std::string name;  // acc, acc_norm, mc2, exact_match,strict-match, exact_match,flexible-extract
  double value = 0.0;
  std::optional<double> stderr_;  // absent when undefined (fewer than 2 items)
};

// One scored item of a cell (per-item record of tasks/, serialised as JSON).
struct ItemRecord {
  std::string item_id;
  bool correct = false;
  std::string json;  // the full per-item record (prompts, per-choice loglikelihoods, answer, ...)
};

// Fidelity of a cell against the reference precision of the same model/task (all absent if none).
struct Fidelity {
  std::optional<std::string> reference_precision;
  std::optional<double> answer_flips;
  std::optional<double> mean_kl;
};

// One invocation of jouleval that wrote results (a sweep, a run, ...).
struct Run {
  int64_t id = 0;          // database id (0 until stored)
  std::string started_at;  // ISO 8601 UTC
  std::string command_line;
  std::string config_json;  // the effective configuration, as JSON ("{}" if none)
  std::string machine_id;
  std::string jouleval_version;  // version of the jouleval that ran it
};

enum class CellStatus { kPending, kDone, kSkipped, kFailed };

// Everything about one cell, as stored and as read back for reports.
struct Cell {
  int64_t id = 0;      // database id (0 until stored)
  int64_t run_id = 0;  // the run (invocation) that last wrote the cell; 0 = unknown
  std::string machine_id;
  CellKey key;
  CellStatus status = CellStatus::kPending;
  std::string skip_reason;  // for kSkipped / kFailed
  std::string model_path;   // the file actually evaluated
  uint64_t model_size_bytes = 0;
  uint64_t model_params = 0;
  std::string weight_types;     // comma-separated
  bool random_weights = false;  // synthetic model: accuracy is chance level
  double load_seconds = 0.0;
  uint64_t peak_gpu_memory_bytes = 0;
  std::string engine_used_json = "{}";  // the engine settings in use (auto choices resolved), JSON
  std::vector<Metric> metrics;
  std::vector<Repetition> repetitions;
  std::vector<ItemRecord> items;
  // Fidelity against the reference precision of the same model/task (absent if none).
  std::optional<std::string> reference_precision;
  std::optional<double> answer_flips;  // share of items whose chosen answer changed
  std::optional<double> mean_kl;       // mean KL(reference || this) of choice distributions
};

// Text form of a status as stored ("pending", "done", "skipped", "failed") and back; throws
// util::Error (bad input) for an unknown text.
const char* to_string(CellStatus status);
CellStatus parse_cell_status(const std::string& text);

// A short description of a cell key for messages:
// "model[@sha]/precision/kv=../placement/task/limit=../shots=.." plus the fields that differ from
// their defaults (seed, preset, engine settings).
std::string describe(const CellKey& key);

}  // namespace jouleval::results
