#include "energy/phases.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

namespace jouleval::energy {
namespace {

// Steps may end a little after the window's close edge is read only through rounding; anything
// further out was measured on another clock.
constexpr double kClockTolerance = 0.01;

// Part of a phase: the time [a, b], of which `share` belongs to the phase.
struct Piece {
  double a = 0;
  double b = 0;
  double share = 1;
};

struct Phase {
  const char* name = "";
  std::vector<Piece> pieces;
  double seconds = 0;
  int64_t tokens = 0;
  int32_t steps = 0;
  int32_t batch = 0;
  std::string absent;  // why the phase has no time at all (steady: the batch was never full)
  std::string caveat;  // what the phase's figures leave out (steady: the refill steps), for its note
};

// The integral of the piecewise-linear power through the samples (held at the first and last
// value outside them): the same trapezoids as integrate_power, as a running sum so that many short
// intervals cost a binary search each.
class PowerCurve {
 public:
  explicit PowerCurve(const std::vector<TimedWatts>& samples) : s_(samples), sum_(samples.size(), 0.0) {
    for (size_t i = 1; i < s_.size(); ++i)
      sum_[i] = sum_[i - 1] + 0.5 * (s_[i].watts + s_[i - 1].watts) * (s_[i].t - s_[i - 1].t);
  }

  double joules(double a, double b) const { return b > a ? to(b) - to(a) : 0.0; }

  // Samples strictly inside (a, b).
  size_t inside(double a, double b) const {
    if (!(b > a)) return 0;
    auto lo = std::upper_bound(s_.begin(), s_.end(), a, [](double v, const TimedWatts& w) { return v < w.t; });
    auto hi = std::lower_bound(s_.begin(), s_.end(), b, [](const TimedWatts& w, double v) { return w.t < v; });
    return hi > lo ? static_cast<size_t>(hi - lo) : 0;
  }

 private:
  // The integral from the first sample's time to t (negative before it).
  double to(double t) const {
    if (t <= s_.front().t) return s_.front().watts * (t - s_.front().t);
    if (t >= s_.back().t) return sum_.back() + s_.back().watts * (t - s_.back().t);
    auto hi = std::upper_bound(s_.begin(), s_.end(), t, [](double v, const TimedWatts& w) { return v < w.t; });
    const auto i = static_cast<size_t>(hi - s_.begin());
    const TimedWatts& lo = s_[i - 1];
    const double w = lo.watts + (hi->watts - lo.watts) * (t - lo.t) / (hi->t - lo.t);
    return sum_[i - 1] + 0.5 * (lo.watts + w) * (t - lo.t);
  }

