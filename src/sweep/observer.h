// How a sweep reports what it is doing: informational lines, per-cell start/finish and progress of
// the measured work (with live watts when a meter has them). The CLI renders it (bar on a terminal,
// plain lines otherwise, nothing with --json); tests record it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "results/records.h"

namespace jouleval::sweep {

// What happened to one cell.
struct CellOutcome {
  enum class Kind { kDone, kAlreadyDone, kSkipped, kFailed } kind = Kind::kDone;
  std::string reason;  // skipped / failed
  std::string headline_metric;
  double headline_value = 0.0;
  std::optional<double> headline_stderr;
  int repetitions_run = 0;  // measured in this invocation
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void message(const std::string& /*line*/) {}
  // A measured repetition (0-based `repetition` of `repetitions`) of `key` begins; `total` requests.
  virtual void repetition_started(const results::CellKey& /*key*/, int /*repetition*/, int /*repetitions*/,
                                  int64_t /*total*/) {}
  virtual void progress(int64_t /*done*/, int64_t /*total*/, std::optional<double> /*watts*/) {}
  virtual void repetition_finished(const results::CellKey& /*key*/, const results::Repetition& /*rep*/) {}
  virtual void cell_finished(const results::CellKey& /*key*/, const CellOutcome& /*outcome*/) {}
};

}  // namespace jouleval::sweep
