#include "energy/monitor.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "energy/external_meter.h"
#include "energy/integrate.h"
#include "energy/nvml_meter.h"
#include "energy/rapl_meter.h"
#include "energy/window.h"
#include "util/build_info.h"
#include "util/error.h"

namespace jouleval::energy {

Monitor::Monitor(MonitorOptions options) : options_(std::move(options)), clock_(options_.clock) {
  if (!clock_) clock_ = std::make_shared<SteadyClock>();
  if (options_.use_nvml) {
    for (auto& m : open_nvml_meters(options_.nvml_library)) meters_.push_back(std::move(m));
  }
  if (options_.use_rapl) {
    for (auto& m : open_rapl_meters(options_.rapl_root)) meters_.push_back(std::move(m));
  }
  if (!options_.external_command.empty() || !options_.external_file.empty()) {
    const bool cmd = !options_.external_command.empty();
    ReadLimits limits;
    limits.timeout_seconds = options_.external_timeout_seconds;
    try {
      meters_.push_back(
          std::make_unique<ExternalMeter>(cmd ? ExternalMeter::Source::kCommand : ExternalMeter::Source::kFile,
                                          cmd ? options_.external_command : options_.external_file, limits));
    } catch (const util::Error& e) {
      meters_.push_back(std::make_unique<UnavailableMeter>("external", "external", e.what()));
    }
  }

  if (options_.sample_interval_ms > 0) {
    interval_ = options_.sample_interval_ms / 1000.0;
  } else {
    for (auto& m : meters_) {
      if (m->status().available && m->status().kind == "gpu" && m->has_counter()) {
        update_period_ = estimate_update_period([&m] { return m->energy_joules(); }, *clock_);
        break;
      }
    }
    interval_ = sampling_interval_for(update_period_);
  }

  std::vector<Meter*> raw;
  for (auto& m : meters_) raw.push_back(m.get());
  sampler_ = std::make_unique<Sampler>(std::move(raw), *clock_);
  if (options_.sampler_thread) sampler_->start(interval_);
}

Monitor::~Monitor() { sampler_.reset(); }

std::vector<MeterStatus> Monitor::meters_status() const {
  std::vector<MeterStatus> out;
  for (const auto& m : meters_) out.push_back(m->status());
  return out;
}

bool Monitor::any_meter_available() const {
  return std::any_of(meters_.begin(), meters_.end(), [](const auto& m) { return m->status().available; });
}

void Monitor::sample_once() { sampler_->sample_once(); }

std::optional<double> Monitor::live_watts() const { return sampler_->live_watts(); }

Monitor::Interval Monitor::read_interval(double since) {
  sampler_->sample_once();
  Interval out;
  out.t_end = clock_->now();
  for (size_t i = 0; i < meters_.size(); ++i) {
    const Meter& m = *meters_[i];
    if (!m.status().available || m.power_source() == PowerSource::kNone) continue;
    IntervalEnergy e{m.status().name, std::nullopt};
    if (auto integral = integrate_power(sampler_->samples_around(i, since, out.t_end), since, out.t_end))
      e.joules = integral->joules;
    out.meters.push_back(std::move(e));
  }
  return out;
}

Monitor::Window Monitor::open_window(const std::function<void()>& sync) {
  begin_window(sync);
  return Window(this);
}

WindowResult Monitor::Window::close(const std::function<void()>& sync) {
  if (monitor_ == nullptr) throw util::Error("energy: the measurement window is already closed");
  Monitor* m = std::exchange(monitor_, nullptr);
  return m->end_window(sync);
}

Monitor::Window::~Window() {
  if (monitor_ != nullptr) monitor_->cancel_window();
}

Monitor::Window::Window(Window&& other) noexcept : monitor_(std::exchange(other.monitor_, nullptr)) {}

void Monitor::cancel_window() noexcept {
  window_open_ = false;
  begin_edges_.clear();
}

void Monitor::begin_window(const std::function<void()>& sync) {
  if (window_open_) throw util::Error("energy: a measurement window is already open");
  if (sync) sync();
  sampler_->sample_once();  // a sample at or before the edge, for interpolation
  t0_ = clock_->now();
  begin_edges_.assign(meters_.size(), {});
  for (size_t i = 0; i < meters_.size(); ++i) {
    if (meters_[i]->status().available && meters_[i]->has_counter())
      begin_edges_[i].energy = meters_[i]->energy_joules();
  }
  for (size_t i = 0; i < meters_.size(); ++i) {
    if (meters_[i]->status().available) begin_edges_[i].temperature_c = meters_[i]->temperature_c();
  }
  sampler_->discard_before(t0_);
  window_open_ = true;
}

WindowResult Monitor::end_window(const std::function<void()>& sync) {
  if (!window_open_) throw util::Error("energy: no measurement window is open");
  window_open_ = false;  // closed whatever happens below
  if (sync) sync();
  const double t1 = clock_->now();
  std::vector<EdgeReading> end(meters_.size());
  for (size_t i = 0; i < meters_.size(); ++i) {
    if (meters_[i]->status().available && meters_[i]->has_counter()) end[i].energy = meters_[i]->energy_joules();
  }
  sampler_->sample_once();  // a sample at or after the edge, for interpolation
  for (size_t i = 0; i < meters_.size(); ++i) {
    if (meters_[i]->status().available) end[i].temperature_c = meters_[i]->temperature_c();
  }

  WindowResult r;
  r.seconds = t1 - t0_;
  r.t0 = t0_;
  r.t1 = t1;
  r.short_window = r.seconds < options_.short_window_seconds;
  for (size_t i = 0; i < meters_.size(); ++i) {
    Meter& m = *meters_[i];
    MeterWindowInput in;
    in.status = m.status();
    in.has_counter = m.has_counter();
    in.power_source = m.power_source();
    in.begin = begin_edges_[i];
    in.end = end[i];
    in.samples = sampler_->samples_around(i, t0_, t1);
    if (auto it = idle_watts_.find(in.status.name); it != idle_watts_.end()) in.idle_watts = it->second;
    r.meters.push_back(compute_meter_energy(in, t0_, t1, options_.disagreement_threshold));
    if (options_.timeline) {
      for (const auto& s : in.samples) {
        if (s.t >= t0_ && s.t <= t1) r.timeline.push_back({s.t - t0_, in.status.name, s.watts});
      }
    }
    r.samples.push_back(std::move(in.samples));
  }
  sampler_->discard_before(t1);
  return r;
}

WindowResult Monitor::measure_idle(double seconds) {
  idle_watts_.clear();
  if (seconds <= 0) return {};
  Window window = open_window();
  clock_->sleep_for(seconds);
  WindowResult r = window.close();
  for (auto& e : r.meters) {
    if (e.available && e.total_joules && r.seconds > 0) {
      e.idle_watts = *e.total_joules / r.seconds;
      idle_watts_[e.meter] = *e.idle_watts;
    }
  }
  return r;
}

Fingerprint Monitor::fingerprint() {
  Fingerprint f;
  const HostInfo host = read_host_info();
  f.json["host"] = to_json(host);
  f.json["gpus"] = nlohmann::json::array();
  std::vector<std::string> uuids;
  for (auto& m : meters_) {
    if (auto* gpu = dynamic_cast<NvmlMeter*>(m.get())) {
      f.json["gpus"].push_back(gpu->info());
      uuids.push_back(gpu->uuid());
    }
  }
  nlohmann::json meters = nlohmann::json::array();
  for (auto& m : meters_) {
    const auto& s = m->status();
    nlohmann::json j = {{"name", s.name}, {"kind", s.kind}, {"device", s.device}, {"available", s.available}};
    if (!s.available) j["reason"] = s.reason;
    if (s.available && s.kind != "gpu") j["info"] = m->info();
    meters.push_back(j);
  }
  f.json["meters"] = meters;
  f.json["nvml"] = nullptr;
  for (auto& m : meters_) {
    if (auto* gpu = dynamic_cast<NvmlMeter*>(m.get())) {
      const NvmlLibrary& lib = gpu->library();
      auto or_null = [](const std::string& v) { return v.empty() ? nlohmann::json() : nlohmann::json(v); };
      f.json["nvml"] = {{"library", lib.path()},
                        {"driver_version", or_null(lib.driver_version())},
                        {"cuda_driver_version", or_null(lib.cuda_driver_version())}};
      break;
    }
  }
  f.json["sampling"] = {
      {"interval_s", interval_},
      {"counter_update_period_s", update_period_ ? nlohmann::json(*update_period_) : nlohmann::json()}};
  f.json["jouleval_version"] = util::build::kVersion;
  f.json["llama_cpp_revision"] = util::build::kLlamaRevision;
  f.machine_id = machine_id(host.hostname, host.cpu_model, uuids);
  f.json["machine_id"] = f.machine_id;
  return f;
}

}  // namespace jouleval::energy
