// `jouleval meter [options] -- COMMAND [ARGS...]`: runs a command and reports the energy it took on
// every meter (GPU via NVML, CPU/DRAM via RAPL, an external meter), like `perf stat` for joules.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "energy/child_process.h"
#include "energy/json.h"
#include "energy/monitor.h"
#include "results/stats.h"
#include "util/error.h"

namespace jouleval::cli {

namespace {

struct MeterArgs {
  bool json = false;
  std::string timeline;
  std::string output;
  double idle_seconds = 5.0;
  int repeat = 1;
  std::string nvml_library;
  std::string rapl_root = "/sys/class/powercap";
  std::string external_cmd;
  std::string external_file;
  double sample_interval_ms = 0;
  double threshold = 0.05;
  std::vector<std::string> command;
};

struct Repetition {
  int exit_code = 0;
  energy::WindowResult window;
};

std::string joules(const std::optional<double>& j) {
  if (!j) return "n/a";
  return std::abs(*j) >= 3600 ? fmt::format("{:.1f} J ({:.4f} Wh)", *j, *j / 3600) : fmt::format("{:.2f} J", *j);
}

std::string watts(const std::optional<double>& w) { return w ? fmt::format("{:.1f} W", *w) : "n/a"; }

void print_meter(std::FILE* out, const results::MeterEnergy& e) {
  if (!e.available) {
    fmt::print(out, "  {:<14} unavailable: {}\n", e.meter, e.unavailable_reason);
    return;
  }
  fmt::print(out, "  {:<14} {} ({})\n", e.meter, e.device, e.kind);
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
  fmt::print(out, "    energy       {}\n", energy);
  if (e.active_joules) {
    fmt::print(out, "    active       {} (idle {} subtracted)\n", joules(e.active_joules), watts(e.idle_watts));
  } else {
    fmt::print(out, "    active       n/a (no idle baseline)\n");
  }
  fmt::print(out, "    power        avg {}, peak {}\n", watts(e.avg_watts), watts(e.peak_watts));
  if (e.temp_start_c || e.temp_end_c) {
    auto t = [](const std::optional<double>& c) { return c ? fmt::format("{:.0f}", *c) : std::string("n/a"); };
    fmt::print(out, "    temperature  {} -> {} C\n", t(e.temp_start_c), t(e.temp_end_c));
  }
  if (!e.unavailable_reason.empty()) fmt::print(out, "    note         {}\n", e.unavailable_reason);
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

void print_stats_line(std::FILE* out, const std::string& label, const nlohmann::json& s, const char* unit) {
  if (s["stddev"].is_null()) {
    fmt::print(out, "  {:<28} {:.3f} {} (n={})\n", label, s["mean"].get<double>(), unit, s["n"].get<size_t>());
    return;
  }
  fmt::print(out, "  {:<28} {:.3f} ± {:.3f} {}  95% CI [{:.3f}, {:.3f}]  (n={})\n", label, s["mean"].get<double>(),
             s["stddev"].get<double>(), unit, s["ci95_low"].get<double>(), s["ci95_high"].get<double>(),
             s["n"].get<size_t>());
}

void write_timeline(const std::string& path, const std::vector<Repetition>& reps) {
  std::ofstream out(path);
  if (!out) throw util::Error(fmt::format("cannot write timeline file {}", path), util::ExitCode::kBadInput);
  out << "repetition,t_seconds,meter,watts\n";
  for (size_t i = 0; i < reps.size(); ++i) {
    for (const auto& s : reps[i].window.timeline)
      out << fmt::format("{},{:.6f},{},{:.3f}\n", i, s.t_seconds, s.meter, s.watts);
  }
  if (!out) throw util::Error(fmt::format("error writing timeline file {}", path));
}

// Where the result goes: standard output, or the --output file (closed when done).
class OutputFile {
 public:
  explicit OutputFile(const std::string& path) {
    if (path.empty()) return;
    file_ = std::fopen(path.c_str(), "w");
    if (file_ == nullptr)
      throw util::Error(fmt::format("meter: cannot write --output file {}", path), util::ExitCode::kBadInput);
  }
  ~OutputFile() {
    if (file_ != nullptr) std::fclose(file_);
  }
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  std::FILE* get() const { return file_ != nullptr ? file_ : stdout; }

 private:
  std::FILE* file_ = nullptr;
};

int run_meter(const MeterArgs& a, std::vector<std::string> command) {
  if (!command.empty() && command.front() == "--") command.erase(command.begin());
  if (command.empty()) {
    throw util::Error("meter: no command given (usage: jouleval meter [options] -- COMMAND [ARGS...])",
                      util::ExitCode::kUsage);
  }
  if (a.repeat < 1) throw util::Error("meter: --repeat must be at least 1", util::ExitCode::kUsage);
  OutputFile output(a.output);  // opened first: a bad path fails before anything is measured
  std::FILE* out = output.get();

  energy::MonitorOptions options;
  options.nvml_library = a.nvml_library;
  options.rapl_root = a.rapl_root;
  options.external_command = a.external_cmd;
  options.external_file = a.external_file;
  options.sample_interval_ms = a.sample_interval_ms;
  options.timeline = !a.timeline.empty();
  options.disagreement_threshold = a.threshold;
  energy::Monitor monitor(options);

  std::optional<energy::WindowResult> idle;
  if (a.idle_seconds > 0) {
    if (!a.json) fmt::print(stderr, "jouleval meter: measuring idle power for {} s...\n", a.idle_seconds);
    idle = monitor.measure_idle(a.idle_seconds);
  }

  std::vector<Repetition> reps;
  int exit_code = 0;
  for (int i = 0; i < a.repeat; ++i) {
    Repetition rep;
    {
      energy::IgnoreInterrupts ignore;
      auto window = monitor.open_window();
      try {
        energy::ChildProcess child(command);
        rep.exit_code = child.wait();
      } catch (const energy::ExecError& e) {
        std::fflush(stdout);
        fmt::print(stderr, "jouleval: error: {}\n", e.what());
        return e.exit_code();
      }
      rep.window = window.close();
    }
    exit_code = rep.exit_code;
    reps.push_back(std::move(rep));
    if (exit_code != 0) break;  // a failing command is not repeated
  }
  if (!a.timeline.empty()) write_timeline(a.timeline, reps);

  const bool any_short =
      std::any_of(reps.begin(), reps.end(), [](const Repetition& r) { return r.window.short_window; });
  if (a.json) {
    nlohmann::json j;
    j["command"] = command;
    j["exit_code"] = exit_code;
    j["meters"] = nlohmann::json::array();
    for (const auto& s : monitor.meters_status()) j["meters"].push_back(energy::to_json(s));
    j["idle"] = idle ? energy::to_json(*idle) : nlohmann::json();
    if (idle) j["idle"]["requested_seconds"] = a.idle_seconds;
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
    fmt::print(out, "{}\n", j.dump(2));
    return exit_code;
  }

  std::fflush(stdout);
  fmt::print(out, "\n jouleval meter: '{}' (exit {})\n\n", fmt::join(command, " "), exit_code);
  for (size_t i = 0; i < reps.size(); ++i) {
    const auto& w = reps[i].window;
    if (reps.size() > 1) fmt::print(out, " repetition {} of {}\n", i + 1, reps.size());
    fmt::print(out, "  elapsed        {:.3f} s{}\n", w.seconds,
               w.short_window ? "  (SHORT WINDOW: under 1 s, energy not meaningful; repeat the work)" : "");
    for (const auto& m : w.meters) print_meter(out, m);
    fmt::print(out, "\n");
  }
  if (!idle)
    fmt::print(out, "  idle baseline  not measured (--idle 0): active energy unavailable\n");
  else
    fmt::print(out, "  idle baseline  {:.1f} s before the run\n", idle->seconds);
  std::string period =
      monitor.counter_update_period_seconds()
          ? fmt::format(", GPU counter updates every {:.0f} ms", *monitor.counter_update_period_seconds() * 1000)
          : "";
  fmt::print(out, "  sampling       every {:.0f} ms{}\n", monitor.sample_interval_seconds() * 1000, period);
  if (reps.size() > 1) {
    nlohmann::json s = repetition_stats(reps);
    fmt::print(out, "\n statistics over {} repetitions (mean ± sample sd, 95% CI by Student t)\n", reps.size());
    print_stats_line(out, "elapsed", s["seconds"], "s");
    for (const auto& [name, m] : s["meters"].items()) {
      print_stats_line(out, name + " total", m["total_joules"], "J");
      if (m.contains("active_joules")) print_stats_line(out, name + " active", m["active_joules"], "J");
    }
  }
  if (any_short) fmt::print(out, "\n  warning: window under 1 s; GPU energy counters update every ~100 ms\n");
  return exit_code;
}

}  // namespace

Command add_meter_command(CLI::App& root) {
  Command command;
  command.app =
      root.add_subcommand("meter",
                          "Measure the energy of any command (GPU via NVML, CPU/DRAM via RAPL), like perf stat.\n"
                          "Usage: jouleval meter [options] -- COMMAND [ARGS...]");
  auto args = std::make_shared<MeterArgs>();
  CLI::App* app = command.app;
  // Everything after "--" lands in the positional `command` verbatim, options of the command included.
  app->add_flag("--json", args->json, "Print the result as JSON");
  app->add_option("--timeline", args->timeline, "Write the power samples to this CSV file");
  app->add_option("-o,--output", args->output,
                  "Write the result to this file instead of standard output (which stays the command's)");
  app->add_option("--idle", args->idle_seconds, "Seconds of idle baseline before the run (0 disables)")
      ->capture_default_str();
  app->add_option("--repeat", args->repeat, "Run the command N times and report statistics")->capture_default_str();
  app->add_option("--nvml-library", args->nvml_library,
                  "NVML library to load (default $JOULEVAL_NVML_LIBRARY, else libnvidia-ml.so.1)");
  app->add_option("--rapl-root", args->rapl_root, "Powercap sysfs directory with the RAPL domains")
      ->capture_default_str();
  app->add_option("--external-cmd", args->external_cmd,
                  "Shell command printing cumulative joules of an external meter (run at both window edges)");
  app->add_option("--external-file", args->external_file, "File holding cumulative joules of an external meter");
  app->add_option("--sample-interval-ms", args->sample_interval_ms,
                  "Power sampling interval (default: half the GPU counter's measured update period)");
  app->add_option("--disagreement-threshold", args->threshold,
                  "Flag counter vs integrated power differences above this fraction")
      ->capture_default_str();
  app->add_option("command", args->command, "The command to measure and its arguments (after --)");
  command.run = [args] { return run_meter(*args, args->command); };
  return command;
}

}  // namespace jouleval::cli
