#include "sweep/steady_window.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "energy/integrate.h"

namespace jouleval::sweep {
namespace {

// Requests may end a little after the window's close edge is read only through rounding; anything
// further out was measured on another clock (as energy/phases.cpp allows for engine steps).
constexpr double kClockTolerance = 0.01;

std::map<int64_t, std::vector<endpoint::RequestSpan>> by_batch(const std::vector<endpoint::RequestSpan>& spans) {
  std::map<int64_t, std::vector<endpoint::RequestSpan>> out;
  for (const auto& s : spans) out[s.batch].push_back(s);
  return out;
}

nlohmann::json opt(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

}  // namespace

std::vector<Interval> steady_intervals(const std::vector<endpoint::RequestSpan>& spans, int level, double arrival_rate,
                                       std::string* why) {
  std::vector<Interval> out;
  std::string reason = "no generation request";
  for (const auto& [batch, requests] : by_batch(spans)) {
    const auto n = static_cast<int64_t>(requests.size());
    if (arrival_rate > 0) {
      std::vector<double> arrivals;
      for (const auto& r : requests) arrivals.push_back(r.arrival_s);
      std::sort(arrivals.begin(), arrivals.end());
      const int64_t k = n / 10;
      const double a = arrivals[static_cast<size_t>(k)];
      const double b = arrivals[static_cast<size_t>(n - 1 - k)];
      if (b > a)
        out.emplace_back(a, b);
      else
        reason = fmt::format("{} request{} arrived at once", n, n == 1 ? "" : "s");
      continue;
    }
    if (level < 1 || n < level) {
      reason =
          fmt::format("fewer requests ({}) than the concurrency level ({}): the level was never reached", n, level);
      continue;
    }
    std::vector<double> starts;
    for (const auto& r : requests) starts.push_back(r.start_s);
    std::sort(starts.begin(), starts.end());
    const double reached = starts[static_cast<size_t>(level - 1)];
    const double last_sent = starts.back();
    double dry = 0;
    bool found = false;
    for (const auto& r : requests)
      // An end at the last send's time is the one that made room for it.
      if (r.end_s > last_sent && (!found || r.end_s < dry)) {
        dry = r.end_s;
        found = true;
      }
    if (found && dry > reached)
      out.emplace_back(reached, dry);
    else
      reason = fmt::format("the concurrency level ({}) was held for no time", level);
  }
  if (out.empty() && why != nullptr) *why = reason;
  return out;
}

double output_tokens_inside(const std::vector<endpoint::RequestSpan>& spans, const std::vector<Interval>& intervals) {
  double tokens = 0;
  for (const auto& s : spans) {
    const auto n = static_cast<double>(s.output_tokens);
    const double from = std::min(s.first_token_s, s.end_s);
    for (const auto& [a, b] : intervals) {
      if (s.end_s > from) {
        const double overlap = std::min(b, s.end_s) - std::max(a, from);
        if (overlap > 0) tokens += n * overlap / (s.end_s - from);
      } else if (s.end_s >= a && s.end_s <= b) {
        tokens += n;
      }
    }
  }
  return tokens;
}

std::optional<double> achieved_request_rate(const std::vector<endpoint::RequestSpan>& spans) {
  double requests = 0;
  double seconds = 0;
  for (const auto& [batch, list] : by_batch(spans)) {
    if (list.size() < 2) continue;
    const auto [lo, hi] = std::minmax_element(list.begin(), list.end(),
                                              [](const auto& x, const auto& y) { return x.start_s < y.start_s; });
    requests += static_cast<double>(list.size() - 1);
    seconds += hi->start_s - lo->start_s;
  }
  if (!(seconds > 0)) return std::nullopt;
  return requests / seconds;
}

SteadyWindow steady_window(const std::vector<endpoint::RequestSpan>& spans, int level, double arrival_rate, double t0,
                           double t1, const std::vector<energy::PhaseMeterInput>& meters, size_t min_samples) {
  SteadyWindow w;
  w.basis = arrival_rate > 0
                ? "Poisson arrivals: from the end of the first 10 % of arrivals to the start of the last 10 %"
                : fmt::format("closed loop: while all {} requests are in flight", level);
  w.intervals = steady_intervals(spans, level, arrival_rate, &w.absent);
  for (const auto& [a, b] : w.intervals) w.seconds += b - a;
  w.output_tokens = output_tokens_inside(spans, w.intervals);
  if (w.intervals.empty()) return w;
  const bool inside = std::all_of(spans.begin(), spans.end(), [&](const endpoint::RequestSpan& s) {
    return s.start_s >= t0 - kClockTolerance && s.end_s <= t1 + kClockTolerance && s.end_s >= s.start_s;
  });
  for (const energy::PhaseMeterInput& m : meters) {
    SteadyMeter r;
    r.meter = m.window.meter;
    r.kind = m.window.kind;
    if (!inside) {
      r.note = "the requests lie outside the measurement window (another clock)";
    } else if (!m.window.available) {
      r.note = "meter unavailable: " + m.window.unavailable_reason;
    } else if (m.samples.empty()) {
      r.note = "no power samples (the meter is read only at the window's edges)";
    }
    if (!r.note.empty()) {
      r.method = "unavailable";
      w.meters.push_back(std::move(r));
      continue;
    }
    double joules = 0;
    size_t samples = 0;
    for (const auto& [a, b] : w.intervals) {
      if (const auto i = energy::integrate_power(m.samples, a, b)) {
        joules += i->joules;
        samples += i->samples_inside;
      }
    }
    if (samples < min_samples) {
      r.method = "too short";
      r.note = fmt::format("{} power sample{} inside, fewer than {}", samples, samples == 1 ? "" : "s", min_samples);
      w.meters.push_back(std::move(r));
      continue;
    }
    r.method = "integrated";
    const auto whole = energy::integrate_power(m.samples, t0, t1);
    if (m.window.counter_joules && whole && whole->joules > 0) {
      joules *= *m.window.counter_joules / whole->joules;
      r.method = "counter-scaled";
    }
    r.joules = joules;
    if (w.output_tokens > 0) r.j_per_output_token = joules / w.output_tokens;
    if (m.window.disagreement_flag && m.window.disagreement)
      r.note = fmt::format("the counter and the sampled power disagree by {:.0f}% over the window",
                           *m.window.disagreement * 100);
    w.meters.push_back(std::move(r));
  }
  // The total as the window's energy is added up (gpu + cpu + dram, else the system meter).
  const bool components = std::any_of(w.meters.begin(), w.meters.end(), [](const SteadyMeter& m) {
    return m.kind == "gpu" || m.kind == "cpu" || m.kind == "dram";
  });
  std::optional<double> total;
  bool complete = true;
  for (const SteadyMeter& m : w.meters) {
    const bool counted = components ? (m.kind == "gpu" || m.kind == "cpu" || m.kind == "dram") : m.kind == "system";
    if (!counted) continue;
    if (!m.joules) complete = false;
    total = total.value_or(0.0) + m.joules.value_or(0.0);
  }
  if (complete && total) {
    w.joules = total;
    if (w.output_tokens > 0) w.j_per_output_token = *total / w.output_tokens;
  }
  return w;
}

nlohmann::json to_json(const SteadyWindow& w) {
  nlohmann::json meters = nlohmann::json::array();
  for (const SteadyMeter& m : w.meters)
    meters.push_back({{"meter", m.meter},
                      {"kind", m.kind},
                      {"method", m.method},
                      {"joules", opt(m.joules)},
                      {"j_per_output_token", opt(m.j_per_output_token)},
                      {"note", m.note}});
  return {{"basis", w.basis},
          {"seconds", w.seconds},
          {"output_tokens", w.output_tokens},
          {"joules", opt(w.joules)},
          {"j_per_output_token", opt(w.j_per_output_token)},
          {"note", w.absent},
          {"meters", meters}};
}

}  // namespace jouleval::sweep
