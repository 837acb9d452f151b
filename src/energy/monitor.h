// The energy layer's entry point: owns every meter and the sampler thread, measures the idle
// baseline and measurement windows, and describes the machine. One Monitor per process is typical.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "energy/clock.h"
#include "energy/fingerprint.h"
#include "energy/meter.h"
#include "energy/sampler.h"
#include "energy/window.h"
#include "results/records.h"

namespace jouleval::energy {

// How long one reading of the external meter may take by default (--external-timeout).
inline constexpr double kDefaultExternalTimeoutSeconds = 10;

struct MonitorOptions {
  std::string nvml_library;  // "" -> $JOULEVAL_NVML_LIBRARY, else libnvidia-ml.so.1
  std::string rapl_root = "/sys/class/powercap";
  std::string external_command;                                      // prints cumulative joules (run via /bin/sh -c)
  std::string external_file;                                         // holds cumulative joules
  double external_timeout_seconds = kDefaultExternalTimeoutSeconds;  // per reading (ReadLimits)
  bool use_nvml = true;
  bool use_rapl = true;
  double sample_interval_ms = 0;         // 0 -> half the measured NVML counter update period
  bool timeline = false;                 // keep power samples in each WindowResult
  double disagreement_threshold = 0.05;  // relative counter-vs-integral difference flagged
  double short_window_seconds = 1.0;     // windows shorter than this are flagged
  std::shared_ptr<Clock> clock;          // null -> SteadyClock
  bool sampler_thread = true;            // false: only sample_once() and window edges sample (tests)
};

struct WindowResult {
  double seconds = 0;
  bool short_window = false;
  std::vector<results::MeterEnergy> meters;
  std::vector<results::PowerSample> timeline;  // t relative to the window's start; empty unless enabled
  // The window's edges on the monitor's clock, and each meter's power samples on it (one entry per
  // element of `meters`, in order; the nearest sample outside each edge included; empty for a meter
  // without power samples), for splitting the window into phases (energy/phases.h).
  double t0 = 0;
  double t1 = 0;
  std::vector<std::vector<TimedWatts>> samples;
};

// A GPU the measured work runs on, as the engine names it.
struct GpuRef {
  int visible_index = -1;  // among the GPUs CUDA sees (CUDA's numbering, from 0)
  std::string pci_bus_id;  // the engine's device id ("0000:19:00.0"); matched first when set
  std::string name;        // for messages: "CUDA0 (NVIDIA H200)"
};

// The GPUs the measured work uses (docs/energy.md "Which GPUs are metered").
struct GpuUse {
  std::string label = "this process (the GPUs CUDA sees)";  // what uses them: "placement gpus:0,1"
  bool all_visible = true;                                  // every GPU CUDA sees ($CUDA_VISIBLE_DEVICES)
  std::vector<GpuRef> gpus;                                 // the GPUs, when !all_visible
};

class Monitor {
 public:
  explicit Monitor(MonitorOptions options = {});
  ~Monitor();  // stops the sampler, then releases the meters (NVML shutdown, dlclose)
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  std::vector<MeterStatus> meters_status() const;
  // Whether at least one meter can measure.
  bool any_meter_available() const;
  // Whether a meter that sees the whole host (not one GPU: RAPL, an external meter) can measure.
  bool host_meter_available() const;
  // The PCI bus ids (canonical_pci_bus_id form) of the GPUs CUDA sees, in CUDA's order
  // ($CUDA_VISIBLE_DEVICES, as select_gpus maps them); empty when NVML reports no GPU or a visible
  // GPU's bus id is unknown.
  std::vector<std::string> visible_gpu_bus_ids() const;

  // Meters exactly the GPUs of `use` from now on (at construction: every visible GPU). Every other
  // GPU NVML reports is in each window's result as unused (available false, reason "unused: ...";
  // results::meter_unused), so never summed, and gets no idle baseline; a GPU of `use` that NVML
  // does not report is an unavailable meter "gpu:N" saying so. GPUs are matched by PCI bus id, else
  // by visible index through $CUDA_VISIBLE_DEVICES (energy/gpu_selection.h). Returns what is
  // metered, for the log. Throws util::Error when a window is open. Call it from the thread that
  // owns the windows (live_watts and read_interval read the selection).
  std::string select_gpus(const GpuUse& use);
  // What the last select_gpus returned.
  const std::string& gpu_selection() const { return gpu_selection_; }

