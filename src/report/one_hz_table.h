// The comparison of the study's 1 Hz GPU method with the energy counter, per cell, for the HTML
// report (table and caption) and as JSON (embedded in the report for scripts).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "report/summary.h"
#include "report/table.h"

namespace jouleval::report {

// One row per cell with a 1 Hz estimate (means over repetitions); cells without one are left out.
Table one_hz_table(const Summary& summary);

// What the table is, how it was computed, and how many cells have no estimate.
std::string one_hz_caption(const Summary& summary);

// {"method": ..., "period_s": 1, "cells": [{cell_id, ..., "gpu_j_1hz": ..., "error_pct": ...}]};
// cells without an estimate are listed with "available": false and no numbers.
nlohmann::json one_hz_json(const Summary& summary);

}  // namespace jouleval::report
