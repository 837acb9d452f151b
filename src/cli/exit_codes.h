// The process exit codes of `jouleval` (README "Exit codes"): the one place error kinds become
// numbers. 0 ok, 1 failure, 2 usage error, 3 bad input data, 4 resource unavailable (a full disk
// included), 5 stopped at --time-budget (run the same command again to resume).
#pragma once

#include "util/error.h"

namespace jouleval::cli {

inline constexpr int kExitOk = 0;

constexpr int exit_code(util::ErrorKind kind) {
  switch (kind) {
    case util::ErrorKind::kFailure:
      return 1;
    case util::ErrorKind::kUsage:
      return 2;
    case util::ErrorKind::kBadInput:
      return 3;
    case util::ErrorKind::kUnavailable:
    case util::ErrorKind::kNoSpace:
      return 4;
    case util::ErrorKind::kIncomplete:
      return 5;
  }
  return 1;
}

}  // namespace jouleval::cli
