// `jouleval meter [options] -- COMMAND [ARGS...]`: runs a command and reports the energy it took on
// every meter (GPU via NVML, CPU/DRAM via RAPL, an external meter), its CPU time and peak memory,
// like `perf stat` and `/usr/bin/time`. The report goes to standard error (or -o FILE): standard
// output stays the command's. Output paths are checked before the command runs and written
// atomically (--csv appends a row per repetition); a stop signal (SIGTERM, SIGINT, SIGHUP, SIGQUIT)
// is forwarded to the command and what was measured is still reported (docs/energy.md,
// "jouleval meter").
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "cli/command.h"
#include "cli/measure_options.h"
#include "cli/meter_csv.h"
#include "energy/child_process.h"
#include "energy/cpu_estimate.h"
#include "energy/json.h"
#include "energy/monitor.h"
#include "results/stats.h"
#include "sweep/measure_locks.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/file_lock.h"
#include "util/json_text.h"

namespace jouleval::cli {

namespace {

// Ranges of meter's own numeric options (docs/energy.md, "Options and their ranges").
constexpr double kMaxIdleSeconds = 3600;
constexpr int kMaxRepeat = 1000;
constexpr double kMinIntervalMs = 10;
constexpr double kMaxIntervalMs = 600 * 1000;
constexpr double kMaxTdpWatts = 10000;
constexpr double kMaxCores = 65536;

struct MeterArgs {
  bool json = false;
  std::string timeline;
  std::string output;
  std::string csv;
  double interval_ms = 0;  // 0: no interval lines
  std::string estimate;    // --estimate SPEC, "" when none
  double idle_seconds = 5.0;
  int repeat = 1;
  energy::MonitorOptions monitor;
  std::vector<std::string> command;
};

// --estimate cpu-tdp=WATTS[,cores=N] (docs/energy.md, "Estimates").
struct EstimateSpec {
  bool enabled = false;
  double tdp_watts = 0;
  unsigned cores = 0;
};

struct Repetition {
  int exit_code = 0;
  std::string started_utc;  // ISO 8601, for the CSV
  energy::WindowResult window;
  energy::ResourceUsage usage;
  std::optional<energy::CpuTdpEstimate> estimate;
};

// Appends formatted text to `out`.
template <typename... Args>
void put(std::string& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
}

// A message on standard error. A failing standard error (full, closed) loses the message, never the
// result or the exit code: the error is ignored.
template <typename... Args>
void note(fmt::format_string<Args...> format, Args&&... args) {
  const std::string text = fmt::format(format, std::forward<Args>(args)...);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

std::string joules(const std::optional<double>& j) {
  if (!j) return "n/a";
  return std::abs(*j) >= 3600 ? fmt::format("{:.1f} J ({:.4f} Wh)", *j, *j / 3600) : fmt::format("{:.2f} J", *j);
}

std::string watts(const std::optional<double>& w) { return w ? fmt::format("{:.1f} W", *w) : "n/a"; }

// A number of the --estimate specification, in [lo, hi] (an integer when `integer`).
double estimate_number(const std::string& spec, const std::string& key, const std::string& text, double lo, double hi,
                       bool integer) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  const bool ok = end != begin && *end == '\0' && errno != ERANGE && std::isfinite(v) && v >= lo && v <= hi &&
                  (!integer || v == std::floor(v));
  if (!ok) {
    throw util::Error(fmt::format("--estimate: '{}': {} must be {} from {:g} to {:g}, not '{}'", spec, key,
                                  integer ? "an integer" : "a number", lo, hi, text),
                      util::ErrorKind::kUsage);
  }
  return v;
}

// Parses `cpu-tdp=WATTS[,cores=N]`; cores default to the online logical CPUs. Throws util::Error
// (kUsage) naming --estimate.
EstimateSpec parse_estimate(const std::string& spec) {
  constexpr const char* kForm = "expected cpu-tdp=WATTS[,cores=N]";
  EstimateSpec e;
  e.enabled = true;
  bool has_tdp = false, has_cores = false;
  size_t pos = 0;
  while (pos <= spec.size()) {
    const size_t comma = std::min(spec.find(',', pos), spec.size());
    const std::string item = spec.substr(pos, comma - pos);
    pos = comma + 1;
    const size_t eq = item.find('=');
    const std::string key = item.substr(0, eq), value = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (eq == std::string::npos || (key != "cpu-tdp" && key != "cores") || (key == "cpu-tdp" && has_tdp) ||
        (key == "cores" && has_cores)) {
      throw util::Error(fmt::format("--estimate: '{}': {}", spec, kForm), util::ErrorKind::kUsage);
    }
    if (key == "cpu-tdp") {
      e.tdp_watts = estimate_number(spec, key, value, 0.1, kMaxTdpWatts, false);
      has_tdp = true;
    } else {
      e.cores = static_cast<unsigned>(estimate_number(spec, key, value, 1, kMaxCores, true));
      has_cores = true;
    }
  }
  if (!has_tdp) throw util::Error(fmt::format("--estimate: '{}': {}", spec, kForm), util::ErrorKind::kUsage);
  if (!has_cores) e.cores = static_cast<unsigned>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  return e;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

void print_meter(std::string& out, const results::MeterEnergy& e) {
  if (results::meter_unused(e)) {  // a GPU outside CUDA_VISIBLE_DEVICES: listed, not counted
    put(out, "  {:<14} {} (gpu): {}, not counted\n", e.meter, e.device, e.unavailable_reason);
    return;
  }
  if (!e.available) {
    put(out, "  {:<14} unavailable: {}\n", e.meter, e.unavailable_reason);
    return;
  }
  put(out, "  {:<14} {} ({})\n", e.meter, e.device, e.kind);
  std::string energy = fmt::format("{} total", joules(e.total_joules));
  if (e.counter_joules && e.integrated_joules) {
    energy = fmt::format("{} counter, {} integrated power ({:.1f}% apart{})", joules(e.counter_joules),
                         joules(e.integrated_joules), *e.disagreement * 100,
                         e.disagreement_flag ? ", DISAGREE: above threshold" : "");
  } else if (e.counter_joules) {
    energy = fmt::format("{} counter", joules(e.counter_joules));
  } else if (e.integrated_joules) {
    energy = fmt::format("{} integrated power (no counter)", joules(e.integrated_joules));
  }
  put(out, "    energy       {}\n", energy);
  if (e.active_joules) {
    put(out, "    active       {} (idle {} subtracted)\n", joules(e.active_joules), watts(e.idle_watts));
  } else {
    put(out, "    active       n/a (no idle baseline)\n");
  }
  put(out, "    power        avg {}, peak {}\n", watts(e.avg_watts), watts(e.peak_watts));
  if (e.temp_start_c || e.temp_end_c) {
    auto t = [](const std::optional<double>& c) { return c ? fmt::format("{:.0f}", *c) : std::string("n/a"); };
    put(out, "    temperature  {} -> {} C\n", t(e.temp_start_c), t(e.temp_end_c));
  }
  if (!e.unavailable_reason.empty()) put(out, "    note         {}\n", e.unavailable_reason);
}

// CPU time and peak memory, as /usr/bin/time prints them.
void print_usage(std::string& out, const energy::ResourceUsage& u, double seconds) {
  put(out, "  user           {:.3f} s\n", u.user_seconds);
  put(out, "  sys            {:.3f} s\n", u.system_seconds);
  if (seconds > 0) {
    put(out, "  cpu            {:.0f}% (user + sys over elapsed; 100% = one logical CPU busy)\n",
        100 * (u.user_seconds + u.system_seconds) / seconds);
  }
  put(out, "  peak RSS       {} KiB ({:.1f} MiB, the largest single process)\n", u.max_rss_kib,
      static_cast<double>(u.max_rss_kib) / 1024);
}

void print_estimate(std::string& out, const energy::CpuTdpEstimate& e) {
  put(out,
      "  cpu-tdp        {} ESTIMATED, not measured: {:g} W TDP x {:.3f} s CPU time / {} logical CPUs "
      "(utilization {:.1f}%)\n",
      joules(e.joules), e.tdp_watts, e.cpu_seconds, e.cores, e.utilization * 100);
}

nlohmann::json estimate_json(const energy::CpuTdpEstimate& e) {
  return {{"name", "cpu-tdp"},
          {"kind", "cpu"},
          {"estimated", true},
          {"joules", e.joules},
          {"tdp_watts", e.tdp_watts},
          {"cores", e.cores},
          {"cpu_seconds", e.cpu_seconds},
          {"utilization", e.utilization},
          {"formula", "tdp_watts * (user_seconds + system_seconds) / cores"}};
}

// Statistics over repetitions: seconds, CPU times, peak RSS, total/active joules of each meter that
// had them in every one, and the estimate (apart from the meters).
nlohmann::json repetition_stats(const std::vector<Repetition>& reps) {
  std::vector<double> seconds, user, sys, rss, estimated;
  std::map<std::string, std::vector<double>> total, active;
  for (const auto& r : reps) {
    seconds.push_back(r.window.seconds);
    user.push_back(r.usage.user_seconds);
    sys.push_back(r.usage.system_seconds);
    rss.push_back(static_cast<double>(r.usage.max_rss_kib));
    if (r.estimate) estimated.push_back(r.estimate->joules);
    for (const auto& m : r.window.meters) {
      if (m.total_joules) total[m.meter].push_back(*m.total_joules);
      if (m.active_joules) active[m.meter].push_back(*m.active_joules);
    }
  }
  nlohmann::json j;
  j["seconds"] = energy::to_json(results::summarize(seconds));
  j["user_seconds"] = energy::to_json(results::summarize(user));
  j["system_seconds"] = energy::to_json(results::summarize(sys));
  j["max_rss_kib"] = energy::to_json(results::summarize(rss));
  j["meters"] = nlohmann::json::object();
  for (const auto& [name, v] : total) {
    if (v.size() != reps.size()) continue;
    j["meters"][name]["total_joules"] = energy::to_json(results::summarize(v));
    if (active[name].size() == reps.size())
      j["meters"][name]["active_joules"] = energy::to_json(results::summarize(active[name]));
  }
  if (!estimated.empty()) {
    j["estimates"]["cpu-tdp"] = {{"estimated", true}, {"joules", energy::to_json(results::summarize(estimated))}};
  }
  return j;
}

// One statistic; its figures are divided by `scale` (KiB shown as MiB).
void print_stats_line(std::string& out, const std::string& label, const nlohmann::json& s, const char* unit,
                      double scale = 1) {
  const double mean = s["mean"].get<double>() / scale;
  if (s["stddev"].is_null()) {
    put(out, "  {:<28} {:.3f} {} (n={})\n", label, mean, unit, s["n"].get<size_t>());
    return;
  }
  put(out, "  {:<28} {:.3f} ± {:.3f} {}  95% CI [{:.3f}, {:.3f}]  (n={})\n", label, mean,
      s["stddev"].get<double>() / scale, unit, s["ci95_low"].get<double>() / scale,
      s["ci95_high"].get<double>() / scale, s["n"].get<size_t>());
}

std::string timeline_csv(const std::vector<Repetition>& reps) {
  std::string out = "repetition,t_seconds,meter,watts\n";
  for (size_t i = 0; i < reps.size(); ++i) {
    for (const auto& s : reps[i].window.timeline) put(out, "{},{:.6f},{},{:.3f}\n", i, s.t_seconds, s.meter, s.watts);
  }
  return out;
}

// One --csv column of a meter kind: the sum over the window's meters of those kinds when every one
// of them has the figure (a partial sum would read as the whole); empty when none exists or one
// lacks it. Never a zero for a missing meter.
std::string kind_column(const std::vector<results::MeterEnergy>& meters, std::initializer_list<std::string_view> kinds,
                        bool active) {
  double sum = 0;
  size_t n = 0;
  for (const auto& m : meters) {
    if (std::find(kinds.begin(), kinds.end(), m.kind) == kinds.end()) continue;
    const std::optional<double>& v = active ? m.active_joules : m.total_joules;
    if (!v) return "";
    sum += *v;
    ++n;
  }
  return n == 0 ? "" : fmt::format("{:.6f}", sum);
}

// The --csv rows, one per repetition (columns: meter_csv_header(), docs/energy.md).
std::string csv_rows(const std::vector<std::string>& command, const std::vector<Repetition>& reps, int stop_signal) {
  const std::string host = csv_field(host_name());
  const std::string cmd = csv_field(fmt::format("{}", fmt::join(command, " ")));
  std::string out;
  for (size_t i = 0; i < reps.size(); ++i) {
    const Repetition& r = reps[i];
    const auto& m = r.window.meters;
    std::string unavailable;
    for (const auto& e : m) {
      if (e.total_joules || results::meter_unused(e)) continue;  // unused GPUs: not meters of this work
      if (!unavailable.empty()) unavailable += ' ';
      unavailable += e.meter;
    }
    const bool last = i + 1 == reps.size();
    put(out, "{},{},{},{},{},{},{:.6f},{:.6f},{:.6f},{},", r.started_utc, host, cmd, i + 1, r.exit_code,
        last && stop_signal != 0 ? energy::signal_name(stop_signal) : "", r.window.seconds, r.usage.user_seconds,
        r.usage.system_seconds, r.usage.max_rss_kib);
    put(out, "{},{},{},{},{},{},{},{},{},", kind_column(m, {"gpu"}, false), kind_column(m, {"gpu"}, true),
        kind_column(m, {"cpu"}, false), kind_column(m, {"cpu"}, true), kind_column(m, {"dram"}, false),
        kind_column(m, {"dram"}, true), kind_column(m, {"external", "system"}, false),
        kind_column(m, {"external", "system"}, true), csv_field(unavailable));
    if (r.estimate) {
      put(out, "{:.6f},{:g},{}\n", r.estimate->joules, r.estimate->tdp_watts, r.estimate->cores);
    } else {
      put(out, ",,\n");
    }
  }
  return out;
}

[[noreturn]] void write_failed(const std::string& where, int error_number) {
  throw util::Error(fmt::format("{}: cannot write: {}", where, std::strerror(error_number)),
                    util::write_error_kind(error_number));
}

// Writes `data` to every byte or throws util::Error (kNoSpace for a full disk) naming `where`.
void write_all(int fd, std::string_view data, const std::string& where) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      write_failed(where, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Writes the result to standard error; a closed pipe is an error (EPIPE) rather than SIGPIPE.
void write_stderr(std::string_view data) {
  std::fflush(stderr);
  struct sigaction ignore {
  }, saved{};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, &saved);
  struct Restore {
    struct sigaction* saved;
    ~Restore() { sigaction(SIGPIPE, saved, nullptr); }
  } restore{&saved};
  write_all(STDERR_FILENO, data, "standard error");
}

// Prints, every `interval` seconds while a repetition runs, a line on standard error with the time
// since the window opened and each sampled meter's energy and average power over the interval, like
// `perf stat -I` (docs/energy.md, "Interval lines (-I MS)"). Deadlines are multiples of the interval
// from the window's start; a late wake-up skips the deadlines it missed (its line covers the whole
// stretch since the previous one). The destructor stops the thread and joins it; no line is printed
// after that.
class IntervalPrinter {
 public:
  // `header`: print the column line first (before the first repetition's lines).
  IntervalPrinter(energy::Monitor& monitor, double interval_seconds, std::string prefix, bool header)
      : monitor_(monitor),
        interval_(interval_seconds),
        prefix_(std::move(prefix)),
        header_(header),
        no_meter_(monitor.any_meter_available()
                      ? "no sampled meter (an external meter is read at the window's edges only)"
                      : "no energy meter"),
        thread_([this] { run(); }) {}
  ~IntervalPrinter() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  IntervalPrinter(const IntervalPrinter&) = delete;
  IntervalPrinter& operator=(const IntervalPrinter&) = delete;

 private:
  void run() {
    // A closed standard error (`2>&1 | head`) must not kill jouleval while it measures: SIGPIPE is
    // blocked in this thread only (the command, forked from the main thread, keeps its disposition),
    // so a write fails with EPIPE and the lines stop.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    try {
      if (header_ &&
          !write_line(fmt::format("#      time  energy and average power of each meter over the last {:g} ms "
                                  "(jouleval meter -I)\n",
                                  interval_ * 1000)))
        return;
      print_lines();
    } catch (const std::exception& e) {
      write_line(fmt::format("jouleval meter: interval lines stopped: {}\n", e.what()));
    }
  }

  void print_lines() {
    const double t0 = monitor_.window_start();
    double since = t0;
    double k = 1;
    std::unique_lock lock(mu_);
    while (!stopping_) {
      const double wait = t0 + k * interval_ - monitor_.now();
      if (wait > 0 && cv_.wait_for(lock, std::chrono::duration<double>(wait), [this] { return stopping_; })) return;
      if (wait > 0) continue;  // woke early (spuriously): wait again for the same deadline
      lock.unlock();
      const energy::Monitor::Interval iv = monitor_.read_interval(since);
      std::string line = fmt::format("{}{:>10.3f} s ", prefix_, iv.t_end - t0);
      const double dt = iv.t_end - since;
      for (const auto& m : iv.meters) {
        if (m.joules && dt > 0) {
          put(line, " {} {:.3f} J {:.1f} W", m.meter, *m.joules, *m.joules / dt);
        } else {
          put(line, " {} n/a", m.meter);
        }
      }
      if (iv.meters.empty()) put(line, " {}", no_meter_);
      if (!write_line(line + "\n")) return;
      since = iv.t_end;
      k = std::max(k + 1, std::floor((monitor_.now() - t0) / interval_) + 1);
      lock.lock();
    }
  }

  // One write(2) per line, so that lines do not interleave with the command's own output mid-line.
  // False once standard error cannot be written.
  static bool write_line(std::string_view line) {
    while (!line.empty()) {
      const ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      line.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  energy::Monitor& monitor_;
  const double interval_;
  const std::string prefix_;
  const bool header_;
  const std::string no_meter_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above is set
};

struct Context {
  const MeterArgs& args;
  const std::vector<std::string>& command;
  energy::Monitor& monitor;
  const std::optional<energy::WindowResult>& idle;
  const std::string& idle_skipped;
  const std::vector<std::string>& warnings;
  const std::vector<Repetition>& reps;
  int exit_code;
  int stop_signal;
};

std::string report_json(const Context& c) {
  nlohmann::json j;
  j["command"] = c.command;
  j["exit_code"] = c.exit_code;
  j["stopped_by"] = c.stop_signal != 0 ? nlohmann::json(energy::signal_name(c.stop_signal)) : nlohmann::json();
  j["warnings"] = c.warnings;
  j["meters"] = nlohmann::json::array();
  for (const auto& s : c.monitor.meters_status()) j["meters"].push_back(energy::to_json(s));
  j["idle"] = c.idle ? energy::to_json(*c.idle) : nlohmann::json();
  if (c.idle) j["idle"]["requested_seconds"] = c.args.idle_seconds;
  if (!c.idle_skipped.empty()) j["idle_skipped"] = c.idle_skipped;
  j["repetitions"] = nlohmann::json::array();
  for (const auto& r : c.reps) {
    nlohmann::json w = energy::to_json(r.window);
    w.erase("timeline");  // the timeline goes to --timeline FILE
    w["exit_code"] = r.exit_code;
    w["user_seconds"] = r.usage.user_seconds;
    w["system_seconds"] = r.usage.system_seconds;
    w["max_rss_kib"] = r.usage.max_rss_kib;
    if (r.estimate) w["estimates"] = nlohmann::json::array({estimate_json(*r.estimate)});
    j["repetitions"].push_back(w);
  }
  j["stats"] = repetition_stats(c.reps);
  j["sampling"] = {{"interval_s", c.monitor.sample_interval_seconds()},
                   {"counter_update_period_s", c.monitor.counter_update_period_seconds()
                                                   ? nlohmann::json(*c.monitor.counter_update_period_seconds())
                                                   : nlohmann::json()}};
  j["fingerprint"] = c.monitor.fingerprint().json;
  // Arguments or a device name that are not UTF-8 must not lose the result: such bytes become U+FFFD.
  return util::json_text(j, 2) + "\n";
}

std::string report_text(const Context& c) {
  const auto& reps = c.reps;
  std::string out;
  put(out, "\n jouleval meter: '{}' (exit {})\n\n", fmt::join(c.command, " "), c.exit_code);
  if (c.stop_signal != 0) {
    put(out, "  stopped        by {} (the command received it too); {} of {} repetition(s) measured\n\n",
        energy::signal_name(c.stop_signal), reps.size(), c.args.repeat);
  }
  for (const auto& w : c.warnings) put(out, "  warning        {}\n\n", w);
  for (size_t i = 0; i < reps.size(); ++i) {
    const auto& w = reps[i].window;
    if (reps.size() > 1) put(out, " repetition {} of {}\n", i + 1, reps.size());
    put(out, "  elapsed        {:.3f} s{}\n", w.seconds,
        w.short_window && c.monitor.any_meter_available()
            ? "  (SHORT WINDOW: under 1 s, energy not meaningful; repeat the work)"
            : "");
    print_usage(out, reps[i].usage, w.seconds);
    for (const auto& m : w.meters) print_meter(out, m);
    if (reps[i].estimate) print_estimate(out, *reps[i].estimate);
    put(out, "\n");
  }
  if (!c.idle_skipped.empty())
    put(out, "  idle baseline  skipped, {}\n", c.idle_skipped);
  else if (!c.idle)
    put(out, "  idle baseline  not measured (--idle 0): active energy unavailable\n");
  else
    put(out, "  idle baseline  {:.1f} s before the run\n", c.idle->seconds);
  std::string period =
      c.monitor.counter_update_period_seconds()
          ? fmt::format(", GPU counter updates every {:.0f} ms", *c.monitor.counter_update_period_seconds() * 1000)
          : "";
  if (c.monitor.any_meter_available())
    put(out, "  sampling       every {:.0f} ms{}\n", c.monitor.sample_interval_seconds() * 1000, period);
  if (reps.size() > 1) {
    nlohmann::json s = repetition_stats(reps);
    put(out, "\n statistics over {} repetitions (mean ± sample sd, 95% CI by Student t)\n", reps.size());
    print_stats_line(out, "elapsed", s["seconds"], "s");
    print_stats_line(out, "user", s["user_seconds"], "s");
    print_stats_line(out, "sys", s["system_seconds"], "s");
    print_stats_line(out, "peak RSS", s["max_rss_kib"], "MiB", 1024);
    for (const auto& [name, m] : s["meters"].items()) {
      print_stats_line(out, name + " total", m["total_joules"], "J");
      if (m.contains("active_joules")) print_stats_line(out, name + " active", m["active_joules"], "J");
    }
    if (s.contains("estimates")) print_stats_line(out, "cpu-tdp ESTIMATED", s["estimates"]["cpu-tdp"]["joules"], "J");
  }
  const bool any_short =
      std::any_of(reps.begin(), reps.end(), [](const Repetition& r) { return r.window.short_window; });
  if (any_short && c.monitor.any_meter_available())
    put(out, "\n  warning: window under 1 s; GPU energy counters update every ~100 ms\n");
  return out;
}

int run_meter(const MeterArgs& a, std::vector<std::string> command, bool estimate_given) {
  if (!command.empty() && command.front() == "--") command.erase(command.begin());
  if (command.empty()) {
    throw util::Error("meter: no command given (usage: jouleval meter [options] -- COMMAND [ARGS...])",
                      util::ErrorKind::kUsage);
  }
  const EstimateSpec estimate = estimate_given ? parse_estimate(a.estimate) : EstimateSpec{};
  // Every output is checked before anything is measured; they are written once the work is done.
  if (!a.output.empty()) util::check_output_path(a.output, util::Existing::kReplace, "-o");
  if (!a.timeline.empty()) util::check_output_path(a.timeline, util::Existing::kReplace, "--timeline");
  if (!a.csv.empty()) check_meter_csv(a.csv);
  // JSON on standard error is parseable only without jouleval's own notes around it.
  const bool quiet = a.json && a.output.empty();

  energy::MonitorOptions options = a.monitor;
  options.timeline = !a.timeline.empty();
  energy::Monitor monitor(options);
  std::vector<std::string> warnings;
  // A sweep measuring on what this command meters (the GPUs CUDA sees, the host when a host meter reads
  // it) puts its work inside this measurement: the locks a sweep on every visible GPU would wait for
  // (docs/sweep.md "Several processes, one database"). A sweep on other GPUs is no concern.
  if (monitor.any_meter_available()) {
    for (const auto& lock :
         sweep::measurement_locks(engine::Placement{}, monitor.visible_gpu_bus_ids(), monitor.host_meter_available())) {
      if (!util::FileLock::held_elsewhere(lock.path, lock.mode)) continue;
      warnings.push_back(
          fmt::format("another jouleval process is measuring on {}; its work is inside this measurement", lock.what));
      if (!quiet) note("jouleval meter: warning: {}\n", warnings.back());
      break;
    }
  }

  std::optional<energy::WindowResult> idle;
  std::string idle_skipped;
  if (a.idle_seconds > 0) {
    if (!monitor.any_meter_available()) {
      idle_skipped = "no energy meter";  // nothing could measure it: no wait
    } else {
      if (!quiet) note("jouleval meter: measuring idle power for {} s...\n", a.idle_seconds);
      idle = monitor.measure_idle(a.idle_seconds);
    }
  }

  // From here on a stop signal does not end jouleval: it is forwarded to the command, no further
  // repetition starts, and what was measured is reported. Under a terminal's job control the command
  // stays in jouleval's process group (it gets the terminal's signals and input, and stops and
  // resumes with the job); otherwise it runs in its own group, so that a forwarded signal reaches
  // every process it started.
  energy::StopSignals stop;
  const auto group = energy::StopSignals::under_terminal_job_control() ? energy::ChildProcess::Group::kShared
                                                                       : energy::ChildProcess::Group::kOwn;
  std::vector<Repetition> reps;
  int exit_code = 0;
  for (int i = 0; i < a.repeat && stop.received() == 0; ++i) {
    Repetition rep;
    rep.started_utc = utc_now();
    auto window = monitor.open_window();
    if (stop.received() != 0) break;  // arrived while the window's edge was read (an external meter)
    try {
      energy::ChildProcess child(command, group);
      std::optional<IntervalPrinter> printer;
      if (a.interval_ms > 0)
        printer.emplace(monitor, a.interval_ms / 1000, a.repeat > 1 ? fmt::format("[{}/{}]", i + 1, a.repeat) : "",
                        i == 0);
      rep.exit_code = child.wait(stop);
      printer.reset();  // no interval line after the window's end
      rep.usage = child.usage().value_or(energy::ResourceUsage{});
    } catch (const energy::ExecError& e) {
      std::fflush(stdout);
      note("jouleval: error: {}\n", e.what());
      if (reps.empty()) return e.exit_code();
      exit_code = e.exit_code();  // the repetitions measured before are still reported
      break;
    }
    rep.window = window.close();
    if (estimate.enabled) {
      rep.estimate = energy::estimate_cpu_tdp(estimate.tdp_watts, estimate.cores, rep.usage.user_seconds,
                                              rep.usage.system_seconds, rep.window.seconds);
    }
    exit_code = rep.exit_code;
    reps.push_back(std::move(rep));
    if (exit_code != 0) break;  // a failing command is not repeated
  }
  const int stop_signal = stop.received();
  // No command runs any more: a closed standard error (a reader that went away) is from now on a
  // write error (EPIPE, exit 1) rather than death by SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  if (reps.empty()) {
    note("jouleval meter: stopped by {} before the command started\n", energy::signal_name(stop_signal));
    return 128 + stop_signal;
  }

  const Context context{a, command, monitor, idle, idle_skipped, warnings, reps, exit_code, stop_signal};
  const std::string report = a.json ? report_json(context) : report_text(context);
  // The result first (on standard error if its file fails, so that it is not lost), then the
  // timeline and the CSV rows; the first failure is the error (exit 4 for a full disk).
  std::optional<util::Error> failure;
  try {
    if (a.output.empty()) {
      write_stderr(report);
    } else {
      util::write_file_atomically(a.output, report, util::Existing::kReplace, "-o");
    }
  } catch (const util::Error& e) {
    failure = e;
    if (!a.output.empty())
      note("jouleval meter: {}; the result follows (the command exited with {})\n{}", e.what(), exit_code, report);
  }
  if (!a.timeline.empty()) {
    try {
      util::write_file_atomically(a.timeline, timeline_csv(reps), util::Existing::kReplace, "--timeline");
    } catch (const util::Error& e) {
      if (!failure) failure = e;
      note("jouleval meter: {} (the command exited with {})\n", e.what(), exit_code);
    }
  }
  if (!a.csv.empty()) {
    const std::string rows = csv_rows(command, reps, stop_signal);
    try {
      append_meter_csv(a.csv, rows);
    } catch (const util::Error& e) {
      if (!failure) failure = e;
      note("jouleval meter: {}; the rows follow (the command exited with {})\n{}", e.what(), exit_code, rows);
    }
  }
  if (failure) throw *failure;
  return exit_code;
}

}  // namespace

Command add_meter_command(CLI::App& root) {
  Command command;
  command.app = root.add_subcommand(
      "meter",
      "Measure the energy, CPU time and peak memory of any command (GPU via NVML, CPU/DRAM via RAPL), like\n"
      "perf stat and /usr/bin/time. Usage: jouleval meter [options] -- COMMAND [ARGS...]\n"
      "The report goes to standard error (or -o FILE); standard output is the command's alone.\n"
      "SIGINT, SIGTERM, SIGHUP and SIGQUIT are forwarded to the command; what was measured is\n"
      "still reported, and the exit code is the command's (128 + N when signal N ended it).");
  auto args = std::make_shared<MeterArgs>();
  CLI::App* app = command.app;
  // Everything after "--" lands in the positional `command` verbatim, options of the command included.
  app->add_flag("--json", args->json,
                "Write the result as JSON (to standard error, or -o FILE: use -o to parse it when the command "
                "writes to standard error)");
  app->add_option("--timeline", args->timeline, "Write the power samples to this CSV file");
  app->add_option("-o,--output", args->output, "Write the result to this file instead of standard error");
  app->add_option("--csv", args->csv,
                  "Append one row per repetition to this CSV file (header only while it is empty; a file with "
                  "another header is refused)");
  app->add_option("-I,--interval", args->interval_ms,
                  "Print a line every MS milliseconds on standard error: each meter's energy and power over the "
                  "interval (like perf stat -I)")
      ->check(finite_range(kMinIntervalMs, kMaxIntervalMs));
  auto* estimate = app->add_option("--estimate", args->estimate,
                                   "Opt-in CPU energy ESTIMATE, labelled as such, never added to measured energy: "
                                   "cpu-tdp=WATTS[,cores=N] gives WATTS x (user + sys CPU seconds) / N "
                                   "(N default: online logical CPUs)");
  app->add_option("--idle", args->idle_seconds,
                  "Seconds of idle baseline before the run (0 disables; skipped when no energy meter exists)")
      ->check(finite_range(0, kMaxIdleSeconds))
      ->capture_default_str();
  app->add_option("--repeat", args->repeat, "Run the command N times and report statistics")
      ->check(finite_range(1, kMaxRepeat))
      ->capture_default_str();
  app->add_option("--disagreement-threshold", args->monitor.disagreement_threshold,
                  "Flag counter vs integrated power differences above this fraction")
      ->check(finite_range(0, 1))
      ->capture_default_str();
  add_measure_options(*app, args->monitor);
  app->add_option("command", args->command, "The command to measure and its arguments (after --)");
  command.run = [args, estimate] { return run_meter(*args, args->command, estimate->count() > 0); };
  return command;
}

}  // namespace jouleval::cli
