#include "sweep/config.h"

#include <fmt/format.h>

#include <toml++/toml.h>

#include "engine/model.h"
#include "engine/quantize.h"
#include "util/error.h"

namespace jouleval::sweep {
namespace {

using util::Error;
using util::ExitCode;

[[noreturn]] void bad(const std::filesystem::path& file, const std::string& field, const std::string& what) {
  throw Error(fmt::format("{}: field '{}': {}", file.string(), field, what), ExitCode::kBadInput);
}

std::vector<std::string> string_list(const toml::table& t, const std::string& key, const std::filesystem::path& file,
                                     std::vector<std::string> fallback) {
  const toml::node* node = t.get(key);
  if (node == nullptr) return fallback;
  std::vector<std::string> out;
  if (auto s = node->value<std::string>()) {
    out.push_back(*s);
    return out;
  }
  const toml::array* arr = node->as_array();
  if (arr == nullptr) bad(file, key, "expected a string or an array of strings");
  for (const auto& el : *arr) {
    auto s = el.value<std::string>();
    if (!s) bad(file, key, "every element must be a string");
    out.push_back(*s);
  }
  if (out.empty()) bad(file, key, "must not be empty");
  return out;
}

template <typename T>
std::optional<T> get(const toml::table& t, const std::string& key, const std::filesystem::path& file,
                     const std::string& prefix = "") {
  const toml::node* node = t.get(key);
  if (node == nullptr) return std::nullopt;
  if constexpr (std::is_same_v<T, double>) {
    if (auto v = node->value<double>()) return *v;  // integers convert too
  } else {
    if (auto v = node->value_exact<T>()) return *v;
  }
  bad(file, prefix + key,
      std::is_same_v<T, std::string> ? "expected a string"
      : std::is_same_v<T, bool>      ? "expected true or false"
                                     : "expected a number");
}

int non_negative(int64_t v, const std::filesystem::path& file, const std::string& field) {
  if (v < 0 || v > 100000000) bad(file, field, fmt::format("must be between 0 and 100000000, got {}", v));
  return static_cast<int>(v);
}

}  // namespace

int SweepConfig::limit_for(tasks::TaskId task) const {
  auto it = task_settings.find(task);
  if (it != task_settings.end() && it->second.limit) return *it->second.limit;
  return limit;
}

std::optional<int> SweepConfig::shots_for(tasks::TaskId task) const {
  auto it = task_settings.find(task);
  if (it != task_settings.end()) return it->second.shots;
  return std::nullopt;
}

nlohmann::json SweepConfig::to_json() const {
  nlohmann::json models_json = nlohmann::json::array();
  for (const auto& m : models) {
    models_json.push_back({{"path", m.path.string()}, {"label", m.label}, {"synth_preset", m.synth_preset}});
  }
  nlohmann::json tasks_json = nlohmann::json::array();
  for (auto t : tasks) {
    nlohmann::json tj = {{"task", std::string(tasks::task_name(t))}, {"limit", limit_for(t)}};
    if (auto s = shots_for(t)) tj["shots"] = *s;
    tasks_json.push_back(tj);
  }
  return {{"database", database.string()},
          {"data_dir", data_dir.string()},
          {"use_samples", use_samples},
          {"models", models_json},
          {"precisions", precisions},
          {"kv_types", kv_types},
          {"placements", placements},
          {"tasks", tasks_json},
          {"shot_preset", shot_preset},
          {"seed", seed},
          {"repetitions", repetitions},
          {"idle_seconds", idle_seconds},
          {"cooldown_seconds", cooldown_seconds},
          {"min_window_seconds", min_window_seconds},
          {"warmup_requests", warmup_requests},
          {"timeline", timeline},
          {"threads", threads},
          {"context_size", context_size},
          {"max_sequences", max_sequences},
          {"scoring_lanes", scoring_lanes},
          {"batch_size", batch_size},
          {"ubatch_size", ubatch_size},
          {"flash_attention", flash_attention}};
}

ModelSpec parse_model_spec(const std::string& text, const std::filesystem::path& synth_dir) {
  ModelSpec spec;
  if (text.rfind("synth:", 0) == 0) {
    std::string rest = text.substr(6);
    std::string weight_type = "f16";
    if (auto colon = rest.find(':'); colon != std::string::npos) {
      weight_type = rest.substr(colon + 1);
      rest = rest.substr(0, colon);
    }
    if (rest.empty())
      throw Error(fmt::format("model '{}': missing synth preset after 'synth:'", text), ExitCode::kUsage);
    spec.synth_preset = rest;
    spec.synth_weight_type = weight_type;
    spec.path = synth_dir / fmt::format("{}-{}.gguf", rest, weight_type);
    spec.label = fmt::format("synth-{}", rest);
    return spec;
  }
  spec.path = text;
  spec.label = spec.path.stem().string();
  return spec;
}

SweepConfig load_sweep_config(const std::filesystem::path& file) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    throw Error(
        fmt::format("{}:{}:{}: {}", file.string(), e.source().begin.line, e.source().begin.column, e.description()),
        ExitCode::kBadInput);
  }
  const std::filesystem::path base = file.parent_path();
  auto resolve = [&](const std::string& p) -> std::filesystem::path {
    std::filesystem::path path(p);
    return path.is_absolute() || base.empty() ? path : base / path;
  };

  const toml::table* sweep = root["sweep"].as_table();
  if (sweep == nullptr) bad(file, "sweep", "missing [sweep] table");
  const std::string p = "sweep.";
  SweepConfig config;
  for (const auto& [key, _] : *sweep) {
    static const std::vector<std::string> known = {
        "database",        "data_dir",      "samples",          "model_cache",
        "models",          "precisions",    "kv_types",         "placements",
        "tasks",           "limit",         "shot_preset",      "seed",
        "repetitions",     "idle_seconds",  "cooldown_seconds", "min_window_seconds",
        "warmup_requests", "timeline",      "threads",          "context_size",
        "max_sequences",   "scoring_lanes", "batch_size",       "ubatch_size",
        "flash_attention"};
    if (std::find(known.begin(), known.end(), std::string(key.str())) == known.end()) {
      bad(file, p + std::string(key.str()), "unknown field");
    }
  }
  if (auto v = get<std::string>(*sweep, "database", file, p)) config.database = resolve(*v);
  if (auto v = get<std::string>(*sweep, "data_dir", file, p)) config.data_dir = resolve(*v);
  if (auto v = get<bool>(*sweep, "samples", file, p)) config.use_samples = *v;
  if (auto v = get<std::string>(*sweep, "model_cache", file, p)) config.model_cache = resolve(*v);
  if (config.data_dir.empty() && !config.use_samples) bad(file, p + "data_dir", "set data_dir or samples = true");

  const std::filesystem::path synth_dir =
      config.model_cache.empty() ? config.database.parent_path() / "models" : config.model_cache;
  for (const auto& m : string_list(*sweep, "models", file, {})) {
    ModelSpec spec = parse_model_spec(m, synth_dir);
    if (spec.synth_preset.empty()) spec.path = resolve(m);
    config.models.push_back(spec);
  }
  if (config.models.empty()) bad(file, p + "models", "missing: list GGUF files or synth:PRESET entries");

  config.precisions = string_list(*sweep, "precisions", file, config.precisions);
  for (const auto& prec : config.precisions) {
    try {
      engine::resolve_precision(prec);
    } catch (const Error& e) {
      bad(file, p + "precisions", e.what());
    }
  }
  config.kv_types = string_list(*sweep, "kv_types", file, config.kv_types);
  for (const auto& kv : config.kv_types) {
    if (kv != "f16" && kv != "q8_0" && kv != "q4_0")
      bad(file, p + "kv_types", fmt::format("'{}': use f16, q8_0 or q4_0", kv));
  }
  config.placements = string_list(*sweep, "placements", file, config.placements);
  for (const auto& pl : config.placements) {
    try {
      engine::Placement::parse(pl);
    } catch (const Error& e) {
      bad(file, p + "placements", e.what());
    }
  }
  std::string task_list;
  for (const auto& t : string_list(*sweep, "tasks", file, {})) task_list += (task_list.empty() ? "" : ",") + t;
  if (task_list.empty()) bad(file, p + "tasks", "missing: e.g. tasks = [\"mmlu\", \"gsm8k\"]");
  try {
    config.tasks = tasks::parse_task_list(task_list);
  } catch (const Error& e) {
    bad(file, p + "tasks", e.what());
  }

  if (auto v = get<int64_t>(*sweep, "limit", file, p)) config.limit = non_negative(*v, file, p + "limit");
  if (auto v = get<std::string>(*sweep, "shot_preset", file, p)) config.shot_preset = *v;
  if (auto v = get<int64_t>(*sweep, "seed", file, p)) config.seed = static_cast<uint64_t>(*v);
  if (auto v = get<int64_t>(*sweep, "repetitions", file, p)) {
    config.repetitions = non_negative(*v, file, p + "repetitions");
    if (config.repetitions < 1) bad(file, p + "repetitions", "must be at least 1");
  }
  if (auto v = get<double>(*sweep, "idle_seconds", file, p)) config.idle_seconds = *v;
  if (auto v = get<double>(*sweep, "cooldown_seconds", file, p)) config.cooldown_seconds = *v;
  if (auto v = get<double>(*sweep, "min_window_seconds", file, p)) {
    if (!(*v >= 0.0 && *v <= 3600.0)) bad(file, p + "min_window_seconds", "must be between 0 and 3600");
    config.min_window_seconds = *v;
  }
  if (auto v = get<int64_t>(*sweep, "warmup_requests", file, p))
    config.warmup_requests = non_negative(*v, file, p + "warmup_requests");
  if (auto v = get<bool>(*sweep, "timeline", file, p)) config.timeline = *v;
  if (auto v = get<int64_t>(*sweep, "threads", file, p)) config.threads = non_negative(*v, file, p + "threads");
  if (auto v = get<int64_t>(*sweep, "context_size", file, p))
    config.context_size = non_negative(*v, file, p + "context_size");
  if (auto v = get<int64_t>(*sweep, "max_sequences", file, p))
    config.max_sequences = non_negative(*v, file, p + "max_sequences");
  if (auto v = get<int64_t>(*sweep, "scoring_lanes", file, p))
    config.scoring_lanes = non_negative(*v, file, p + "scoring_lanes");
  if (auto v = get<int64_t>(*sweep, "batch_size", file, p))
    config.batch_size = non_negative(*v, file, p + "batch_size");
  if (auto v = get<int64_t>(*sweep, "ubatch_size", file, p))
    config.ubatch_size = non_negative(*v, file, p + "ubatch_size");
  if (auto v = get<std::string>(*sweep, "flash_attention", file, p)) {
    if (*v != "auto" && *v != "on" && *v != "off") bad(file, p + "flash_attention", "use auto, on or off");
    config.flash_attention = *v;
  }

  // Per-task overrides: [tasks.mmlu] limit = 500, shots = 5
  if (const toml::table* per_task = root["tasks"].as_table()) {
    for (const auto& [name, node] : *per_task) {
      const std::string field = fmt::format("tasks.{}", name.str());
      tasks::TaskId id;
      try {
        id = tasks::parse_task_name(name.str());
      } catch (const Error& e) {
        bad(file, field, e.what());
      }
      const toml::table* t = node.as_table();
      if (t == nullptr) bad(file, field, "expected a table");
      TaskSettings settings;
      if (auto v = get<int64_t>(*t, "limit", file, field + "."))
        settings.limit = non_negative(*v, file, field + ".limit");
      if (auto v = get<int64_t>(*t, "shots", file, field + "."))
        settings.shots = non_negative(*v, file, field + ".shots");
      config.task_settings[id] = settings;
    }
  }
  for (const auto& [key, _] : root) {
    if (key.str() != "sweep" && key.str() != "tasks")
      bad(file, std::string(key.str()), "unknown table (expected [sweep] and [tasks.NAME])");
  }
  return config;
}

}  // namespace jouleval::sweep
