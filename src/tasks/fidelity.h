// Fidelity of a run against the same items scored at a reference precision: answer flips and the
// mean KL divergence of the choice distributions (softmax of per-choice log-likelihoods).
#pragma once

#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

namespace jouleval::tasks {

struct Fidelity {
  double answer_flips = 0.0;      // share of compared items whose "chosen" answer differs
  std::optional<double> mean_kl;  // mean KL(reference || candidate); absent without log-likelihoods (GSM8K)
  int n_compared = 0;             // items present in both lists (matched by "id")
};

// Compares per-item records (Task::score item_records) matched by "id"; items only in one list are
// ignored. "chosen" is compared for flips (GSM8K: the normalised flexible-extract answer). KL is the
// mean over compared items that have "loglikelihoods" of equal length on both sides. Throws
// util::Error(kBadInput) for a record without "id" or "chosen" or with duplicate ids.
Fidelity fidelity(const std::vector<nlohmann::json>& reference_items, const std::vector<nlohmann::json>& items);

}  // namespace jouleval::tasks
