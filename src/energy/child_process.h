// A command run as a child process (fork/exec, no shell), for measuring it: RAII so that a child is
// never left behind, an exec failure reported as an error naming the command, and the stop signals
// jouleval receives forwarded to it while it runs (docs/energy.md, "Signals").
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace jouleval::energy {

// Catches SIGINT, SIGTERM, SIGHUP and SIGQUIT while alive, so that jouleval outlives them: it
// forwards them to the command it measures (ChildProcess::wait) and still reports the measurement.
// A signal that was ignored when the StopSignals was created stays ignored (nohup, background jobs
// of a script). Also catches SIGCHLD, to wake ChildProcess::wait. The previous handlers are restored
// on destruction. One StopSignals at a time per process; create and destroy it on one thread.
class StopSignals {
 public:
  // Throws std::runtime_error when another StopSignals is alive or a handler cannot be installed.
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // The first stop signal received since construction (SIGTERM, ...), 0 when none.
  int received() const;

  // Whether standard input, output or error is this process's controlling terminal (a command typed
  // in a shell, in the foreground or as a background job): the terminal's job control and signals
  // (Ctrl-C, Ctrl-\, Ctrl-Z, hangup) then act on this process's whole process group.
  static bool under_terminal_job_control();
};

// The conventional name of a signal: "SIGTERM", else "signal N".
std::string signal_name(int signal_number);

// What a command and the descendants it waited for used (wait4's rusage: getrusage RUSAGE_CHILDREN
// semantics for that one child). CPU times are sums over those processes; the peak resident set
// size is that of the single largest of them, never a sum. A descendant the command left running
// (reparented to init) is not counted.
struct ResourceUsage {
  double user_seconds = 0;
  double system_seconds = 0;
  long max_rss_kib = 0;  // ru_maxrss (Linux: KiB)
};

class ChildProcess {
 public:
  // Where the child runs: in jouleval's own process group (so that a terminal's signals and input
  // reach it directly), or in a new process group of its own (so that a forwarded signal reaches
  // every process it starts).
  enum class Group { kShared, kOwn };

  // Starts argv[0] (searched in PATH) with the given arguments. Throws ExecError when it cannot be
  // started (not found, not executable). Signals ignored by jouleval stay ignored in the child;
  // every other signal has its default action there.
  explicit ChildProcess(const std::vector<std::string>& argv, Group group = Group::kShared);
  ~ChildProcess();  // kills (SIGKILL; its process group when it has its own) and reaps a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Waits for the child to end; returns its exit code, or 128 + signal number if a signal ended it.
  int wait();

  // Waits as wait() does, forwarding each stop signal `signals` catches meanwhile: to the child's
  // process group when it has its own; to the child alone when it shares jouleval's, and then only
  // a signal sent by a process (kill), since the terminal already sent its own to the whole group.
  int wait(StopSignals& signals);

  pid_t pid() const { return pid_; }
  // The resources the command used: set once wait() has returned, nullopt before.
  const std::optional<ResourceUsage>& usage() const { return usage_; }

 private:
  void forward_pending(bool terminal_signals_too);
  int finish(int status, const ::rusage& usage);

  pid_t pid_ = -1;
  Group group_ = Group::kShared;
  std::optional<ResourceUsage> usage_;
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

}  // namespace jouleval::energy
