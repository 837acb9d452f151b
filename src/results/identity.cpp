#include "results/identity.h"

#include <fmt/format.h>

#include <algorithm>

namespace jouleval::results {
namespace {

constexpr const char* kNotRecordedText = "not recorded";

std::string int_text(int64_t v) { return v == kNotRecorded ? kNotRecordedText : std::to_string(v); }
std::string text(const std::string& v) { return v.empty() ? kNotRecordedText : v; }
// Poisson arrivals per second; 0 (a closed loop, every cell measured in-process) is shown as such.
std::string rate_text(double v) { return v == 0 ? "closed loop" : fmt::format("{:g}/s", v); }

bool bare(const std::string& key) {
  return key == "model" || key == "precision" || key == "task" || key == "placement" || key == "machine";
}

bool excepted(const std::string& key, Axis axis) {
  switch (axis) {
    case Axis::kMachine:
      return key == "machine";
    case Axis::kModel:
      return key == "model" || key == "model_sha256" || key == "file_sha256";
    case Axis::kPrecision:
      return key == "precision" || key == "file_sha256";
    case Axis::kKvType:
      return key == "kv";
    case Axis::kPlacement:
      return key == "placement";
    case Axis::kTask:
      return key == "task";
    case Axis::kLimit:
      return key == "limit";
    case Axis::kShots:
      return key == "shots";
  }
  return false;
}

}  // namespace

std::vector<IdentityField> identity_fields(const std::string& machine, const CellKey& key) {
  const EngineSettings& e = key.engine;
  return {{"machine", machine},
          {"model", key.model},
          {"model_sha256", text(key.model_sha256)},
          {"file_sha256", text(key.file_sha256)},
          {"precision", key.precision},
          {"kv", key.kv_type},
          {"placement", key.placement},
          {"task", key.task},
          {"limit", std::to_string(key.limit)},
          {"shots", std::to_string(key.shots)},
          {"preset", text(key.preset)},
          {"seed", int_text(key.seed)},
          {"sampler", text(key.fewshot_sampler)},
          {"ctx", int_text(e.context_size)},
          {"batch", int_text(e.batch_size)},
          {"ubatch", int_text(e.ubatch_size)},
          {"lanes", int_text(e.scoring_lanes)},
          {"parallel", int_text(e.max_sequences)},
          {"flash_attn", text(e.flash_attention)},
          {"threads", int_text(e.threads)},
          {"arrival_rate", rate_text(e.arrival_rate)},
          {"api", e.endpoint_api}};  // "" for in-process cells (never "not recorded")
}

std::string identity_except(const std::string& machine, const CellKey& key, Axis axis) {
  std::string out;
  for (const auto& f : identity_fields(machine, key)) {
    if (excepted(f.key, axis)) continue;
    out += f.key;
    out += '=';
    out += f.value;
    out += '\x1f';  // unit separator: no field value contains it
  }
  return out;
}

std::vector<std::string> varying_fields(const std::vector<std::vector<IdentityField>>& cells) {
  std::vector<std::string> out;
  if (cells.empty()) return out;
  for (size_t i = 0; i < cells.front().size(); ++i) {
    const std::string& first = cells.front()[i].value;
    if (std::any_of(cells.begin(), cells.end(), [&](const auto& c) { return c[i].value != first; }))
      out.push_back(cells.front()[i].key);
  }
  return out;
}

std::string identity_label(const std::vector<IdentityField>& fields, const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& f : fields) {
    if (std::find(keys.begin(), keys.end(), f.key) == keys.end()) continue;
    // Left out: an arrival_rate of 0 (a closed loop) and an empty value (an in-process cell's api).
    if (f.key == "arrival_rate" && f.value == rate_text(0)) continue;
    if (f.value.empty()) continue;
    if (!out.empty()) out += " · ";
    out += bare(f.key) ? f.value : f.key + "=" + f.value;
  }
  return out;
}

nlohmann::ordered_json identity_json(const std::string& machine, const CellKey& key) {
  const EngineSettings& e = key.engine;
  auto number = [](int64_t v) { return v == kNotRecorded ? nlohmann::ordered_json() : nlohmann::ordered_json(v); };
  auto string = [](const std::string& v) { return v.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(v); };
  nlohmann::ordered_json j;
  j["machine"] = machine;
  j["model"] = key.model;
  j["model_sha256"] = string(key.model_sha256);
  j["file_sha256"] = string(key.file_sha256);
  j["precision"] = key.precision;
  j["kv"] = key.kv_type;
  j["placement"] = key.placement;
  j["task"] = key.task;
  j["limit"] = key.limit;
  j["shots"] = key.shots;
  j["preset"] = string(key.preset);
  j["seed"] = number(key.seed);
  j["sampler"] = string(key.fewshot_sampler);
  j["ctx"] = number(e.context_size);
  j["batch"] = number(e.batch_size);
  j["ubatch"] = number(e.ubatch_size);
  j["lanes"] = number(e.scoring_lanes);
  j["parallel"] = number(e.max_sequences);
  j["flash_attn"] = string(e.flash_attention);
  j["threads"] = number(e.threads);
  j["arrival_rate"] = e.arrival_rate;
  j["api"] = string(e.endpoint_api);
  return j;
}

nlohmann::ordered_json item_json(const std::string& machine, const CellKey& key, const ItemRecord& item) {
  nlohmann::ordered_json j;
  j["cell"] = identity_json(machine, key);
  j["item_id"] = item.item_id;
  j["correct"] = item.correct;
  nlohmann::ordered_json record = nlohmann::ordered_json::parse(item.json, nullptr, false);
  j["record"] = record.is_discarded() ? nlohmann::ordered_json(item.json) : record;
  return j;
}

}  // namespace jouleval::results
