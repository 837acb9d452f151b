#include "report/one_hz_table.h"

#include <algorithm>

#include <fmt/format.h>

#include "report/identify.h"

namespace jouleval::report {
namespace {

constexpr const char* kMethod =
    "nvidia-smi --query-gpu=power.draw -lms 1000 simulated on the stored ~50 ms power timeline: polls at the window "
    "start and every second after it, each reading the most recent stored sample at or before the poll (the first "
    "sample when none is earlier), each reading x 1 s, the last reading x the rest of the window";
constexpr const char* kUnavailable = "no GPU power timeline with a GPU energy reading in every repetition";

// The configuration of each row: model, precision and the other identity fields that tell the rows
// apart, except the machine and task (columns of their own).
std::vector<std::string> config_keys(const Summary& s) {
  std::vector<std::vector<results::IdentityField>> ids;
  for (const auto& r : s.rows) ids.push_back(r.identity);
  return distinguishing_fields(ids, {"model", "precision"}, {"machine", "task"});
}

bool all_counter(const Summary& s) {
  return std::all_of(s.rows.begin(), s.rows.end(),
                     [](const SummaryRow& r) { return !r.metrics.one_hz || r.metrics.one_hz->reference == "counter"; });
}

Value error_value(const std::optional<results::Stat>& error) { return error ? Value{error->mean} : Value{}; }

}  // namespace

Table one_hz_table(const Summary& summary) {
  Table t;
  t.columns = {{"cell_id", "Cell"},
               {"machine", "Machine"},
               {"config", "Configuration"},
               {"task", "Task"},
               {"reps", "Reps"},
               {"window_s", "Window (s)"},
               {"reference", "Reference"},
               {"reference_j", all_counter(summary) ? "Counter (J)" : "Counter or integrated (J)"},
               {"gpu_j_1hz", "1 Hz (J)"},
               {"error_pct", "Error (%)"},
               {"polls", "Polls"}};
  const auto keys = config_keys(summary);
  for (const auto& r : summary.rows) {
    if (!r.metrics.one_hz) continue;
    const OneHzSummary& o = *r.metrics.one_hz;
    t.rows.push_back({Value{r.cell_id}, Value{r.machine_label}, Value{row_label(r.identity, keys)}, Value{r.key.task},
                      Value{static_cast<int64_t>(o.gpu_j_1hz.n)}, Value{o.window_seconds.mean}, Value{o.reference},
                      Value{o.reference_j.mean}, Value{o.gpu_j_1hz.mean}, error_value(o.error_pct),
                      count_value(o.polls)});
    t.row_estimated.push_back(false);
  }
  t.default_columns.clear();
  for (const auto& c : t.columns) t.default_columns.push_back(c.key);
  return t;
}

std::string one_hz_caption(const Summary& summary) {
  const auto with = std::count_if(summary.rows.begin(), summary.rows.end(),
                                  [](const SummaryRow& r) { return r.metrics.one_hz.has_value(); });
  const auto without = static_cast<long>(summary.rows.size()) - with;
  std::string caption = fmt::format(
      "The GPU energy method of the study jouleval improves on (nvidia-smi power.draw read once per second, each "
      "reading counted for 1 s), simulated on jouleval's own stored power timeline (~50 ms samples) over the same "
      "measurement windows; it is not a separate nvidia-smi process. The first poll is at the window start, each "
      "poll reads the most recent stored sample at or before it (the first sample when none is earlier), and the "
      "last reading counts only for the rest of the window. Reference: the GPU energy counter's delta (the "
      "integrated ~50 ms power only where a window has no counter reading). Error = (1 Hz − reference) / "
      "reference; negative means the 1 Hz method under-counts. Means over repetitions; polls per repetition. The "
      "stored samples are what jouleval sampled (NVML instantaneous power where the GPU offers it), so this shows "
      "the error of sampling at 1 Hz, not nvidia-smi's own power averaging.");
  if (without > 0)
    caption += fmt::format(" {} of {} cells are not shown: {}.", without, summary.rows.size(), kUnavailable);
  return caption;
}

nlohmann::json one_hz_json(const Summary& summary) {
  nlohmann::json cells = nlohmann::json::array();
  const auto keys = config_keys(summary);
  for (const auto& r : summary.rows) {
    nlohmann::json c = {{"cell_id", r.cell_id},
                        {"machine", r.machine_label},
                        {"config", row_label(r.identity, keys)},
                        {"task", r.key.task},
                        {"available", r.metrics.one_hz.has_value()}};
    if (!r.metrics.one_hz) {
      c["unavailable"] = kUnavailable;
    } else {
      const OneHzSummary& o = *r.metrics.one_hz;
      c["repetitions"] = o.gpu_j_1hz.n;
      c["window_s"] = o.window_seconds.mean;
      c["reference"] = o.reference;
      c["reference_j"] = o.reference_j.mean;
      c["gpu_j_1hz"] = o.gpu_j_1hz.mean;
      c["error_pct"] = o.error_pct ? nlohmann::json(o.error_pct->mean) : nlohmann::json(nullptr);
      c["error_pct_sd"] = o.error_pct && o.error_pct->stddev ? nlohmann::json(*o.error_pct->stddev) : nullptr;
      c["polls"] = o.polls;
      c["polls_before_first_sample"] = o.polls_before_first_sample;
    }
    cells.push_back(std::move(c));
  }
  return {{"method", kMethod}, {"period_s", kOneHzPeriodSeconds}, {"cells", std::move(cells)}};
}

}  // namespace jouleval::report