  const std::vector<TimedWatts>& s_;
  std::vector<double> sum_;
};

bool steady_step(const engine::GenerationStep& s) {
  return s.sequence_slots > 0 && s.active_sequences == s.sequence_slots && s.decode_tokens > 0;
}

// The phases' time and tokens, from the steps alone.
std::vector<Phase> plan_phases(std::vector<engine::GenerationStep> steps, double t0, double t1, bool clip) {
  std::stable_sort(steps.begin(), steps.end(), [](const auto& x, const auto& y) { return x.begin_s < y.begin_s; });
  Phase prefill;
  prefill.name = "prefill";
  Phase decode;
  decode.name = "decode";
  Phase steady;
  steady.name = "steady";
  Phase other;
  other.name = "other";
  auto clipped = [&](double t) { return clip ? std::clamp(t, t0, t1) : t; };
  double step_seconds = 0;
  double covered_to = t0;  // the end of the steps so far: what lies before the next step is "other"
  for (const auto& s : steps) {
    const double a = clipped(s.begin_s);
    const double b = std::max(a, clipped(s.end_s));
    step_seconds += b - a;
    if (a > covered_to) other.pieces.push_back({covered_to, a, 1.0});
    covered_to = std::max(covered_to, b);
    // A prefill block's padding is prefill work (docs/engine.md "Prefill blocks"): it takes its share
    // of the step's time, while the phase's tokens count only the prompt's.
    const double prefill_work = static_cast<double>(s.prompt_tokens) + static_cast<double>(s.padding_tokens);
    const double tokens = prefill_work + static_cast<double>(s.decode_tokens);
    // A step of neither kind (no tokens) counts as decode: it is part of the decoding loop.
    const double prompt_share = tokens > 0 ? prefill_work / tokens : 0.0;
    if (s.prompt_tokens > 0) {
      prefill.pieces.push_back({a, b, prompt_share});
      prefill.seconds += prompt_share * (b - a);
      prefill.tokens += s.prompt_tokens;
      ++prefill.steps;
      prefill.batch = std::max(prefill.batch, s.active_sequences);
    }
    if (prompt_share < 1.0) {
      decode.pieces.push_back({a, b, 1.0 - prompt_share});
      decode.seconds += (1.0 - prompt_share) * (b - a);
      decode.tokens += s.decode_tokens;
      ++decode.steps;
      decode.batch = std::max(decode.batch, s.active_sequences);
    }
  }
  if (clip) {
    if (t1 > covered_to) other.pieces.push_back({covered_to, t1, 1.0});
    for (const Piece& p : other.pieces) other.seconds += p.b - p.a;
  } else {
    other.seconds = std::max(0.0, (t1 - t0) - step_seconds);
  }

  // The longest run of consecutive steady steps (the first of equal ones).
  size_t best_first = 0;
  size_t best_last = 0;
  double best_seconds = -1;
  for (size_t i = 0; i < steps.size();) {
    if (!steady_step(steps[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j + 1 < steps.size() && steady_step(steps[j + 1]) && steps[j + 1].sequence_slots == steps[i].sequence_slots)
      ++j;
    const double seconds = clipped(steps[j].end_s) - clipped(steps[i].begin_s);
    if (seconds > best_seconds) {
      best_seconds = seconds;
      best_first = i;
      best_last = j;
    }
    i = j + 1;
  }
  if (best_seconds >= 0) {
    // Inside the run, only the pure-decode steps (no prompt tokens) count: a refill step also
    // prefills newly admitted prompts, whose work would bias the steady J per token up. Their
    // intervals are merged (a union), so that a sample on the edge of two adjacent steps counts.
    steady.batch = steps[best_first].sequence_slots;
    int32_t refills = 0;
    double refill_seconds = 0;
    for (size_t k = best_first; k <= best_last; ++k) {
      const double a = clipped(steps[k].begin_s);
      const double b = std::max(a, clipped(steps[k].end_s));
      if (steps[k].prompt_tokens > 0) {
        ++refills;
        refill_seconds += b - a;
        continue;
      }
      ++steady.steps;
      steady.tokens += steps[k].decode_tokens;
      if (!steady.pieces.empty() && a <= steady.pieces.back().b)
        steady.pieces.back().b = std::max(steady.pieces.back().b, b);
      else
        steady.pieces.push_back({a, b, 1.0});
    }
    for (const Piece& p : steady.pieces) steady.seconds += p.b - p.a;
    if (refills > 0)
      steady.caveat =
          fmt::format("excludes {} refill step{} ({:.3g} s)", refills, refills == 1 ? "" : "s", refill_seconds);
    if (steady.steps == 0)
      steady.absent = "no steady state: no pure decode step (without prompt tokens) with every sequence slot held";
  } else {
    int32_t most = 0;
    int32_t slots = 0;
    for (const auto& s : steps) {
      most = std::max(most, s.active_sequences);
      slots = std::max(slots, s.sequence_slots);
    }
    steady.batch = most;
    steady.absent = most < slots ? fmt::format(
                                       "no steady state: the batch was never full (at most {} of {} "
                                       "sequences at once)",
                                       most, slots)
                                 : "no steady state: no step decoded with every sequence slot held";
  }
  return {prefill, decode, steady, other};
}

// "first; second", or whichever of the two is not empty.
std::string join(const std::string& first, const std::string& second) {
  if (first.empty()) return second;
  if (second.empty()) return first;
  return first + "; " + second;
}

results::PhaseEnergy row(const Phase& p, const std::string& meter) {
  results::PhaseEnergy r;
  r.phase = p.name;
  r.meter = meter;
  r.seconds = p.seconds;
  r.tokens = p.tokens;
  r.steps = p.steps;
  r.batch = p.batch;
  r.note = p.caveat;
  return r;
}

void unavailable(results::PhaseEnergy& r, const Phase& p, const std::string& why) {
  r.method = "unavailable";
  r.note = join(p.absent.empty() ? why : p.absent, p.caveat);
}

}  // namespace

std::vector<results::PhaseEnergy> compute_phases(const std::vector<engine::GenerationStep>& steps, double t0, double t1,
                                                 const std::vector<PhaseMeterInput>& meters, size_t min_samples) {
  std::vector<results::PhaseEnergy> out;
  if (steps.empty()) return out;
  const bool inside = std::all_of(steps.begin(), steps.end(), [&](const engine::GenerationStep& s) {
    return s.begin_s >= t0 - kClockTolerance && s.end_s <= t1 + kClockTolerance && s.end_s >= s.begin_s;
  });
  const std::vector<Phase> phases = plan_phases(steps, t0, t1, inside);
  if (meters.empty()) {
    for (const Phase& p : phases) {
      results::PhaseEnergy r = row(p, "");
      unavailable(r, p, "no energy meter");
      out.push_back(std::move(r));
    }
    return out;
  }
  for (const PhaseMeterInput& m : meters) {
    const std::string& name = m.window.meter;
    std::string why;
    if (!inside) {
      why = "the generation steps lie outside the measurement window (another clock)";
    } else if (!m.window.available) {
      why = "meter unavailable: " + m.window.unavailable_reason;
    } else if (m.samples.empty()) {
      why = "no power samples (the meter is read only at the window's edges)";
    }
    if (!why.empty()) {
      for (const Phase& p : phases) {
        results::PhaseEnergy r = row(p, name);
        unavailable(r, p, why);
        out.push_back(std::move(r));
      }
      continue;
    }
    const PowerCurve curve(m.samples);
    const double whole = curve.joules(t0, t1);
    double scale = 1.0;
    std::string method = "integrated";
    if (m.window.counter_joules && whole > 0) {
      scale = *m.window.counter_joules / whole;
      method = "counter-scaled";
    }
    for (const Phase& p : phases) {
      results::PhaseEnergy r = row(p, name);
      if (!p.absent.empty()) {
        unavailable(r, p, "");
        out.push_back(std::move(r));
        continue;
      }
      size_t samples = 0;
      double joules = 0;
      for (const Piece& piece : p.pieces) {
        samples += curve.inside(piece.a, piece.b);
        joules += piece.share * curve.joules(piece.a, piece.b);
      }
      if (samples < min_samples) {
        r.method = "too short";
        r.note =
            join(fmt::format("{} power sample{} inside, fewer than {}", samples, samples == 1 ? "" : "s", min_samples),
                 p.caveat);
      } else {
        r.method = method;
        r.joules = scale * joules;
        if (m.window.disagreement_flag && m.window.disagreement)
          r.note = join(fmt::format("the counter and the sampled power disagree by {:.0f}% over the window",
                                    *m.window.disagreement * 100),
                        p.caveat);
        if (m.window.idle_watts) r.joules_idle_subtracted = *r.joules - *m.window.idle_watts * r.seconds;
      }
      out.push_back(std::move(r));
    }
  }
  return out;
}

DecodeStepTimes decode_step_times(const std::vector<engine::GenerationStep>& steps) {
  DecodeStepTimes t;
  double total = 0.0;
  double host = 0.0;
  double runs = 0.0;
  for (const auto& s : steps) {
    if (s.prompt_tokens != 0 || s.decode_tokens == 0) continue;
    ++t.steps;
    total += s.end_s - s.begin_s;
    host += s.host_s;
    runs += s.sequence_runs;
    t.max_sequence_runs = std::max(t.max_sequence_runs, s.sequence_runs);
  }
  if (t.steps > 0) {
    t.mean_s = total / static_cast<double>(t.steps);
    t.mean_host_s = host / static_cast<double>(t.steps);
    t.mean_sequence_runs = runs / static_cast<double>(t.steps);
  }
  return t;
}

double seconds_between_steps(const std::vector<engine::GenerationStep>& steps) {
  double gaps = 0.0;
  for (size_t i = 1; i < steps.size(); ++i) gaps += std::max(0.0, steps[i].begin_s - steps[i - 1].end_s);
  return gaps;
}

}  // namespace jouleval::energy
