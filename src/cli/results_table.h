// The table `run`, `sweep` and `demo` print when they finish: per cell the headline accuracy with its
// standard error, time, energy (or "unavailable"), J/question, EOR and throughput; or the same as JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "results/records.h"

namespace jouleval::cli {

std::string results_table_text(const std::vector<results::Cell>& cells, const std::vector<results::Machine>& machines);
nlohmann::json results_table_json(const std::vector<results::Cell>& cells,
                                  const std::vector<results::Machine>& machines);

}  // namespace jouleval::cli
