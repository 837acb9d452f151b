// The Vega-Lite specifications of the report's plots, each with a caption stating units, counts and
// whether the accuracy is chance level (random-weight models).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/summary.h"

namespace jouleval::report {

struct Chart {
  std::string id;  // HTML element id, "chart-..."
  std::string title;
  std::string caption;
  nlohmann::json spec;  // Vega-Lite
};

// Pareto front of (energy, accuracy): indices of points not dominated by another point with lower
// or equal energy and higher or equal accuracy (one strictly better).
std::vector<size_t> pareto_front(const std::vector<std::pair<double, double>>& energy_accuracy);

// All plots of the report: EOR heatmaps, accuracy vs energy (Pareto), task complexity, precision
// comparison, power timeline (cells of `cells` with a stored timeline) and achieved vs limits.
std::vector<Chart> build_charts(const Summary& summary, const std::vector<results::Cell>& cells);

}  // namespace jouleval::report
