#include "report/metrics.h"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

namespace jouleval::report {
namespace {

constexpr double kJoulesPerWh = 3600.0;

// opt(a) / b when b > 0.
std::optional<double> ratio(std::optional<double> a, double b) {
  if (!a || !(b > 0.0)) return std::nullopt;
  return *a / b;
}

// Sum over available meters of `kinds` that have a reading; absent when none has.
struct KindSum {
  std::optional<double> total, active, peak;
  bool all_active = true, all_peak = true, estimated = false;
  std::vector<std::string> meters;  // meter_description of each meter summed
};

KindSum sum_kinds(const std::vector<results::MeterEnergy>& meters, std::initializer_list<std::string_view> kinds,
                  bool first_only = false) {
  KindSum s;
  for (const auto& m : meters) {
    if (!m.available || !m.total_joules) continue;
    if (std::find(kinds.begin(), kinds.end(), m.kind) == kinds.end()) continue;
    s.total = s.total.value_or(0.0) + *m.total_joules;
    if (m.active_joules)
      s.active = s.active.value_or(0.0) + *m.active_joules;
    else
      s.all_active = false;
    if (m.peak_watts)
      s.peak = s.peak.value_or(0.0) + *m.peak_watts;
    else
      s.all_peak = false;
    s.estimated = s.estimated || m.estimated;
    s.meters.push_back(meter_description(m));
    if (first_only) break;
  }
  if (!s.all_active) s.active.reset();
  if (!s.all_peak) s.peak.reset();
  return s;
}

void add_once(std::vector<std::string>& list, const std::string& item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

}  // namespace

std::string meter_description(const results::MeterEnergy& m) {
  return m.device.empty() ? fmt::format("{} ({})", m.meter, m.kind)
                          : fmt::format("{} ({}: {})", m.meter, m.kind, m.device);
}

RepetitionMetrics compute_repetition(const results::Repetition& rep, std::optional<double> score, bool cpu_placement) {
  RepetitionMetrics r;
  const KindSum gpu_reading = sum_kinds(rep.meters, {"gpu"});
  // A CPU-placed cell's work ran on the host: a GPU's (idle) draw during it is not its energy.
  const KindSum gpu = cpu_placement ? KindSum{} : gpu_reading;
  const KindSum cpu = sum_kinds(rep.meters, {"cpu"});
  const KindSum dram = sum_kinds(rep.meters, {"dram"});
  const KindSum system = sum_kinds(rep.meters, {"system", "external"}, /*first_only=*/true);
  r.gpu_j = gpu_reading.total;
  for (const auto& m : rep.meters) {
    if (m.available && m.total_joules && m.kind == "gpu")
      r.gpu_j_by_meter.emplace_back(m.meter, *m.total_joules / std::max(1, rep.passes));
  }
  r.cpu_j = cpu.total;
  r.dram_j = dram.total;
  r.system_j = system.total;
  if (gpu.total || cpu.total || dram.total) {
    r.total_j = gpu.total.value_or(0.0) + cpu.total.value_or(0.0) + dram.total.value_or(0.0);
    const bool active_ok = (!gpu.total || gpu.active) && (!cpu.total || cpu.active) && (!dram.total || dram.active);
    if (active_ok) r.active_j = gpu.active.value_or(0.0) + cpu.active.value_or(0.0) + dram.active.value_or(0.0);
    const bool peak_ok = (!gpu.total || gpu.peak) && (!cpu.total || cpu.peak) && (!dram.total || dram.peak);
    if (peak_ok) r.peak_power_w = gpu.peak.value_or(0.0) + cpu.peak.value_or(0.0) + dram.peak.value_or(0.0);
    r.estimated = gpu.estimated || cpu.estimated || dram.estimated;
    for (const KindSum* k : {&gpu, &cpu, &dram})
      r.meters_used.insert(r.meters_used.end(), k->meters.begin(), k->meters.end());
  } else if (system.total) {
    r.total_j = system.total;
    r.active_j = system.active;
    r.peak_power_w = system.peak;
    r.estimated = system.estimated;
    r.meters_used = system.meters;
  }
  // A window that held several passes of the task's work: every figure is per pass (one task run).
  const double passes = std::max(1, rep.passes);
  for (std::optional<double>* v : {&r.gpu_j, &r.cpu_j, &r.dram_j, &r.system_j, &r.total_j, &r.active_j}) {
    if (*v) **v /= passes;
  }
  if (r.total_j) r.total_wh = *r.total_j / kJoulesPerWh;

  const double s = rep.seconds / passes;
  const double prompt = static_cast<double>(rep.prompt_tokens) / passes;
  const double generated = static_cast<double>(rep.generated_tokens) / passes;
  const double tokens = prompt + generated;
  const double items = static_cast<double>(rep.items);
  if (s > 0.0) r.seconds = s;
  if (s > 0.0) r.tokens_per_s = tokens / s;
  if (s > 0.0 && generated > 0.0) r.generated_tokens_per_s = generated / s;
  r.avg_power_w = ratio(r.total_j, s);
  r.j_per_token = ratio(r.total_j, tokens);
  if (generated == 0.0) r.j_per_prompt_token = ratio(r.total_j, prompt);
  r.j_per_generated_token = ratio(r.total_j, generated);
  r.gpu_j_per_token = ratio(r.gpu_j, tokens);
  r.j_per_question = ratio(r.total_j, items);

  if (score && r.total_wh && *r.total_wh > 0.0 && s > 0.0) {
    const double wh = *r.total_wh;
    r.eor = *score / wh;
    r.tweor = *score / (wh * s);
    if (items > 0.0) {
      r.eor_item = *score / (wh / items);
      r.tweor_item = *score / ((wh / items) * (s / items));
    }
  }
  r.one_hz = one_hz_estimate(rep);
  return r;
}

CellMetrics compute_cell_metrics(const results::Cell& cell) {
  CellMetrics c;
  c.headline = results::headline_metric(cell.key.task, cell.metrics);
  if (c.headline.metric) {
    c.score = c.headline.metric->value;
    c.score_stderr = c.headline.metric->stderr_;
  }
  c.random_weights = cell.random_weights;
  c.cpu_placement = cell.key.placement == "cpu";
  double prompt = 0.0, generated = 0.0, decode_calls = 0.0;
  bool rss_recorded = !cell.repetitions.empty();
  for (const auto& rep : cell.repetitions) {
    rss_recorded = rss_recorded && rep.peak_rss_bytes.has_value();
    if (rep.peak_rss_bytes)
      c.peak_rss_bytes = std::max(c.peak_rss_bytes.value_or(0.0), static_cast<double>(*rep.peak_rss_bytes));
    c.repetitions.push_back(compute_repetition(rep, c.score, c.cpu_placement));
    c.estimated = c.estimated || c.repetitions.back().estimated;
    for (const auto& m : c.repetitions.back().meters_used) add_once(c.meters_used, m);
    c.short_window = c.short_window || rep.short_window;
    c.items = std::max(c.items, rep.items);
    const double passes = std::max(1, rep.passes);
    prompt += static_cast<double>(rep.prompt_tokens) / passes;
    generated += static_cast<double>(rep.generated_tokens) / passes;
    decode_calls += static_cast<double>(rep.decode_calls) / passes;
    c.max_passes = std::max(c.max_passes, std::max(1, rep.passes));
    for (const auto& m : rep.meters) {
      c.disagreement_flag = c.disagreement_flag || (m.available && m.disagreement_flag);
      if (results::meter_unused(m)) {
        add_once(c.unused_gpus, m.device.empty() ? m.meter : fmt::format("{} ({})", m.meter, m.device));
        continue;
      }
      std::string note;
      if (!m.available)
        note = fmt::format("{} ({}): {}", m.meter, m.kind,
                           m.unavailable_reason.empty() ? "unavailable" : m.unavailable_reason);
      else if (!m.total_joules)
        note = fmt::format("{} ({}): no energy reading", m.meter, m.kind);
      if (!note.empty() &&
          std::find(c.unavailable_meters.begin(), c.unavailable_meters.end(), note) == c.unavailable_meters.end())
        c.unavailable_meters.push_back(note);
    }
  }
  if (!rss_recorded) c.peak_rss_bytes.reset();
  // Per-GPU means, over the repetitions that all have the GPU.
  if (!c.repetitions.empty()) {
    for (const auto& entry : c.repetitions.front().gpu_j_by_meter) {
      const std::string& meter = entry.first;
      double sum = 0.0;
      bool everywhere = true;
      for (const auto& r : c.repetitions) {
        const auto it = std::find_if(r.gpu_j_by_meter.begin(), r.gpu_j_by_meter.end(),
                                     [&](const auto& e) { return e.first == meter; });
        if (it == r.gpu_j_by_meter.end())
          everywhere = false;
        else
          sum += it->second;
      }
      if (everywhere) c.gpu_j_by_meter.emplace_back(meter, sum / static_cast<double>(c.repetitions.size()));
    }
  }
  if (!cell.repetitions.empty()) {
    c.prompt_tokens = prompt / static_cast<double>(cell.repetitions.size());
    c.generated_tokens = generated / static_cast<double>(cell.repetitions.size());
    c.decode_calls = decode_calls / static_cast<double>(cell.repetitions.size());
  }

  using Field = std::optional<double> RepetitionMetrics::*;
  using StatField = std::optional<results::Stat> MetricStats::*;
  static constexpr std::array<std::pair<Field, StatField>, 21> kFields = {{
      {&RepetitionMetrics::gpu_j, &MetricStats::gpu_j},
      {&RepetitionMetrics::cpu_j, &MetricStats::cpu_j},
      {&RepetitionMetrics::dram_j, &MetricStats::dram_j},
      {&RepetitionMetrics::system_j, &MetricStats::system_j},
      {&RepetitionMetrics::total_j, &MetricStats::total_j},
      {&RepetitionMetrics::active_j, &MetricStats::active_j},
      {&RepetitionMetrics::total_wh, &MetricStats::total_wh},
      {&RepetitionMetrics::seconds, &MetricStats::seconds},
      {&RepetitionMetrics::tokens_per_s, &MetricStats::tokens_per_s},
      {&RepetitionMetrics::generated_tokens_per_s, &MetricStats::generated_tokens_per_s},
      {&RepetitionMetrics::avg_power_w, &MetricStats::avg_power_w},
      {&RepetitionMetrics::peak_power_w, &MetricStats::peak_power_w},
      {&RepetitionMetrics::j_per_token, &MetricStats::j_per_token},
      {&RepetitionMetrics::j_per_prompt_token, &MetricStats::j_per_prompt_token},
      {&RepetitionMetrics::j_per_generated_token, &MetricStats::j_per_generated_token},
      {&RepetitionMetrics::gpu_j_per_token, &MetricStats::gpu_j_per_token},
      {&RepetitionMetrics::j_per_question, &MetricStats::j_per_question},
      {&RepetitionMetrics::eor, &MetricStats::eor},
      {&RepetitionMetrics::tweor, &MetricStats::tweor},
      {&RepetitionMetrics::eor_item, &MetricStats::eor_item},
      {&RepetitionMetrics::tweor_item, &MetricStats::tweor_item},
  }};
  for (const auto& [field, stat] : kFields) {
    std::vector<std::optional<double>> values;
    for (const auto& r : c.repetitions) values.push_back(r.*field);
    c.stats.*stat = results::summarize_all(values);
  }
  std::vector<std::optional<OneHzEstimate>> one_hz;
  for (const auto& r : c.repetitions) one_hz.push_back(r.one_hz);
  c.one_hz = summarize_one_hz(one_hz);
  return c;
}

}  // namespace jouleval::report
