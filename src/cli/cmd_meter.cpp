// `jouleval meter [options] -- COMMAND [ARGS...]`: runs a command and reports the energy it took on
// every meter (GPU via NVML, CPU/DRAM via RAPL, an external meter), like `perf stat` for joules.
// Output paths are checked before the command runs and written atomically; a stop signal (SIGTERM,
// SIGINT, SIGHUP, SIGQUIT) is forwarded to the command and what was measured is still reported
// (docs/energy.md, "jouleval meter").
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/command.h"
#include "cli/measure_options.h"
#include "energy/child_process.h"
#include "energy/json.h"
#include "energy/monitor.h"
#include "results/stats.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/file_lock.h"
#include "util/json_text.h"

namespace jouleval::cli {

namespace {

// Ranges of meter's own numeric options (docs/energy.md, "Options and their ranges").
constexpr double kMaxIdleSeconds = 3600;
constexpr int kMaxRepeat = 1000;

struct MeterArgs {
  bool json = false;
  std::string timeline;
  std::string output;
  double idle_seconds = 5.0;
  int repeat = 1;
  energy::MonitorOptions monitor;
  std::vector<std::string> command;
};

struct Repetition {
  int exit_code = 0;
  energy::WindowResult window;
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

void print_meter(std::string& out, const results::MeterEnergy& e) {
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

// Statistics over repetitions: seconds, and total/active joules of each meter that had them in every one.
nlohmann::json repetition_stats(const std::vector<Repetition>& reps) {
  std::vector<double> seconds;
  std::map<std::string, std::vector<double>> total, active;
  for (const auto& r : reps) {
    seconds.push_back(r.window.seconds);
    for (const auto& m : r.window.meters) {
      if (m.total_joules) total[m.meter].push_back(*m.total_joules);
      if (m.active_joules) active[m.meter].push_back(*m.active_joules);
    }
  }
  nlohmann::json j;
  j["seconds"] = energy::to_json(results::summarize(seconds));
  j["meters"] = nlohmann::json::object();
  for (const auto& [name, v] : total) {
    if (v.size() != reps.size()) continue;
    j["meters"][name]["total_joules"] = energy::to_json(results::summarize(v));
    if (active[name].size() == reps.size())
      j["meters"][name]["active_joules"] = energy::to_json(results::summarize(active[name]));
  }
  return j;
}

void print_stats_line(std::string& out, const std::string& label, const nlohmann::json& s, const char* unit) {
  if (s["stddev"].is_null()) {
    put(out, "  {:<28} {:.3f} {} (n={})\n", label, s["mean"].get<double>(), unit, s["n"].get<size_t>());
    return;
  }
  put(out, "  {:<28} {:.3f} ± {:.3f} {}  95% CI [{:.3f}, {:.3f}]  (n={})\n", label, s["mean"].get<double>(),
      s["stddev"].get<double>(), unit, s["ci95_low"].get<double>(), s["ci95_high"].get<double>(), s["n"].get<size_t>());
}

std::string timeline_csv(const std::vector<Repetition>& reps) {
  std::string out = "repetition,t_seconds,meter,watts\n";
  for (size_t i = 0; i < reps.size(); ++i) {
    for (const auto& s : reps[i].window.timeline) put(out, "{},{:.6f},{},{:.3f}\n", i, s.t_seconds, s.meter, s.watts);
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

// Writes the result to standard output; a closed pipe is an error (EPIPE) rather than SIGPIPE, so
// that the result still reaches standard error.
void write_stdout(std::string_view data) {
  std::fflush(stdout);
  struct sigaction ignore {
  }, saved{};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, &saved);
  struct Restore {
    struct sigaction* saved;
    ~Restore() { sigaction(SIGPIPE, saved, nullptr); }
  } restore{&saved};
  write_all(STDOUT_FILENO, data, "standard output");
}

std::string report_json(const MeterArgs& a, const std::vector<std::string>& command, energy::Monitor& monitor,
                        const std::optional<energy::WindowResult>& idle, const std::string& idle_skipped,
                        const std::vector<Repetition>& reps, int exit_code, int stop_signal) {
  nlohmann::json j;
  j["command"] = command;
  j["exit_code"] = exit_code;
  j["stopped_by"] = stop_signal != 0 ? nlohmann::json(energy::signal_name(stop_signal)) : nlohmann::json();
  j["meters"] = nlohmann::json::array();
  for (const auto& s : monitor.meters_status()) j["meters"].push_back(energy::to_json(s));
  j["idle"] = idle ? energy::to_json(*idle) : nlohmann::json();
  if (idle) j["idle"]["requested_seconds"] = a.idle_seconds;
  if (!idle_skipped.empty()) j["idle_skipped"] = idle_skipped;
  j["repetitions"] = nlohmann::json::array();
  for (const auto& r : reps) {
    nlohmann::json w = energy::to_json(r.window);
    w.erase("timeline");  // the timeline goes to --timeline FILE
    w["exit_code"] = r.exit_code;
    j["repetitions"].push_back(w);
  }
  j["stats"] = repetition_stats(reps);
  j["sampling"] = {{"interval_s", monitor.sample_interval_seconds()},
                   {"counter_update_period_s", monitor.counter_update_period_seconds()
                                                   ? nlohmann::json(*monitor.counter_update_period_seconds())
                                                   : nlohmann::json()}};
  j["fingerprint"] = monitor.fingerprint().json;
  // Arguments or a device name that are not UTF-8 must not lose the result: such bytes become U+FFFD.
  return util::json_text(j, 2) + "\n";
}

std::string report_text(const MeterArgs& a, const std::vector<std::string>& command, energy::Monitor& monitor,
                        const std::optional<energy::WindowResult>& idle, const std::string& idle_skipped,
                        const std::vector<Repetition>& reps, int exit_code, int stop_signal) {
  std::string out;
  put(out, "\n jouleval meter: '{}' (exit {})\n\n", fmt::join(command, " "), exit_code);
  if (stop_signal != 0) {
    put(out, "  stopped        by {} (the command received it too); {} of {} repetition(s) measured\n\n",
        energy::signal_name(stop_signal), reps.size(), a.repeat);
  }
  for (size_t i = 0; i < reps.size(); ++i) {
    const auto& w = reps[i].window;
    if (reps.size() > 1) put(out, " repetition {} of {}\n", i + 1, reps.size());
    put(out, "  elapsed        {:.3f} s{}\n", w.seconds,
        w.short_window ? "  (SHORT WINDOW: under 1 s, energy not meaningful; repeat the work)" : "");
    for (const auto& m : w.meters) print_meter(out, m);
    put(out, "\n");
  }
  if (!idle_skipped.empty())
    put(out, "  idle baseline  skipped: {}\n", idle_skipped);
  else if (!idle)
    put(out, "  idle baseline  not measured (--idle 0): active energy unavailable\n");
  else
    put(out, "  idle baseline  {:.1f} s before the run\n", idle->seconds);
  std::string period =
      monitor.counter_update_period_seconds()
          ? fmt::format(", GPU counter updates every {:.0f} ms", *monitor.counter_update_period_seconds() * 1000)
          : "";
  put(out, "  sampling       every {:.0f} ms{}\n", monitor.sample_interval_seconds() * 1000, period);
  if (reps.size() > 1) {
    nlohmann::json s = repetition_stats(reps);
    put(out, "\n statistics over {} repetitions (mean ± sample sd, 95% CI by Student t)\n", reps.size());
    print_stats_line(out, "elapsed", s["seconds"], "s");
    for (const auto& [name, m] : s["meters"].items()) {
      print_stats_line(out, name + " total", m["total_joules"], "J");
      if (m.contains("active_joules")) print_stats_line(out, name + " active", m["active_joules"], "J");
    }
  }
  const bool any_short =
      std::any_of(reps.begin(), reps.end(), [](const Repetition& r) { return r.window.short_window; });
  if (any_short) put(out, "\n  warning: window under 1 s; GPU energy counters update every ~100 ms\n");
  return out;
}

int run_meter(const MeterArgs& a, std::vector<std::string> command) {
  if (!command.empty() && command.front() == "--") command.erase(command.begin());
  if (command.empty()) {
    throw util::Error("meter: no command given (usage: jouleval meter [options] -- COMMAND [ARGS...])",
                      util::ErrorKind::kUsage);
  }
  // Every output is checked before anything is measured; they are written once the work is done.
  if (!a.output.empty()) util::check_output_path(a.output, util::Existing::kReplace, "-o");
  if (!a.timeline.empty()) util::check_output_path(a.timeline, util::Existing::kReplace, "--timeline");

  energy::MonitorOptions options = a.monitor;
  options.timeline = !a.timeline.empty();
  energy::Monitor monitor(options);
  // A sweep measuring on this machine now puts its work inside this measurement (docs/energy.md).
  if (monitor.any_meter_available() && util::FileLock::held_elsewhere(util::measurement_lock_path())) {
    note(
        "jouleval meter: warning: another jouleval process is measuring on this machine; its work will be "
        "inside this measurement\n");
  }

  std::optional<energy::WindowResult> idle;
  std::string idle_skipped;
  if (a.idle_seconds > 0) {
    if (!monitor.any_meter_available()) {
      idle_skipped = "no meter available";
      if (!a.json) note("jouleval meter: no meter available; idle baseline skipped\n");
    } else {
      if (!a.json) note("jouleval meter: measuring idle power for {} s...\n", a.idle_seconds);
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
    auto window = monitor.open_window();
    if (stop.received() != 0) break;  // arrived while the window's edge was read (an external meter)
    try {
      energy::ChildProcess child(command, group);
      rep.exit_code = child.wait(stop);
    } catch (const energy::ExecError& e) {
      std::fflush(stdout);
      note("jouleval: error: {}\n", e.what());
      if (reps.empty()) return e.exit_code();
      exit_code = e.exit_code();  // the repetitions measured before are still reported
      break;
    }
    rep.window = window.close();
    exit_code = rep.exit_code;
    reps.push_back(std::move(rep));
    if (exit_code != 0) break;  // a failing command is not repeated
  }
  const int stop_signal = stop.received();
  if (reps.empty()) {
    note("jouleval meter: stopped by {} before the command started\n", energy::signal_name(stop_signal));
    return 128 + stop_signal;
  }

  const std::string report = a.json
                                 ? report_json(a, command, monitor, idle, idle_skipped, reps, exit_code, stop_signal)
                                 : report_text(a, command, monitor, idle, idle_skipped, reps, exit_code, stop_signal);
  // The result first (on standard error if its destination fails, so that it is not lost), then the
  // timeline; the first failure is the error (exit 4 for a full disk).
  std::optional<util::Error> failure;
  try {
    if (a.output.empty()) {
      write_stdout(report);
    } else {
      util::write_file_atomically(a.output, report, util::Existing::kReplace, "-o");
    }
  } catch (const util::Error& e) {
    failure = e;
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
  if (failure) throw *failure;
  return exit_code;
}

}  // namespace

Command add_meter_command(CLI::App& root) {
  Command command;
  command.app =
      root.add_subcommand("meter",
                          "Measure the energy of any command (GPU via NVML, CPU/DRAM via RAPL), like perf stat.\n"
                          "Usage: jouleval meter [options] -- COMMAND [ARGS...]\n"
                          "SIGINT, SIGTERM, SIGHUP and SIGQUIT are forwarded to the command; what was measured is\n"
                          "still reported, and the exit code is the command's (128 + N when signal N ended it).");
  auto args = std::make_shared<MeterArgs>();
  CLI::App* app = command.app;
  // Everything after "--" lands in the positional `command` verbatim, options of the command included.
  app->add_flag("--json", args->json, "Print the result as JSON");
  app->add_option("--timeline", args->timeline, "Write the power samples to this CSV file");
  app->add_option("-o,--output", args->output,
                  "Write the result to this file instead of standard output (which stays the command's)");
  app->add_option("--idle", args->idle_seconds, "Seconds of idle baseline before the run (0 disables)")
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
  command.run = [args] { return run_meter(*args, args->command); };
  return command;
}

}  // namespace jouleval::cli