  // Measures every meter for `seconds` with nothing running and keeps each meter's idle watts for
  // the active energy of later windows. seconds <= 0 forgets the baseline. Returns the idle window.
  WindowResult measure_idle(double seconds);
  const std::map<std::string, double>& idle_watts() const { return idle_watts_; }

  // A measurement window, open from Monitor::open_window until close(). A window that is destroyed
  // without close() (an exception left the measured work) is cancelled: it measures nothing and the
  // monitor is ready for the next window. One window at a time per monitor; not thread-safe.
  class Window {
   public:
    // Closes the window: calls `sync` first so that the window's work is done, then reads the edge.
    // Throws util::Error when the window was already closed.
    WindowResult close(const std::function<void()>& sync = {});
    ~Window();
    Window(Window&& other) noexcept;
    Window& operator=(Window&&) = delete;
    Window(const Window&) = delete;
    Window& operator=(const Window&) = delete;

   private:
    friend class Monitor;
    explicit Window(Monitor* monitor) : monitor_(monitor) {}
    Monitor* monitor_;  // null once closed or moved from
  };

  // Opens a window: calls `sync` (e.g. waits for the GPU to finish queued work), then reads the
  // edge. Throws util::Error when a window is already open.
  [[nodiscard]] Window open_window(const std::function<void()>& sync = {});
  bool window_open() const { return window_open_; }

  // The energy of each meter over part of the open window, from its power samples: for printing
  // intervals while the measured work runs (`jouleval meter -I`). Not the window's result (that
  // comes from the counters at its edges).
  struct IntervalEnergy {
    std::string meter;
    std::optional<double> joules;  // nullopt: no power samples around the interval
  };
  struct Interval {
    double t_end = 0;  // Clock seconds
    std::vector<IntervalEnergy> meters;
  };
  // Takes a power sample now, then integrates each available sampled meter's power over
  // [since, now] (a meter read only at window edges, e.g. external, is left out). Thread-safe with
  // the sampler and with the thread that owns the open window. Needs an open window.
  Interval read_interval(double since);
  // Clock seconds at which the open window started.
  double window_start() const { return t0_; }
  double now() const { return clock_->now(); }

  // Latest total sampled power (W) for a progress display; nullopt before the first sample.
  std::optional<double> live_watts() const;

  // The machine: host facts, GPUs (name, UUID, architecture, limits, clocks, temperature, persistence),
  // NVML driver and CUDA versions, meters, jouleval and llama.cpp versions.
  Fingerprint fingerprint();

  double sample_interval_seconds() const { return interval_; }
  std::optional<double> counter_update_period_seconds() const { return update_period_; }
  // Takes one power sample now (tests drive sampling with this on a ManualClock).
  void sample_once();

 private:
  void begin_window(const std::function<void()>& sync);
  WindowResult end_window(const std::function<void()>& sync);
  void cancel_window() noexcept;

  MonitorOptions options_;
  std::shared_ptr<Clock> clock_;
  std::vector<std::unique_ptr<Meter>> meters_;
  std::unique_ptr<Sampler> sampler_;
  double interval_ = 0.1;
  std::optional<double> update_period_;
  std::map<std::string, double> idle_watts_;
  bool window_open_ = false;
  double t0_ = 0;
  std::vector<EdgeReading> begin_edges_;
  // The GPU selection (select_gpus): per meter, why it is unused ("" = metered); per meter, its
  // visible index (-1: not visible or not a GPU); listed GPUs NVML does not report.
  std::vector<std::string> unused_;
  std::vector<int> visible_index_;
  std::vector<results::MeterEnergy> missing_gpus_;
  nlohmann::json gpu_visibility_;
  std::string gpu_selection_;
};

}  // namespace jouleval::energy
