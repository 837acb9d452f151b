#include "report/one_hz.h"

#include <algorithm>

#include "energy/integrate.h"

namespace jouleval::report {
namespace {

// The timeline samples of one meter, sorted by time.
std::vector<energy::TimedWatts> meter_samples(const std::vector<results::PowerSample>& timeline,
                                              const std::string& meter) {
  std::vector<energy::TimedWatts> out;
  for (const auto& s : timeline)
    if (s.meter == meter) out.push_back({s.t_seconds, s.watts});
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.t < b.t; });
  return out;
}

// "counter" when every meter has a counter delta, else "integrated" when every one has an integral.
std::optional<std::string> reference_kind(const std::vector<const results::MeterEnergy*>& gpus) {
  auto all = [&](auto field) {
    return std::all_of(gpus.begin(), gpus.end(), [&](const auto* m) { return (m->*field).has_value(); });
  };
  if (all(&results::MeterEnergy::counter_joules)) return "counter";
  if (all(&results::MeterEnergy::integrated_joules)) return "integrated";
  return std::nullopt;
}

std::vector<const results::MeterEnergy*> available_gpu_meters(const results::Repetition& rep) {
  std::vector<const results::MeterEnergy*> out;
  for (const auto& m : rep.meters)
    if (m.available && m.kind == "gpu") out.push_back(&m);
  return out;
}

}  // namespace

std::optional<OneHzEstimate> one_hz_estimate(const results::Repetition& rep, double period_seconds) {
  if (!(rep.seconds > 0.0) || rep.timeline.empty()) return std::nullopt;
  const auto gpus = available_gpu_meters(rep);
  if (gpus.empty()) return std::nullopt;
  const auto reference = reference_kind(gpus);
  if (!reference) return std::nullopt;
  OneHzEstimate e;
  e.window_seconds = rep.seconds;
  e.reference = *reference;
  e.gpu_meters = gpus.size();
  for (const auto* m : gpus) {
    const auto polled =
        energy::poll_and_integrate(meter_samples(rep.timeline, m->meter), 0.0, rep.seconds, period_seconds);
    if (!polled) return std::nullopt;  // this meter has no timeline samples
    e.gpu_j_1hz += polled->joules;
    e.polls = polled->polls;
    e.polls_before_first_sample += polled->polls_before_first_sample;
    e.reference_j += e.reference == "counter" ? *m->counter_joules : *m->integrated_joules;
  }
  if (e.reference_j != 0.0) e.error_pct = 100.0 * (e.gpu_j_1hz - e.reference_j) / e.reference_j;
  return e;
}

std::optional<OneHzSummary> summarize_one_hz(const std::vector<std::optional<OneHzEstimate>>& repetitions) {
  if (repetitions.empty()) return std::nullopt;
  std::vector<double> seconds, one_hz, reference;
  std::vector<std::optional<double>> error;
  OneHzSummary s;
  for (const auto& r : repetitions) {
    if (!r) return std::nullopt;
    seconds.push_back(r->window_seconds);
    one_hz.push_back(r->gpu_j_1hz);
    reference.push_back(r->reference_j);
    error.push_back(r->error_pct);
    s.polls += static_cast<double>(r->polls);
    s.polls_before_first_sample += r->polls_before_first_sample;
    if (s.reference.empty()) s.reference = r->reference;
    if (s.reference != r->reference) s.reference = "mixed";
  }
  s.window_seconds = *results::summarize(seconds);
  s.gpu_j_1hz = *results::summarize(one_hz);
  s.reference_j = *results::summarize(reference);
  s.error_pct = results::summarize_all(error);
  s.polls /= static_cast<double>(repetitions.size());
  return s;
}

}  // namespace jouleval::report
