// The Vega-Lite specifications of the report's plots, each with a caption stating units, counts and
// whether the accuracy is chance level (random-weight models). docs/report.md "HTML report".
//
// The page (report/html.cpp) adds one shared Vega-Lite config to every spec (report/html_script.h
// kEmbedScript): the number format (page_number, below) and label wrapping (joulevalWrap). Specs
// therefore never set their own number formats.
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
  nlohmann::json spec;                // Vega-Lite
  bool needs_energy = false;          // drawn only when some cell has an energy reading
  std::string unavailable;            // non-empty: nothing to draw, and why ("no cell has a stored power timeline")
  std::vector<std::string> findings;  // plain-text sentences shown as a list under the chart
};

// The page's one number format (the same rule as the page script's joulevalNumber): about 3
// significant digits (report/table.h format_number) with trailing zeros after the decimal point
// dropped; no exponent between 1e-6 and 1e6 ("780", "2323", "0.25", "1.2e+06"); "n/a" when not finite.
std::string page_number(double value);

// Pareto front of (energy, accuracy): indices of points not dominated by another point with lower
// or equal energy and higher or equal accuracy (one strictly better).
std::vector<size_t> pareto_front(const std::vector<std::pair<double, double>>& energy_accuracy);

// Whether some finished cell has an energy reading (the energy charts have something to draw).
bool any_energy(const Summary& summary);

// All plots of the report, in page order: precision trade-off (accuracy kept vs energy saved, per
// task), accuracy vs energy (Pareto), accuracy vs time, correct answers per Wh heatmaps, task
// complexity, power timeline (cells of `cells` with a stored timeline) and achieved vs limits. A new
// chart is one more function appended to the list in build_charts (charts.cpp).
std::vector<Chart> build_charts(const Summary& summary, const std::vector<results::Cell>& cells);

}  // namespace jouleval::report
