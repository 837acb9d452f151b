#include "energy/monitor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "energy/external_meter.h"
#include "energy/gpu_selection.h"
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

  unused_.assign(meters_.size(), "");
  visible_index_.assign(meters_.size(), -1);
  select_gpus(GpuUse{});  // every GPU CUDA sees, until the work says which it uses

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

bool Monitor::host_meter_available() const {
  return std::any_of(meters_.begin(), meters_.end(), [](const auto& m) {
    const MeterStatus st = m->status();
    return st.available && st.kind != "gpu";
  });
}

namespace {

const char* env_or_null(const char* name) { return std::getenv(name); }

// The GPUs among `meters` (NVML's), and for each its position in `meters` (when `meter_of` is given).
std::vector<NvmlGpu> nvml_gpus(const std::vector<std::unique_ptr<Meter>>& meters, std::vector<size_t>* meter_of) {
  std::vector<NvmlGpu> nvml;
  for (size_t i = 0; i < meters.size(); ++i) {
    if (const auto* g = dynamic_cast<const NvmlMeter*>(meters[i].get())) {
      nvml.push_back({g->index(), g->uuid(), g->pci_bus_id(), g->status().device});
      if (meter_of != nullptr) meter_of->push_back(i);
    }
  }
  return nvml;
}

}  // namespace

std::vector<std::string> Monitor::visible_gpu_bus_ids() const {
  const std::vector<NvmlGpu> nvml = nvml_gpus(meters_, nullptr);
  const VisibleGpus visible = visible_gpus(nvml, env_or_null("CUDA_VISIBLE_DEVICES"), env_or_null("CUDA_DEVICE_ORDER"));
  std::vector<std::string> out;
  for (size_t k : visible.gpus) {
    if (nvml[k].pci_bus_id.empty()) return {};
    out.push_back(nvml[k].pci_bus_id);
  }
  return out;
}

namespace {

std::string describe_gpu(const NvmlMeter& g) {
  std::string out = fmt::format("{} ({}", g.status().name, g.status().device);
  if (!g.uuid().empty()) out += ", " + g.uuid();
  if (!g.pci_bus_id().empty()) out += ", " + g.pci_bus_id();
  return out + ")";
}

nlohmann::json env_json(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? nlohmann::json() : nlohmann::json(v);
}

}  // namespace

