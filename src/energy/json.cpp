#include "energy/json.h"

#include <cmath>

namespace jouleval::energy {

namespace {

nlohmann::json opt(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

}  // namespace

nlohmann::json to_json(const results::MeterEnergy& e) {
  nlohmann::json j = {{"meter", e.meter},
                      {"device", e.device},
                      {"kind", e.kind},
                      {"available", e.available},
                      {"estimated", e.estimated},
                      {"counter_joules", opt(e.counter_joules)},
                      {"integrated_joules", opt(e.integrated_joules)},
                      {"disagreement", opt(e.disagreement)},
                      {"disagreement_flag", e.disagreement_flag},
                      {"idle_watts", opt(e.idle_watts)},
                      {"total_joules", opt(e.total_joules)},
                      {"active_joules", opt(e.active_joules)},
                      {"avg_watts", opt(e.avg_watts)},
                      {"peak_watts", opt(e.peak_watts)},
                      {"temp_start_c", opt(e.temp_start_c)},
                      {"temp_end_c", opt(e.temp_end_c)}};
  if (!e.unavailable_reason.empty()) j[e.available ? "note" : "unavailable_reason"] = e.unavailable_reason;
  return j;
}

nlohmann::json to_json(const WindowResult& w) {
  nlohmann::json meters = nlohmann::json::array();
  for (const auto& m : w.meters) meters.push_back(to_json(m));
  nlohmann::json j = {{"seconds", w.seconds}, {"short_window", w.short_window}, {"meters", meters}};
  if (!w.timeline.empty()) {
    nlohmann::json t = nlohmann::json::array();
    for (const auto& s : w.timeline) t.push_back({{"t", s.t_seconds}, {"meter", s.meter}, {"watts", s.watts}});
    j["timeline"] = t;
  }
  return j;
}

nlohmann::json to_json(const std::optional<results::Stat>& s) {
  if (!s) return {{"n", 0}, {"mean", nullptr}, {"stddev", nullptr}, {"ci95_low", nullptr}, {"ci95_high", nullptr}};
  return {{"n", s->n},
          {"mean", s->mean},
          {"stddev", opt(s->stddev)},
          {"ci95_low", opt(s->ci_low)},
          {"ci95_high", opt(s->ci_high)}};
}

nlohmann::json to_json(const MeterStatus& s) {
  nlohmann::json j = {{"name", s.name}, {"kind", s.kind}, {"device", s.device}, {"available", s.available}};
  if (!s.available) j["reason"] = s.reason;
  return j;
}

}  // namespace jouleval::energy
