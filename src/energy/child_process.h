// A command run as a child process (fork/exec, no shell), for measuring it: RAII so that a child is
// never left behind, and an exec failure reported as an error naming the command.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace jouleval::energy {

class ChildProcess {
 public:
  // Starts argv[0] (searched in PATH) with the given arguments. Throws ExecError when it cannot be
  // started (not found, not executable).
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();  // kills (SIGKILL) and reaps a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Waits for the child to end; returns its exit code, or 128 + signal number if a signal ended it.
  int wait();

  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// The command could not be executed; `exit_code` follows the shell convention (127 not found, 126
// found but not executable).
class ExecError : public std::runtime_error {
 public:
  ExecError(const std::string& message, int exit_code) : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Ignores SIGINT and SIGQUIT while alive (the child still receives them from the terminal), so that
// Ctrl-C ends the measured command and the measurement is still reported. Restores them after.
class IgnoreInterrupts {
 public:
  IgnoreInterrupts();
  ~IgnoreInterrupts();
  IgnoreInterrupts(const IgnoreInterrupts&) = delete;
  IgnoreInterrupts& operator=(const IgnoreInterrupts&) = delete;

 private:
  struct sigaction saved_int_ {};
  struct sigaction saved_quit_ {};
};

}  // namespace jouleval::energy
