// The HTML report's section on served deployments (docs/report.md "Served deployments"): the
// endpoint cells' latency under load per task and concurrency level with their energy per request
// and per output token, a chart of J per output token and p99 end-to-end latency against
// concurrency, and the served model beside the same model measured in-process. Pure functions of
// the summary and the cells; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/charts.h"
#include "report/summary.h"
#include "report/table.h"
#include "results/records.h"

namespace jouleval::report {

// Whether a cell was measured through an endpoint (placement "endpoint:HOST:PORT").
bool is_endpoint_cell(const results::CellKey& key);

// One finished endpoint cell: means over its repetitions that recorded latency (docs/endpoint.md
// "Latency under load"); a quantity is absent unless every such repetition has it.
struct ServedLoadRow {
  int64_t cell_id = 0;
  std::string task;
  std::string series;       // the cell's identity fields that tell the endpoint cells of the page apart,
                            // task and concurrency left out ("" when they are all alike)
  int64_t concurrency = 0;  // requests in flight (the cell's parallel)
  int repetitions = 0;      // repetitions with latency
  std::optional<double> requests_per_s, output_tokens_per_s, goodput_requests_per_s;
  std::optional<double> ttft_p50_ms, ttft_p99_ms, itl_p50_ms, itl_p99_ms, e2e_p50_ms, e2e_p99_ms;
  // The window's energy (every pass) ÷ its requests, ÷ its generated tokens. The energy is
  // idle-subtracted when every repetition has an idle baseline, else the meters' totals.
  std::optional<double> j_per_request, j_per_output_token;
  std::string energy_basis;  // "idle-subtracted", "total (no idle baseline)" or "unavailable (no meter reading)"
};

// The rows of the finished endpoint cells that recorded latency, by task (first appearance), then
// series, then concurrency.
std::vector<ServedLoadRow> served_load_rows(const Summary& summary, const std::vector<results::Cell>& cells);

// The table of one task's rows: series (when any), concurrency, requests/s, output tokens/s,
// goodput, TTFT / ITL / E2E p50 and p99 (ms), J per request, J per output token, energy basis.
Table served_load_table(const std::vector<ServedLoadRow>& rows, const std::string& task);

// J per output token and p99 end-to-end latency against concurrency (two panels), one line per
// task and series. `unavailable` set when no row has either.
Chart served_load_chart(const std::vector<ServedLoadRow>& rows);

// A finished endpoint cell beside a finished in-process cell of the same task and limit whose
// model is the served one: the served name equals the in-process model name or its file's stem.
struct ServedVsInProcess {
  int64_t served_cell = 0, in_process_cell = 0;
  std::string task;
  int32_t limit = 0;
  std::string served;      // "model · api · concurrency N · machine"
  std::string in_process;  // "model · precision · placement · machine"
  std::optional<double> served_score, in_process_score;
  std::optional<double> served_j_per_question, in_process_j_per_question;
  std::optional<double> served_tokens_per_s, in_process_tokens_per_s;
};
std::vector<ServedVsInProcess> served_vs_in_process(const Summary& summary, const std::vector<results::Cell>& cells);
Table served_vs_in_process_table(const std::vector<ServedVsInProcess>& pairs);

}  // namespace jouleval::report
