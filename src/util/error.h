// The error type every layer throws for bad input or a failed operation: a message meant for the
// user (naming the file, field or device concerned) and the kind of failure. Only the CLI maps kinds
// to process exit codes (cli/exit_codes.h; README "Exit codes").
#pragma once

#include <stdexcept>
#include <string>

namespace jouleval::util {

enum class ErrorKind {
  kFailure,      // an operation failed at run time
  kUsage,        // a wrong option, setting or command (usage error)
  kBadInput,     // a data, model, configuration or database file is malformed or missing
  kUnavailable,  // a resource is missing: memory, a device, a meter
  kNoSpace,      // a write failed for lack of space (disk full, quota): nothing more can be stored
  kIncomplete,   // stopped at a time budget: finished work is stored, the same command resumes
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ErrorKind kind = ErrorKind::kFailure)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  ErrorKind code() const { return kind_; }

 private:
  ErrorKind kind_;
};

// The kind of a failed write from its errno: kNoSpace for ENOSPC / EDQUOT / EFBIG, else kFailure.
ErrorKind write_error_kind(int error_number);

}  // namespace jouleval::util
