// The error type every layer throws for bad input or a failed operation: a message meant for the
// user (naming the file, field or device concerned) and the process exit code it maps to.
#pragma once

#include <stdexcept>
#include <string>

namespace jouleval::util {

// Exit codes used by the CLI. 1 = runtime failure, 2 = usage error / not implemented,
// 3 = bad input data, 4 = resource unavailable (memory, device), 5 = stopped at the time budget
// (`sweep --time-budget`): finished work is stored and the same command resumes.
enum class ExitCode : int { kOk = 0, kFailure = 1, kUsage = 2, kBadInput = 3, kUnavailable = 4, kIncomplete = 5 };

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ExitCode code = ExitCode::kFailure)
      : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

}  // namespace jouleval::util
