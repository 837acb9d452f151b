#include "sweep/config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include <toml++/toml.h>

#include "engine/limits.h"
#include "engine/model.h"
#include "engine/quantize.h"
#include "tasks/options.h"

namespace jouleval::sweep {
namespace {

using util::Error;
using util::ErrorKind;

// A TOML file being read: names a field with its line, for every message.
class TomlFile {
 public:
  explicit TomlFile(std::filesystem::path file) : file_(std::move(file)) {}

  const std::filesystem::path& path() const { return file_; }

  // "FILE:LINE: field 'FIELD'" (the line of the field's value when known).
  std::string name(const std::string& field) const {
    auto it = lines_.find(field);
    if (it == lines_.end()) return fmt::format("{}: field '{}'", file_.string(), field);
    return fmt::format("{}:{}: field '{}'", file_.string(), it->second, field);
  }

  [[noreturn]] void bad(const std::string& field, const std::string& what) const {
    throw Error(fmt::format("{}: {}", name(field), what), ErrorKind::kBadInput);
  }

  void remember(const std::string& field, const toml::node& node) {
    if (node.source().begin.line > 0) lines_[field] = static_cast<int>(node.source().begin.line);
  }

  // Every key of `table` must be in `known`; `prefix` names the table ("sweep.", "tasks.mmlu.").
  void check_keys(const toml::table& table, const std::vector<std::string>& known, const std::string& prefix) {
    for (const auto& [key, node] : table) {
      const std::string name(key.str());
      remember(prefix + name, node);
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        bad(prefix + name, fmt::format("unknown field (known: {})", list));
      }
    }
  }

  std::vector<std::string> string_list(const toml::table& t, const std::string& key, const std::string& prefix,
                                       std::vector<std::string> fallback) const {
    const toml::node* node = t.get(key);
    if (node == nullptr) return fallback;
    std::vector<std::string> out;
    if (auto s = node->value<std::string>()) {
      out.push_back(*s);
      return out;
    }
    const toml::array* arr = node->as_array();
    if (arr == nullptr) bad(prefix + key, "expected a string or an array of strings");
    for (const auto& el : *arr) {
      auto s = el.value<std::string>();
      if (!s) bad(prefix + key, "every element must be a string");
      out.push_back(*s);
    }
    if (out.empty()) bad(prefix + key, "must not be empty");
    return out;
  }

  template <typename T>
  std::optional<T> get(const toml::table& t, const std::string& key, const std::string& prefix) const {
    const toml::node* node = t.get(key);
    if (node == nullptr) return std::nullopt;
    if constexpr (std::is_same_v<T, double>) {
      if (auto v = node->value<double>()) return *v;  // integers convert too
    } else {
      if (auto v = node->value_exact<T>()) return *v;
    }
    bad(prefix + key, std::is_same_v<T, std::string> ? "expected a string"
                      : std::is_same_v<T, bool>      ? "expected true or false"
                      : std::is_same_v<T, double>    ? "expected a number"
                                                     : "expected an integer");
  }

  // An integer field that must fit the int setting it goes to (range checks come later).
  std::optional<int> get_int(const toml::table& t, const std::string& key, const std::string& prefix) const {
    auto v = get<int64_t>(t, key, prefix);
    if (!v) return std::nullopt;
    if (*v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max())
      bad(prefix + key, fmt::format("{} is out of range", *v));
    return static_cast<int>(*v);
  }

