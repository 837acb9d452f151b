// What a sweep (or a single `jouleval run`) evaluates and how: the matrix axes, per-task limits and
// shots, repetitions and measurement settings. Read from TOML by load_sweep_config (format in
// docs/sweep.md); `jouleval run` builds one from its options.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "endpoint/client.h"
#include "endpoint/latency.h"
#include "results/records.h"
#include "tasks/task_id.h"
#include "util/error.h"

namespace jouleval::sweep {

// A model axis entry: a GGUF file, or a synthetic model made on first use ("synth:PRESET").
struct ModelSpec {
  std::filesystem::path path;  // GGUF file (for synth: where it is written)
  std::string synth_preset;    // non-empty: synthesize `path` with this preset if missing
  std::string synth_weight_type = "f16";
  std::string label;  // display name; defaults to the file stem
};

struct TaskSettings {
  std::optional<int> limit;  // overrides SweepConfig::limit
  std::optional<int> shots;  // overrides the preset
};

struct SweepConfig {
  std::filesystem::path database = "jouleval.db";
  std::filesystem::path data_dir;     // benchmark data root; empty with use_samples
  bool use_samples = false;           // built-in sample items instead of data files
  std::filesystem::path model_cache;  // where quantized variants go; empty = next to each model

  // When set, the tasks are evaluated through this OpenAI-compatible endpoint (docs/endpoint.md):
  // `models` holds one entry, labelled with the served model's name and no file; precisions,
  // kv_types and placements are unused (empty).
  std::optional<endpoint::EndpointOptions> endpoint;
  // With an endpoint: the concurrency levels, one cell per level and task, each 1..1024 and
  // distinct (empty: endpoint->concurrency alone).
  std::vector<int> concurrency_levels;
  // With an endpoint: Poisson arrival rates (requests per second, docs/endpoint.md "Load levels"),
  // one cell per rate, level and task, each level then the cap on requests in flight; empty: a closed
  // loop at each level.
  std::vector<double> arrival_rates;
  // With an endpoint: the objectives of goodput (--slo-ttft, --slo-itl; docs/endpoint.md "Latency
  // under load"), none by default.
  endpoint::Slo slo;
  std::vector<ModelSpec> models;
  std::vector<std::string> precisions = {"fp16"};
  std::vector<std::string> kv_types = {"f16"};
  std::vector<std::string> placements = {"gpu"};
  std::vector<tasks::TaskId> tasks;

  int limit = 0;  // default per-task item limit; 0 = all
  std::string shot_preset = "lm-eval";
  int64_t seed = 1234;  // few-shot selection seed, 0 .. 2^63 - 1
  // How few-shot examples are chosen: "lm-eval" or "first_n" (tasks::fewshot_samplers()).
  std::string fewshot_sampler = "lm-eval";
  std::map<tasks::TaskId, TaskSettings> task_settings;

  int repetitions = 3;
  double idle_seconds = 5.0;      // idle baseline per loaded model; 0 disables
  double cooldown_seconds = 0.0;  // pause between repetitions
  // A repetition whose window would be shorter repeats the task's work (passes) to fill this many
  // seconds, when some meter is available (docs/energy.md "Windows"); 0 disables.
  double min_window_seconds = 3.0;
  int warmup_requests = 8;  // unmeasured requests before the first window of a model
  bool timeline = false;    // store power timelines
  int threads = 0;          // 0 = physical cores
  int context_size = 0;     // 0 = automatic (enough for the longest request batch)
  int max_sequences = 0;    // 0 = engine default
  int scoring_lanes = 0;    // scoring contexts taking turns on packs (0 = 2 on placement gpu, else 1)
  int batch_size = 0;       // tokens per decode call (0 = engine's choice: 4096 on a roomy GPU, else 2048)
  int ubatch_size = 0;      // tokens per device micro-batch (0 = engine's choice: 2048 / 512)
  std::string flash_attention = "auto";

  int limit_for(tasks::TaskId task) const;
  std::optional<int> shots_for(tasks::TaskId task) const;
  // The engine settings of every cell of this sweep, as asked (part of each cell's identity).
  results::EngineSettings engine_settings() const;
  nlohmann::json to_json() const;
};

// How the settings of a configuration are named in messages: by their command-line option, or by a
// file, line and field. `name(field)` gets the SweepConfig member's TOML name ("context_size",
// "tasks.mmlu.shots") and returns how to show it ("--ctx", "s.toml:7: field 'sweep.context_size'").
struct SettingNames {
  std::function<std::string(const std::string& field)> name;
  util::ErrorKind code = util::ErrorKind::kUsage;  // kUsage for options, kBadInput for a file
};

// Checks every numeric and named setting against its allowed range (docs/sweep.md "Settings"): the
// one validation of both the command line and the TOML file. Throws util::Error(names.code) naming
// the setting, its value and the range.
void validate_config(const SweepConfig& config, const SettingNames& names);

// The canonical text of placement `text` (engine::Placement::to_string) with `split` ("", "layer"
// or "row") applied when it is gpus:... of two or more GPUs naming no split of its own. Throws
// util::Error (kUsage) on a bad placement, an unknown split, a split that contradicts the
// placement's own, or a split given for a placement that is not gpus:... of two or more GPUs.
std::string canonical_placement(const std::string& text, const std::string& split);

// Reads a sweep TOML file. Relative paths in it are relative to the file's directory. Throws
// util::Error (kBadInput) naming the file and the field on any error.
SweepConfig load_sweep_config(const std::filesystem::path& file);

// Parses a list of endpoint concurrency levels ("1,8,32"); throws util::Error (kUsage) naming
// `option` for an entry that is not an integer in 1..endpoint::kMaxConcurrency or is repeated.
std::vector<int> parse_concurrency_levels(const std::string& text, const std::string& option);

// Parses a list of Poisson arrival rates ("1,4.5"); throws util::Error (kUsage) naming `option` for
// an entry that is not a number more than 0 and at most endpoint::kMaxArrivalRate, or is repeated.
std::vector<double> parse_arrival_rates(const std::string& text, const std::string& option);

// Parses a model axis entry: "PATH" or "synth:PRESET[:WEIGHT_TYPE]" (synthetic models are written to
// `synth_dir`/PRESET-WEIGHT_TYPE.gguf).
ModelSpec parse_model_spec(const std::string& text, const std::filesystem::path& synth_dir);

}  // namespace jouleval::sweep