std::string Monitor::select_gpus(const GpuUse& use) {
  if (window_open_) throw util::Error("energy: the GPUs metered cannot change while a window is open");
  // The GPUs NVML could open, and which of them CUDA sees.
  std::vector<size_t> meter_of;  // position in `nvml` -> meter index
  const std::vector<NvmlGpu> nvml = nvml_gpus(meters_, &meter_of);
  const VisibleGpus visible = visible_gpus(nvml, env_or_null("CUDA_VISIBLE_DEVICES"), env_or_null("CUDA_DEVICE_ORDER"));
  std::fill(visible_index_.begin(), visible_index_.end(), -1);
  for (size_t k = 0; k < visible.gpus.size(); ++k) visible_index_[meter_of[visible.gpus[k]]] = static_cast<int>(k);

  std::vector<std::optional<size_t>> used(use.all_visible ? visible.gpus.size() : use.gpus.size());
  std::vector<std::string> metered;  // "GPU 0 = nvml:2 (...)", in the work's order
  missing_gpus_.clear();
  auto say = [&](size_t meter, const std::string& gpu) {
    metered.push_back(fmt::format("{} = {}", gpu, describe_gpu(*dynamic_cast<const NvmlMeter*>(meters_[meter].get()))));
  };
  if (use.all_visible) {
    for (size_t k = 0; k < visible.gpus.size(); ++k) {
      used[k] = meter_of[visible.gpus[k]];
      say(*used[k], fmt::format("GPU {}", k));
    }
  } else {
    for (size_t k = 0; k < use.gpus.size(); ++k) {
      const GpuRef& ref = use.gpus[k];
      std::string why;
      if (const auto pci = canonical_pci_bus_id(ref.pci_bus_id)) {
        for (size_t n = 0; n < nvml.size(); ++n) {
          if (nvml[n].pci_bus_id == *pci) used[k] = meter_of[n];
        }
        if (!used[k]) why = fmt::format("no NVML GPU has PCI bus id {}", *pci);
      } else if (ref.visible_index >= 0 && static_cast<size_t>(ref.visible_index) < visible.gpus.size()) {
        used[k] = meter_of[visible.gpus[static_cast<size_t>(ref.visible_index)]];
      } else {
        why = fmt::format("not among the {} GPU(s) visible to CUDA ({})", visible.gpus.size(), visible.source);
      }
      if (used[k]) say(*used[k], fmt::format("GPU {}{}", ref.visible_index, ref.name.empty() ? "" : " " + ref.name));
      if (!used[k] && !nvml.empty()) {
        results::MeterEnergy e;
        e.meter = fmt::format("gpu:{}", ref.visible_index);
        e.device = ref.name;
        e.kind = "gpu";
        e.unavailable_reason = fmt::format("GPU {} of {}: {}", ref.visible_index, use.label, why);
        missing_gpus_.push_back(std::move(e));
      }
    }
  }
  std::vector<std::string> unused;
  for (size_t n = 0; n < nvml.size(); ++n) {
    const size_t i = meter_of[n];
    if (std::find(used.begin(), used.end(), std::optional<size_t>(i)) != used.end()) {
      unused_[i].clear();
    } else {
      unused_[i] = fmt::format("unused: not among the GPUs of {}", use.label);
      unused.push_back(meters_[i]->status().name);
    }
  }
  gpu_visibility_ = {{"cuda_visible_devices", env_json("CUDA_VISIBLE_DEVICES")},
                     {"cuda_device_order", env_json("CUDA_DEVICE_ORDER")},
                     {"slurm_job_gpus", env_json("SLURM_JOB_GPUS")},
                     {"slurm_step_gpus", env_json("SLURM_STEP_GPUS")},
                     {"metered_for", use.label},
                     {"notes", visible.notes}};
  std::string out = fmt::format("GPUs metered for {} ({}): {}", use.label, visible.source,
                                metered.empty() ? std::string("none") : fmt::format("{}", fmt::join(metered, ", ")));
  if (!unused.empty()) out += fmt::format("; unused, not counted: {}", fmt::join(unused, ", "));
  for (const auto& e : missing_gpus_) out += fmt::format("; {}", e.unavailable_reason);
  for (const auto& note : visible.notes) out += fmt::format("; note: {}", note);
  const char* slurm = std::getenv("SLURM_JOB_GPUS");
  if (slurm != nullptr && std::getenv("CUDA_VISIBLE_DEVICES") == nullptr)
    out += fmt::format("; note: SLURM_JOB_GPUS='{}' but CUDA_VISIBLE_DEVICES is unset: CUDA uses every GPU it can see",
                       slurm);
  gpu_selection_ = out;
  return out;
}

void Monitor::sample_once() { sampler_->sample_once(); }

std::optional<double> Monitor::live_watts() const {
  return sampler_->live_watts([this](size_t i) { return unused_[i].empty(); });
}

Monitor::Interval Monitor::read_interval(double since) {
  sampler_->sample_once();
  Interval out;
  out.t_end = clock_->now();
  for (size_t i = 0; i < meters_.size(); ++i) {
    const Meter& m = *meters_[i];
    if (!m.status().available || m.power_source() == PowerSource::kNone || !unused_[i].empty()) continue;
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
    if (!unused_[i].empty()) {
      results::MeterEnergy e;
      e.meter = m.status().name;
      e.device = m.status().device;
      e.kind = m.status().kind;
      e.unavailable_reason = unused_[i];
      r.meters.push_back(std::move(e));
      continue;
    }
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
  r.meters.insert(r.meters.end(), missing_gpus_.begin(), missing_gpus_.end());
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
  for (size_t i = 0; i < meters_.size(); ++i) {
    if (auto* gpu = dynamic_cast<NvmlMeter*>(meters_[i].get())) {
      nlohmann::json g = gpu->info();
      g["visible_index"] = visible_index_[i] >= 0 ? nlohmann::json(visible_index_[i]) : nlohmann::json();
      g["used"] = unused_[i].empty();
      f.json["gpus"].push_back(std::move(g));
      uuids.push_back(gpu->uuid());
    }
  }
  f.json["gpu_visibility"] = gpu_visibility_;
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
