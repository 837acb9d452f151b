#include "results/records.h"

#include <fmt/format.h>

#include "util/error.h"

namespace jouleval::results {

const char* to_string(CellStatus status) {
  switch (status) {
    case CellStatus::kPending:
      return "pending";
    case CellStatus::kDone:
      return "done";
    case CellStatus::kSkipped:
      return "skipped";
    case CellStatus::kFailed:
      return "failed";
  }
  return "pending";
}

CellStatus parse_cell_status(const std::string& text) {
  if (text == "done") return CellStatus::kDone;
  if (text == "skipped") return CellStatus::kSkipped;
  if (text == "failed") return CellStatus::kFailed;
  if (text == "pending") return CellStatus::kPending;
  throw util::Error(fmt::format("unknown cell status '{}' in results database", text), util::ErrorKind::kBadInput);
}

std::string describe(const CellKey& key) {
  const std::string sha = key.model_sha256.empty() ? "" : fmt::format("@{}", key.model_sha256.substr(0, 12));
  std::string out = fmt::format("{}{}/{}/kv={}/{}/{}/limit={}/shots={}", key.model, sha, key.precision, key.kv_type,
                                key.placement, key.task, key.limit, key.shots);
  const CellKey defaults;
  const EngineSettings& e = key.engine;
  if (key.seed != defaults.seed) out += fmt::format("/seed={}", key.seed);
  if (key.preset != defaults.preset) out += fmt::format("/preset={}", key.preset);
  if (key.fewshot_sampler != defaults.fewshot_sampler) out += fmt::format("/sampler={}", key.fewshot_sampler);
  if (e.threads != 0) out += fmt::format("/threads={}", e.threads);
  if (e.context_size != 0) out += fmt::format("/ctx={}", e.context_size);
  if (e.batch_size != 0) out += fmt::format("/batch={}", e.batch_size);
  if (e.ubatch_size != 0) out += fmt::format("/ubatch={}", e.ubatch_size);
  if (e.scoring_lanes != 0) out += fmt::format("/lanes={}", e.scoring_lanes);
  if (e.max_sequences != 0) out += fmt::format("/parallel={}", e.max_sequences);
  if (e.flash_attention != "auto") out += fmt::format("/fa={}", e.flash_attention);
  if (e.arrival_rate != 0) out += fmt::format("/arrival_rate={:g}", e.arrival_rate);
  if (!e.endpoint_api.empty()) out += fmt::format("/api={}", e.endpoint_api);
  return out;
}

}  // namespace jouleval::results
