// JSON forms of the energy layer's results (absent optional values become null, never 0).
#pragma once

#include <nlohmann/json.hpp>

#include "energy/meter.h"
#include "energy/monitor.h"
#include "results/records.h"
#include "results/stats.h"

namespace jouleval::energy {

nlohmann::json to_json(const results::MeterEnergy& e);
nlohmann::json to_json(const WindowResult& w);
// {"n", "mean", "stddev", "ci95_low", "ci95_high"}; absent values (and an absent Stat: no values) are
// null with n = 0.
nlohmann::json to_json(const std::optional<results::Stat>& s);
nlohmann::json to_json(const MeterStatus& s);

}  // namespace jouleval::energy
