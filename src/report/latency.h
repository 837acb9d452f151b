// Latency under load of endpoint generation cells (docs/endpoint.md "Latency under load"): the
// `export --table latency` rows and the line `run` prints per repetition, both read from
// results::Repetition::latency_json. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/table.h"
#include "results/records.h"

namespace jouleval::report {

// One row per repetition that recorded its latency (finished cells only): identity, concurrency
// level, requests, streamed, TTFT / ITL / end-to-end p50, p90, p99 in ms, requests/s, output
// tokens/s, goodput and the objectives. A summary that is not the expected JSON object leaves its
// values empty.
Table latency_table(const std::vector<results::Cell>& cells, const std::vector<results::Machine>& machines);

// "latency: TTFT p50 120 / p90 180 / p99 210 ms; ITL ...; e2e ...; 3.20 req/s, 410 tok/s; goodput
// 2.90 req/s (TTFT <= 200 ms)"; nullopt when the repetition recorded none.
std::optional<std::string> latency_line(const results::Repetition& rep);

}  // namespace jouleval::report
