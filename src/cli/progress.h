// Renders a sweep's progress for people: on a terminal a live bar (requests, rate, elapsed, ETA and
// live watts) redrawn in place; otherwise plain lines at each repetition's start and end. Writes to
// stderr so that stdout stays clean for --json.
#pragma once

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "engine/requests.h"
#include "sweep/observer.h"

namespace jouleval::cli {

class ProgressPrinter : public sweep::Observer {
 public:
  // `interactive`: draw the bar (stderr is a terminal); `quiet`: print nothing but errors.
  ProgressPrinter(bool interactive, bool quiet) : interactive_(interactive), quiet_(quiet) {}
  static ProgressPrinter for_stderr(bool quiet);

  void message(const std::string& line) override;
  void repetition_started(const results::CellKey& key, int repetition, int repetitions, int64_t total) override;
  void progress(int64_t done, int64_t total, std::optional<double> watts) override;
  void repetition_finished(const results::CellKey& key, const results::Repetition& rep) override;
  void cell_finished(const results::CellKey& key, const sweep::CellOutcome& outcome) override;

 private:
  void clear_line();

  bool interactive_;
  bool quiet_;
  bool bar_drawn_ = false;
  std::string label_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_draw_;
};

// The progress of a long file operation (synth, quantize) in bytes, on stderr: on a terminal
// (`interactive`) one line "WHAT: 42% (6100 / 14530 MiB)" redrawn in place when the whole percentage
// changes; otherwise a line at each 10 % (a log gets 11 lines, not one per call). Call
// finish_byte_progress afterwards to end the terminal's line.
engine::ProgressFn byte_progress(const std::string& what, bool interactive);
void finish_byte_progress(bool interactive);

// "1m05s", "12.3s"
std::string format_duration(double seconds);

}  // namespace jouleval::cli
