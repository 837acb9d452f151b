// The table `run`, `sweep` and `demo` print when they finish: per cell the headline accuracy with its
// standard error, time, energy (or "unavailable"), J/question, EOR and throughput; or the same as JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/records.h"

namespace jouleval::cli {

std::string results_table_text(const std::vector<store::Cell>& cells, const std::vector<store::Machine>& machines);
nlohmann::json results_table_json(const std::vector<store::Cell>& cells, const std::vector<store::Machine>& machines);

}  // namespace jouleval::cli
