#include "cli/progress.h"

#include "cli/terminal.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "report/latency.h"
#include "report/phases.h"

namespace jouleval::cli {

std::string format_duration(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f}s", seconds);
  const int total = static_cast<int>(seconds + 0.5);
  if (total < 3600) return fmt::format("{}m{:02d}s", total / 60, total % 60);
  return fmt::format("{}h{:02d}m", total / 3600, (total % 3600) / 60);
}

ProgressPrinter ProgressPrinter::for_stderr(bool quiet) { return ProgressPrinter(isatty(STDERR_FILENO) == 1, quiet); }

void ProgressPrinter::clear_line() {
  if (bar_drawn_) {
    fmt::print(stderr, "\r\033[2K");
    bar_drawn_ = false;
  }
}

void ProgressPrinter::message(const std::string& line) {
  if (quiet_) return;
  clear_line();
  fmt::print(stderr, "{}\n", terminal_safe(line));
}

void ProgressPrinter::repetition_started(const results::CellKey& key, int repetition, int repetitions, int64_t total) {
  label_ = terminal_safe(fmt::format("{} {} {} {} rep {}/{}", key.task, key.model, key.precision, key.placement,
                                     repetition + 1, repetitions));
  started_ = std::chrono::steady_clock::now();
  last_draw_ = {};
  if (quiet_) return;
  if (!interactive_) fmt::print(stderr, "{}: {} requests...\n", label_, total);
}

void ProgressPrinter::progress(int64_t done, int64_t total, std::optional<double> watts) {
  if (quiet_ || !interactive_ || total <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - started_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0.0;
  constexpr int kWidth = 24;
  const int filled = static_cast<int>(kWidth * static_cast<double>(done) / static_cast<double>(total));
  std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '.');
  std::string power = watts ? fmt::format("  {:.0f} W", *watts) : "";
  fmt::print(stderr, "\r\033[2K{} [{}] {}/{} {:.1f}/s {} ETA {}{}", label_, bar, done, total, rate,
             format_duration(elapsed), format_duration(eta), power);
  std::fflush(stderr);
  bar_drawn_ = true;
}

void ProgressPrinter::repetition_finished(const results::CellKey& /*key*/, const results::Repetition& rep) {
  if (quiet_) return;
  clear_line();
  std::string energy;
  for (const auto& m : rep.meters) {
    if (m.available && m.total_joules) energy += fmt::format("  {} {:.1f} J", m.meter, *m.total_joules);
  }
  if (energy.empty()) energy = "  energy unavailable";
  const std::string passes = rep.passes > 1 ? fmt::format(" x {} passes", rep.passes) : "";
  fmt::print(stderr, "{}: {}{} in {}{}{}\n", label_, rep.items == 1 ? "1 item" : fmt::format("{} items", rep.items),
             passes, format_duration(rep.seconds), energy,
             rep.short_window ? "  (window < 1 s: energy not meaningful)" : "");
  if (const auto steady = report::steady_state_line(rep)) fmt::print(stderr, "  {}\n", terminal_safe(*steady));
  if (const auto latency = report::latency_line(rep)) fmt::print(stderr, "  {}\n", terminal_safe(*latency));
}

void ProgressPrinter::cell_finished(const results::CellKey& key, const sweep::CellOutcome& outcome) {
  // A cell without a result is said even with --quiet: it is not progress, it is the outcome.
  if (quiet_ && outcome.kind != sweep::CellOutcome::Kind::kSkipped && outcome.kind != sweep::CellOutcome::Kind::kFailed)
    return;
  clear_line();
  using Kind = sweep::CellOutcome::Kind;
  const std::string cell =
      terminal_safe(fmt::format("{} {} {} kv={} {}", key.task, key.model, key.precision, key.kv_type, key.placement));
  switch (outcome.kind) {
    case Kind::kDone:
      fmt::print(stderr, "done {}: {} = {:.4f}{}\n", cell, outcome.headline_metric, outcome.headline_value,
                 outcome.headline_stderr ? fmt::format(" ± {:.4f}", *outcome.headline_stderr) : "");
      break;
    case Kind::kAlreadyDone:
      fmt::print(stderr, "already done {}\n", cell);
      break;
    case Kind::kSkipped:
      fmt::print(stderr, "skipped {}: {}\n", cell, terminal_safe(outcome.reason));
      break;
    case Kind::kFailed:
      fmt::print(stderr, "FAILED {}: {}\n", cell, terminal_safe(outcome.reason));
      break;
  }
}

engine::ProgressFn byte_progress(const std::string& what, bool interactive) {
  auto last = std::make_shared<int>(-1);  // the last percentage (terminal) or tenth (log) printed
  return [what, interactive, last](int64_t done, int64_t total) {
    const int percent = total > 0 ? static_cast<int>(100 * std::min(done, total) / total) : 100;
    const int step = interactive ? percent : percent / 10;
    if (step == *last) return;
    *last = step;
    const std::string text = fmt::format("{}: {}% ({} / {} MiB)", what, percent, done >> 20, total >> 20);
    if (interactive) {
      fmt::print(stderr, "\r\033[2K{}", text);
    } else {
      fmt::print(stderr, "{}\n", text);
    }
  };
}

void finish_byte_progress(bool interactive) {
  if (interactive) fmt::print(stderr, "\n");
}

}  // namespace jouleval::cli
