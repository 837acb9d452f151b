#include "report/identify.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace jouleval::report {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool labels_unique(const std::vector<std::vector<results::IdentityField>>& rows, const std::vector<std::string>& keys) {
  std::set<std::string> seen;
  for (const auto& r : rows)
    if (!seen.insert(row_label(r, keys)).second) return false;
  return true;
}

}  // namespace

std::string machine_base_label(const results::Machine& m) {
  const std::string& device = m.gpu_name.empty() ? m.cpu_model : m.gpu_name;
  if (m.hostname.empty()) return device.empty() ? m.id : device;
  return device.empty() ? m.hostname : fmt::format("{} / {}", m.hostname, device);
}

const std::vector<std::string>& workload_keys() {
  static const std::vector<std::string> kKeys = {"task", "limit", "shots", "preset", "seed", "sampler"};
  return kKeys;
}

bool is_hash_key(const std::string& key) { return key == "model_sha256" || key == "file_sha256"; }

std::map<std::string, std::string> machine_labels(const std::vector<results::Machine>& machines,
                                                  const std::vector<std::string>& extra_ids) {
  std::map<std::string, std::string> base;
  for (const auto& m : machines) base.emplace(m.id, machine_base_label(m));
  for (const auto& id : extra_ids) base.emplace(id, id);
  std::map<std::string, std::vector<std::string>> by_label;  // base label -> machine ids
  for (const auto& [id, label] : base) by_label[label].push_back(id);
  std::map<std::string, std::string> out;
  for (const auto& [label, ids] : by_label) {
    if (ids.size() == 1) {
      out[ids.front()] = label;
      continue;
    }
    // The shortest prefix (8 characters or more) that tells these ids apart.
    size_t n = 8;
    for (;; ++n) {
      std::set<std::string> prefixes;
      for (const auto& id : ids) prefixes.insert(id.substr(0, n));
      const bool whole = std::all_of(ids.begin(), ids.end(), [&](const std::string& id) { return id.size() <= n; });
      if (prefixes.size() == ids.size() || whole) break;
    }
    for (const auto& id : ids) out[id] = label == id ? id : fmt::format("{} [{}]", label, id.substr(0, n));
  }
  return out;
}

std::vector<std::string> distinguishing_fields(const std::vector<std::vector<results::IdentityField>>& rows,
                                               const std::vector<std::string>& always,
                                               const std::vector<std::string>& leave_out) {
  const std::vector<std::string> varying = results::varying_fields(rows);
  std::vector<std::string> wanted = always;
  for (const auto& k : varying)
    if (!is_hash_key(k) && !contains(leave_out, k)) wanted.push_back(k);
  for (const char* hash : {"model_sha256", "file_sha256"}) {
    if (labels_unique(rows, wanted)) break;
    if (contains(varying, hash) && !contains(leave_out, hash)) wanted.push_back(hash);
  }
  // In field order.
  std::vector<std::string> out;
  for (const auto& f : results::identity_fields("", results::CellKey{}))
    if (contains(wanted, f.key)) out.push_back(f.key);
  return out;
}

std::string row_label(const std::vector<results::IdentityField>& fields, const std::vector<std::string>& keys) {
  std::vector<results::IdentityField> shown = fields;
  for (auto& f : shown)
    if (is_hash_key(f.key) && f.value.size() > 12 && f.value != "not recorded") f.value = f.value.substr(0, 12);
  return results::identity_label(shown, keys);
}

std::string field_value(const std::vector<results::IdentityField>& fields, const std::string& key) {
  for (const auto& f : fields)
    if (f.key == key) return f.value;
  return "";
}

namespace {

// Distinct values in repetition order, each with the indices of the repetitions that have it.
std::vector<std::pair<std::string, std::vector<int32_t>>> distinct(const std::vector<results::Repetition>& reps,
                                                                   std::string results::Repetition::*field) {
  std::vector<std::pair<std::string, std::vector<int32_t>>> out;
  for (const auto& r : reps) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == r.*field; });
    if (it == out.end()) {
      out.push_back({r.*field, {}});
      it = out.end() - 1;
    }
    it->second.push_back(r.index);
  }
  return out;
}

std::string joined(const std::vector<std::pair<std::string, std::vector<int32_t>>>& values) {
  std::string out;
  for (const auto& [v, reps] : values)
    if (!v.empty()) out += (out.empty() ? "" : "; ") + v;
  return out;
}

std::string mixed_part(const char* name, const std::vector<std::pair<std::string, std::vector<int32_t>>>& values) {
  std::string out = name;
  for (size_t i = 0; i < values.size(); ++i) {
    const auto& [v, reps] = values[i];
    std::string list;
    for (int32_t r : reps) list += (list.empty() ? "" : ", ") + std::to_string(r);
    out += fmt::format("{} {} ({} {})", i ? "," : "", v.empty() ? "not recorded" : v, reps.size() > 1 ? "reps" : "rep",
                       list);
  }
  return out;
}

}  // namespace

CellVersions cell_versions(const std::vector<results::Repetition>& repetitions) {
  CellVersions v;
  const auto jouleval = distinct(repetitions, &results::Repetition::jouleval_version);
  const auto llama = distinct(repetitions, &results::Repetition::llama_revision);
  v.jouleval = joined(jouleval);
  v.llama = joined(llama);
  std::vector<std::string> parts;
  if (jouleval.size() > 1) parts.push_back(mixed_part("jouleval", jouleval));
  if (llama.size() > 1) parts.push_back(mixed_part("llama.cpp", llama));
  for (const auto& p : parts) v.mixed += (v.mixed.empty() ? "mixed versions: " : "; ") + p;
  return v;
}

}  // namespace jouleval::report
