// JSON forms of the energy layer's results (absent optional values become null, never 0).
#pragma once

#include <nlohmann/json.hpp>

#include "energy/meter.h"
#include "energy/monitor.h"
#include "energy/stats.h"
#include "store/records.h"

namespace jouleval::energy {

nlohmann::json to_json(const store::MeterEnergy& e);
nlohmann::json to_json(const WindowResult& w);
nlohmann::json to_json(const Stats& s);
nlohmann::json to_json(const MeterStatus& s);

}  // namespace jouleval::energy