 private:
  std::filesystem::path file_;
  std::map<std::string, int> lines_;
};

std::string range_text(double lo, double hi) { return fmt::format("{} to {}", lo, hi); }

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

results::EngineSettings SweepConfig::engine_settings() const {
  results::EngineSettings e;
  e.context_size = context_size;
  e.batch_size = batch_size;
  e.ubatch_size = ubatch_size;
  e.scoring_lanes = scoring_lanes;
  e.max_sequences = max_sequences;
  if (endpoint) e.max_sequences = endpoint->concurrency;  // requests in flight (docs/endpoint.md "Cells")
  if (endpoint) e.endpoint_api = endpoint->api;           // docs/endpoint.md "Chat completions"
  e.threads = threads;
  e.flash_attention = flash_attention;
  return e;
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
  nlohmann::json endpoint_json;
  if (endpoint)
    endpoint_json = {
        {"url", endpoint->url},
        {"served_model", endpoint->served_model},
        {"concurrency", concurrency_levels.empty() ? std::vector<int>{endpoint->concurrency} : concurrency_levels},
        {"arrival_rate", arrival_rates},
        {"request_timeout", endpoint->request_timeout_seconds},
        {"api", endpoint->api},
        {"slo_ttft_ms", slo.ttft_ms ? nlohmann::json(*slo.ttft_ms) : nlohmann::json(nullptr)},
        {"slo_itl_ms", slo.itl_ms ? nlohmann::json(*slo.itl_ms) : nlohmann::json(nullptr)}};
  return {{"database", database.string()},
          {"endpoint", endpoint_json},
          {"data_dir", data_dir.string()},
          {"use_samples", use_samples},
          {"models", models_json},
          {"precisions", precisions},
          {"kv_types", kv_types},
          {"placements", placements},
          {"tasks", tasks_json},
          {"shot_preset", shot_preset},
          {"seed", seed},
          {"fewshot_sampler", fewshot_sampler},
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

std::string canonical_placement(const std::string& text, const std::string& split) {
  engine::Placement placement = engine::Placement::parse(text);
  if (split.empty()) return placement.to_string();
  if (split != "layer" && split != "row" && split != "tensor") {
    throw Error(fmt::format("split '{}': expected layer, row or tensor", split), ErrorKind::kUsage);
  }
  if (placement.kind != engine::Placement::Kind::kGpus || placement.gpus.size() < 2) {
    throw Error(fmt::format("split {}: placement '{}' is not gpus:I,J,... of two or more GPUs (llama.cpp splits "
                            "a model over the GPUs of a gpus: placement)",
                            split, text),
                ErrorKind::kUsage);
  }
  const auto wanted = split == "row"      ? engine::Placement::Split::kRow
                      : split == "tensor" ? engine::Placement::Split::kTensor
                                          : engine::Placement::Split::kLayer;
  const bool own = text.find(':', text.find(':') + 1) != std::string::npos;  // gpus:LIST:SPLIT
  if (own && placement.split != wanted) {
    throw Error(fmt::format("split {}: placement '{}' names another split", split, text), ErrorKind::kUsage);
  }
  placement.split = wanted;
  return placement.to_string();
}

void validate_config(const SweepConfig& c, const SettingNames& names) {
  auto fail = [&](const std::string& field, const std::string& what) {
    throw Error(fmt::format("{}: {}", names.name(field), what), names.code);
  };
  auto in_range = [&](const std::string& field, double v, double lo, double hi) {
    if (!std::isfinite(v) || v < lo || v > hi)
      fail(field, fmt::format("{} is out of range ({})", v, range_text(lo, hi)));
  };
  // 0 = automatic, else at least `min`.
  auto zero_or_range = [&](const std::string& field, int64_t v, int64_t min, int64_t max) {
    if (v != 0 && (v < min || v > max))
      fail(field, fmt::format("{} is out of range (0 for automatic, or {} to {})", v, min, max));
  };
  // An axis that names a value twice would plan the same cell twice.
  auto once = [&](const std::string& field, const std::vector<std::string>& values,
                  const std::function<std::string(const std::string&)>& canonical) {
    std::map<std::string, std::string> seen;
    for (const auto& v : values) {
      const auto [it, added] = seen.emplace(canonical(v), v);
      if (!added)
        fail(field, it->second == v ? fmt::format("'{}' is listed twice", v)
                                    : fmt::format("'{}' and '{}' are the same", it->second, v));
    }
  };
  const auto same = [](const std::string& v) { return v; };
  once("precisions", c.precisions, [](const std::string& p) {
    const engine::Precision& resolved = engine::resolve_precision(p);
    return resolved.type_name;
  });
  once("kv_types", c.kv_types, same);
  once("placements", c.placements, [&](const std::string& p) {
    try {
      return canonical_placement(p, "");
    } catch (const Error& e) {
      fail("placements", e.what());
    }
    return p;
  });
  std::vector<std::string> model_paths;
  for (const auto& m : c.models)  // an endpoint's model has no file
    if (!c.endpoint) model_paths.push_back(std::filesystem::absolute(m.path).lexically_normal().string());
  once("models", model_paths, same);
  in_range("repetitions", c.repetitions, 1, 1000);
  in_range("idle_seconds", c.idle_seconds, 0, 3600);
  in_range("cooldown_seconds", c.cooldown_seconds, 0, 3600);
  in_range("min_window_seconds", c.min_window_seconds, 0, 3600);
  in_range("warmup_requests", c.warmup_requests, 0, 100000);
  in_range("threads", c.threads, 0, engine::kMaxThreads);
  in_range("limit", c.limit, 0, 100000000);
  if (c.seed < 0) fail("seed", fmt::format("{} is out of range (0 to {})", c.seed, INT64_MAX));
  // The engine's own ranges (engine/limits.h): values outside them would make llama.cpp abort.
  zero_or_range("context_size", c.context_size, engine::kMinContextSize, engine::kMaxContextSize);
  zero_or_range("batch_size", c.batch_size, engine::kMinBatchSize, engine::kMaxBatchSize);
  zero_or_range("ubatch_size", c.ubatch_size, engine::kMinUbatchSize, engine::kMaxUbatchSize);
  if (c.batch_size > 0 && c.ubatch_size > c.batch_size)
    fail("ubatch_size", fmt::format("{} is larger than the batch size {}", c.ubatch_size, c.batch_size));
  zero_or_range("max_sequences", c.max_sequences, engine::kMinSequences, engine::kMaxSequences);
  if (c.batch_size > 0 && c.max_sequences > c.batch_size)
    fail("max_sequences",
         fmt::format("{} parallel sequences need a batch of at least as many tokens; the batch size is {}",
                     c.max_sequences, c.batch_size));
  in_range("scoring_lanes", c.scoring_lanes, 0, engine::kMaxScoringLanes);
  if (c.flash_attention != "auto" && c.flash_attention != "on" && c.flash_attention != "off")
    fail("flash_attention", fmt::format("'{}': use auto, on or off", c.flash_attention));
  const auto& presets = tasks::shot_presets();
  if (std::find(presets.begin(), presets.end(), c.shot_preset) == presets.end())
    fail("shot_preset", fmt::format("'{}': use {}", c.shot_preset, fmt::join(presets, ", ")));
  const auto& samplers = tasks::fewshot_samplers();
  if (std::find(samplers.begin(), samplers.end(), c.fewshot_sampler) == samplers.end())
    fail("fewshot_sampler", fmt::format("'{}': use {}", c.fewshot_sampler, fmt::join(samplers, " or ")));
  for (const auto& [task, settings] : c.task_settings) {
    const std::string prefix = fmt::format("tasks.{}.", tasks::task_name(task));
    if (settings.limit) in_range(prefix + "limit", *settings.limit, 0, 100000000);
    if (settings.shots) in_range(prefix + "shots", *settings.shots, 0, 100);
  }
}

std::vector<int> parse_concurrency_levels(const std::string& text, const std::string& option) {
  std::vector<int> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    int v = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || v < 1 || v > endpoint::kMaxConcurrency)
      throw Error(fmt::format("{} '{}': '{}' is not a concurrency level (an integer 1..{})", option, text, item,
                              endpoint::kMaxConcurrency),
                  ErrorKind::kUsage);
    if (std::find(out.begin(), out.end(), v) != out.end())
      throw Error(fmt::format("{} '{}': {} is listed twice", option, text, v), ErrorKind::kUsage);
    out.push_back(v);
    start = end + 1;
  }
  return out;
}

std::vector<double> parse_arrival_rates(const std::string& text, const std::string& option) {
  std::vector<double> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    double v = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    // !(v > 0) also refuses NaN.
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || !(v > 0) ||
        v > endpoint::kMaxArrivalRate)
      throw Error(
          fmt::format("{} '{}': '{}' is not an arrival rate (requests per second, more than 0 and at most {:g})",
                      option, text, item, endpoint::kMaxArrivalRate),
          ErrorKind::kUsage);
    if (std::find(out.begin(), out.end(), v) != out.end())
      throw Error(fmt::format("{} '{}': {:g} is listed twice", option, text, v), ErrorKind::kUsage);
    out.push_back(v);
    start = end + 1;
  }
  return out;
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
      throw Error(fmt::format("model '{}': missing synth preset after 'synth:'", text), ErrorKind::kUsage);
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
        ErrorKind::kBadInput);
  }
  TomlFile f(file);
  const std::filesystem::path base = file.parent_path();
  auto resolve = [&](const std::string& p) -> std::filesystem::path {
    std::filesystem::path path(p);
    return path.is_absolute() || base.empty() ? path : base / path;
  };

  for (const auto& [key, node] : root) {
    f.remember(std::string(key.str()), node);
    if (key.str() != "sweep" && key.str() != "tasks" && key.str() != "endpoint")
      f.bad(std::string(key.str()), "unknown table (expected [sweep], [tasks.NAME] and [endpoint])");
  }
  const toml::table* sweep = root["sweep"].as_table();
  if (sweep == nullptr) f.bad("sweep", "missing [sweep] table");
  const std::string p = "sweep.";
  f.check_keys(*sweep, {"database",        "data_dir",      "samples",          "model_cache",
                        "models",          "precisions",    "kv_types",         "placements",
                        "tasks",           "limit",         "shot_preset",      "seed",
                        "repetitions",     "idle_seconds",  "cooldown_seconds", "min_window_seconds",
                        "warmup_requests", "timeline",      "threads",          "context_size",
                        "max_sequences",   "scoring_lanes", "batch_size",       "ubatch_size",
                        "flash_attention", "split",         "fewshot_sampler"},
               p);
  SweepConfig config;
  if (auto v = f.get<std::string>(*sweep, "database", p)) config.database = resolve(*v);
  if (auto v = f.get<std::string>(*sweep, "data_dir", p)) config.data_dir = resolve(*v);
  if (auto v = f.get<bool>(*sweep, "samples", p)) config.use_samples = *v;
  if (auto v = f.get<std::string>(*sweep, "model_cache", p)) config.model_cache = resolve(*v);
  if (config.data_dir.empty() && !config.use_samples) f.bad(p + "data_dir", "set data_dir or samples = true");

  // [endpoint]: the tasks go to a served model (docs/endpoint.md); the model axes are the server's.
  if (const toml::node* ep_node = root.get("endpoint")) {
    const toml::table* ep = ep_node->as_table();
    if (ep == nullptr) f.bad("endpoint", "expected a table [endpoint]");
    const std::string e = "endpoint.";
    f.check_keys(
        *ep,
        {"url", "served_model", "concurrency", "arrival_rate", "request_timeout", "slo_ttft_ms", "slo_itl_ms", "api"},
        e);
    endpoint::EndpointOptions options;
    const auto url = f.get<std::string>(*ep, "url", e);
    if (!url) f.bad(e + "url", "missing: e.g. url = \"http://127.0.0.1:8080\"");
    options.url = *url;
    const auto served = f.get<std::string>(*ep, "served_model", e);
    if (!served || served->empty()) f.bad(e + "served_model", "missing: the name of the model the server serves");
    options.served_model = *served;
    std::vector<int> levels;
    if (const toml::node* node = ep->get("concurrency")) {
      // One level (concurrency = 8) or several (concurrency = [1, 8, 32]): one cell per level.
      std::string list;
      if (const toml::array* a = node->as_array()) {
        for (const auto& v : *a) {
          if (!v.is_integer()) f.bad(e + "concurrency", "expected integers, e.g. [1, 8, 32]");
          if (!list.empty()) list += ',';  // (not "a" + b: GCC 12 warns -Wrestrict on it, a false positive)
          list += std::to_string(v.as_integer()->get());
        }
      } else if (node->is_integer()) {
        list = std::to_string(node->as_integer()->get());
      } else {
        f.bad(e + "concurrency", "expected an integer or a list of integers");
      }
      try {
        levels = parse_concurrency_levels(list, "concurrency");
      } catch (const Error& err) {
        f.bad(e + "concurrency", err.what());
      }
      options.concurrency = levels.front();
    }
    std::vector<double> rates;
    if (const toml::node* node = ep->get("arrival_rate")) {
      // Poisson arrivals (docs/endpoint.md "Load levels"): one rate (arrival_rate = 4.0) or several
      // ([1.0, 4.0]), one cell per rate; the concurrency is then the cap (1024 when not given).
      std::vector<double> given;
      auto add = [&](const toml::node& v) {
        if (v.is_floating_point())
          given.push_back(v.as_floating_point()->get());
        else if (v.is_integer())
          given.push_back(static_cast<double>(v.as_integer()->get()));
        else
          f.bad(e + "arrival_rate", "expected a number of requests per second or a list of them, e.g. [1.0, 4.0]");
      };
      if (const toml::array* a = node->as_array()) {
        for (const auto& v : *a) add(v);
        if (given.empty()) f.bad(e + "arrival_rate", "an empty list (leave arrival_rate out for a closed loop)");
      } else {
        add(*node);
      }
      std::string list;
      for (double v : given) {
        if (!list.empty()) list += ',';
        list += fmt::format("{}", v);
      }
      try {
        rates = parse_arrival_rates(list, "arrival_rate");
      } catch (const Error& err) {
        f.bad(e + "arrival_rate", err.what());
      }
      if (!ep->contains("concurrency")) options.concurrency = endpoint::kMaxConcurrency;
    }
    if (auto v = f.get<double>(*ep, "request_timeout", e)) options.request_timeout_seconds = *v;
    if (auto v = f.get<std::string>(*ep, "api", e)) {
      if (*v != endpoint::kCompletionsApi && *v != endpoint::kChatApi)
        f.bad(e + "api", fmt::format("'{}': use \"{}\" or \"{}\"", *v, endpoint::kCompletionsApi, endpoint::kChatApi));
      options.api = *v;
    }
    // Goodput objectives (docs/endpoint.md "Latency under load"), as --slo-ttft / --slo-itl.
    for (const char* key : {"slo_ttft_ms", "slo_itl_ms"}) {
      const auto v = f.get<double>(*ep, key, e);
      (std::string(key) == "slo_ttft_ms" ? config.slo.ttft_ms : config.slo.itl_ms) = v;
      try {
        endpoint::check_slo(std::string(key) == "slo_ttft_ms" ? endpoint::Slo{v, std::nullopt}
                                                              : endpoint::Slo{std::nullopt, v});
      } catch (const Error& err) {
        f.bad(e + key, err.what());
      }
    }
    try {
      endpoint::Client check(options);
    } catch (const Error& err) {
      const std::string what = err.what();
      f.bad(e + (what.rfind("--concurrency", 0) == 0       ? "concurrency"
                 : what.rfind("--request-timeout", 0) == 0 ? "request_timeout"
                                                           : "url"),
            what);
    }
    for (const char* axis : {"models", "precisions", "kv_types", "placements"})
      if (sweep->contains(axis)) f.bad(p + axis, "not with [endpoint] (the server decides how its model runs)");
    config.endpoint = options;
    config.concurrency_levels = levels;
    config.arrival_rates = rates;
    ModelSpec spec;
    spec.label = options.served_model;
    config.models = {spec};
    config.precisions.clear();
    config.kv_types.clear();
    config.placements.clear();
  }

  const std::filesystem::path synth_dir =
      config.model_cache.empty() ? config.database.parent_path() / "models" : config.model_cache;
  for (const auto& m : f.string_list(*sweep, "models", p, {})) {
    ModelSpec spec;
    try {
      spec = parse_model_spec(m, synth_dir);
    } catch (const Error& e) {
      f.bad(p + "models", e.what());
    }
    if (spec.synth_preset.empty()) spec.path = resolve(m);
    config.models.push_back(spec);
  }
  if (config.models.empty()) f.bad(p + "models", "missing: list GGUF files or synth:PRESET entries (or an [endpoint])");

  config.precisions = f.string_list(*sweep, "precisions", p, config.precisions);
  for (const auto& prec : config.precisions) {
    try {
      engine::resolve_precision(prec);
    } catch (const Error& e) {
      f.bad(p + "precisions", e.what());
    }
  }
  config.kv_types = f.string_list(*sweep, "kv_types", p, config.kv_types);
  for (const auto& kv : config.kv_types) {
    if (kv != "f16" && kv != "q8_0" && kv != "q4_0")
      f.bad(p + "kv_types", fmt::format("'{}': use f16, q8_0 or q4_0", kv));
  }
  config.placements = f.string_list(*sweep, "placements", p, config.placements);
  const std::optional<std::string> split = f.get<std::string>(*sweep, "split", p);
  if (split && *split != "layer" && *split != "row" && *split != "tensor")
    f.bad(p + "split", fmt::format("'{}': use layer, row or tensor", *split));
  bool split_used = false;
  std::map<std::string, std::string> canonical;  // canonical text -> as written
  for (auto& pl : config.placements) {
    std::string text;
    try {
      const engine::Placement parsed = engine::Placement::parse(pl);
      const bool splits = parsed.kind == engine::Placement::Kind::kGpus && parsed.gpus.size() >= 2;
      split_used = split_used || splits;
      text = canonical_placement(pl, split && splits ? *split : "");
    } catch (const Error& e) {
      f.bad(p + "placements", e.what());
    }
    const auto [it, added] = canonical.emplace(text, pl);
    if (!added && it->second != pl)
      f.bad(p + "placements", fmt::format("'{}' and '{}' are the same placement ({})", it->second, pl, text));
    pl = text;
  }
  if (split && !split_used)
    f.bad(p + "split", "applies to placements gpus:I,J,... of two or more GPUs, and placements lists none");
  std::string task_list;
  for (const auto& t : f.string_list(*sweep, "tasks", p, {})) task_list += (task_list.empty() ? "" : ",") + t;
  if (task_list.empty()) f.bad(p + "tasks", "missing: e.g. tasks = [\"mmlu\", \"gsm8k\"]");
  try {
    config.tasks = tasks::parse_task_list(task_list);
  } catch (const Error& e) {
    f.bad(p + "tasks", e.what());
  }

  if (auto v = f.get_int(*sweep, "limit", p)) config.limit = *v;
  if (auto v = f.get<std::string>(*sweep, "shot_preset", p)) config.shot_preset = *v;
  if (auto v = f.get<int64_t>(*sweep, "seed", p)) config.seed = *v;
  if (auto v = f.get<std::string>(*sweep, "fewshot_sampler", p)) config.fewshot_sampler = *v;
  if (auto v = f.get_int(*sweep, "repetitions", p)) config.repetitions = *v;
  if (auto v = f.get<double>(*sweep, "idle_seconds", p)) config.idle_seconds = *v;
  if (auto v = f.get<double>(*sweep, "cooldown_seconds", p)) config.cooldown_seconds = *v;
  if (auto v = f.get<double>(*sweep, "min_window_seconds", p)) config.min_window_seconds = *v;
  if (auto v = f.get_int(*sweep, "warmup_requests", p)) config.warmup_requests = *v;
  if (auto v = f.get<bool>(*sweep, "timeline", p)) config.timeline = *v;
  if (auto v = f.get_int(*sweep, "threads", p)) config.threads = *v;
  if (auto v = f.get_int(*sweep, "context_size", p)) config.context_size = *v;
  if (auto v = f.get_int(*sweep, "max_sequences", p)) config.max_sequences = *v;
  if (auto v = f.get_int(*sweep, "scoring_lanes", p)) config.scoring_lanes = *v;
  if (auto v = f.get_int(*sweep, "batch_size", p)) config.batch_size = *v;
  if (auto v = f.get_int(*sweep, "ubatch_size", p)) config.ubatch_size = *v;
  if (auto v = f.get<std::string>(*sweep, "flash_attention", p)) config.flash_attention = *v;

  // Per-task overrides: [tasks.mmlu] limit = 500, shots = 5
  if (const toml::node* per_task_node = root.get("tasks")) {
    const toml::table* per_task = per_task_node->as_table();
    if (per_task == nullptr) f.bad("tasks", "expected tables [tasks.NAME]");
    for (const auto& [name, node] : *per_task) {
      const std::string field = fmt::format("tasks.{}", name.str());
      f.remember(field, node);
      tasks::TaskId id;
      try {
        id = tasks::parse_task_name(name.str());
      } catch (const Error& e) {
        f.bad(field, e.what());
      }
      const toml::table* t = node.as_table();
      if (t == nullptr) f.bad(field, "expected a table");
      f.check_keys(*t, {"limit", "shots"}, field + ".");
      TaskSettings settings;
      if (auto v = f.get_int(*t, "limit", field + ".")) settings.limit = *v;
      if (auto v = f.get_int(*t, "shots", field + ".")) settings.shots = *v;
      config.task_settings[id] = settings;
    }
  }
  const std::string prefix_sweep = "sweep.";
  validate_config(config, {[&](const std::string& field) {
                             return f.name(field.rfind("tasks.", 0) == 0 ? field : prefix_sweep + field);
                           },
                           ErrorKind::kBadInput});
  return config;
}

}  // namespace jouleval::sweep
