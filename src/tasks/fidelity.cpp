#include "tasks/fidelity.h"

#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "tasks/metrics.h"
#include "util/error.h"

namespace jouleval::tasks {
namespace {

std::string id_of(const nlohmann::json& rec, const char* side) {
  if (!rec.is_object() || !rec.contains("id") || !rec.contains("chosen")) {
    throw util::Error(fmt::format("fidelity: {} item record without \"id\" or \"chosen\"", side),
                      util::ErrorKind::kBadInput);
  }
  const nlohmann::json& id = rec["id"];
  return id.is_string() ? id.get<std::string>() : id.dump();
}

std::vector<double> loglikelihoods(const nlohmann::json& rec) {
  std::vector<double> out;
  auto it = rec.find("loglikelihoods");
  if (it == rec.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (!v.is_number()) return {};
    out.push_back(v.get<double>());
  }
  return out;
}

}  // namespace

Fidelity fidelity(const std::vector<nlohmann::json>& reference_items, const std::vector<nlohmann::json>& items) {
  std::unordered_map<std::string, const nlohmann::json*> reference;
  for (const auto& rec : reference_items) {
    if (!reference.emplace(id_of(rec, "reference"), &rec).second) {
      throw util::Error(fmt::format("fidelity: duplicate reference item id {}", id_of(rec, "reference")),
                        util::ErrorKind::kBadInput);
    }
  }
  Fidelity out;
  int flips = 0, n_kl = 0;
  double kl_sum = 0;
  std::unordered_map<std::string, int> seen;
  for (const auto& rec : items) {
    std::string id = id_of(rec, "candidate");
    if (seen[id]++ > 0) {
      throw util::Error(fmt::format("fidelity: duplicate item id {}", id), util::ErrorKind::kBadInput);
    }
    auto it = reference.find(id);
    if (it == reference.end()) continue;
    const nlohmann::json& ref = *it->second;
    ++out.n_compared;
    if (ref["chosen"] != rec["chosen"]) ++flips;
    std::vector<double> p = loglikelihoods(ref), q = loglikelihoods(rec);
    if (!p.empty() && p.size() == q.size()) {
      kl_sum += kl_divergence(p, q);
      ++n_kl;
    }
  }
  if (out.n_compared > 0) out.answer_flips = static_cast<double>(flips) / out.n_compared;
  if (n_kl > 0) out.mean_kl = kl_sum / n_kl;
  return out;
}

}  // namespace jouleval::tasks
