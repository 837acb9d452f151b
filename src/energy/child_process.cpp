#include "energy/child_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "util/unique_fd.h"

namespace jouleval::energy {

namespace {

constexpr std::array<int, 4> kStopSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// The state the signal handler shares with StopSignals and ChildProcess::wait (lock-free atomics
// and a non-blocking pipe: async-signal-safe).
std::atomic<bool> g_active{false};
std::atomic<int> g_wake_read{-1};
std::atomic<int> g_wake_write{-1};
std::atomic<int> g_first{0};
std::array<std::atomic<int>, NSIG> g_from_process{};   // sent by kill(): jouleval alone got them
std::array<std::atomic<int>, NSIG> g_from_terminal{};  // sent by the kernel (a terminal): its whole group
std::array<struct sigaction, NSIG> g_saved{};
std::array<bool, NSIG> g_installed{};

void on_signal(int sig, siginfo_t* info, void* /*context*/) {
  const int saved_errno = errno;
  if (sig != SIGCHLD) {
    int none = 0;
    g_first.compare_exchange_strong(none, sig);
    auto& counts = (info != nullptr && info->si_code == SI_KERNEL) ? g_from_terminal : g_from_process;
    counts[static_cast<size_t>(sig)].fetch_add(1);
  }
  if (const int fd = g_wake_write.load(); fd >= 0) {
    const char byte = 0;
    const ssize_t ignored = ::write(fd, &byte, 1);  // a full pipe already wakes the waiter
    (void)ignored;
  }
  errno = saved_errno;
}

// Puts back the handlers StopSignals replaced, then closes the wake pipe.
void restore_handlers() {
  for (int sig = 1; sig < NSIG; ++sig) {
    if (g_installed[static_cast<size_t>(sig)]) sigaction(sig, &g_saved[static_cast<size_t>(sig)], nullptr);
  }
  g_installed.fill(false);
  const int r = g_wake_read.exchange(-1), w = g_wake_write.exchange(-1);
  if (r >= 0) close(r);
  if (w >= 0) close(w);
  g_active = false;
}

using Fd = util::UniqueFd;

}  // namespace

std::string signal_name(int signal_number) {
  switch (signal_number) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    case SIGQUIT:
      return "SIGQUIT";
    case SIGKILL:
      return "SIGKILL";
    case SIGPIPE:
      return "SIGPIPE";
    default:
      return fmt::format("signal {}", signal_number);
  }
}

StopSignals::StopSignals() {
  if (g_active.exchange(true)) throw std::runtime_error("StopSignals: another one is already active");
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    g_active = false;
    throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  }
  g_wake_read = fds[0];
  g_wake_write = fds[1];
  g_first = 0;
  for (auto& c : g_from_process) c = 0;
  for (auto& c : g_from_terminal) c = 0;
  g_installed.fill(false);

  struct sigaction sa {};
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int sig : kStopSignals) sigaddset(&sa.sa_mask, sig);
  sigaddset(&sa.sa_mask, SIGCHLD);
  auto install = [&](int sig, int extra_flags) {
    struct sigaction old {};
    sigaction(sig, nullptr, &old);
    const bool ignored = !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_IGN;
    if (ignored && sig != SIGCHLD) return;  // ignored on entry (nohup, a background job): stays ignored
    struct sigaction mine = sa;
    mine.sa_flags |= extra_flags;
    if (sigaction(sig, &mine, &g_saved[static_cast<size_t>(sig)]) != 0) {
      throw std::runtime_error(fmt::format("sigaction({}): {}", signal_name(sig), std::strerror(errno)));
    }
    g_installed[static_cast<size_t>(sig)] = true;
  };
  try {
    for (int sig : kStopSignals) install(sig, 0);
    install(SIGCHLD, SA_NOCLDSTOP);
  } catch (...) {
    restore_handlers();
    throw;
  }
}

StopSignals::~StopSignals() { restore_handlers(); }

int StopSignals::received() const { return g_first.load(); }

bool StopSignals::under_terminal_job_control() {
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
    if (tcgetpgrp(fd) > 0) return true;  // fails (ENOTTY) unless fd is our controlling terminal
  }
  return false;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, Group group) : group_(group) {
  if (argv.empty()) throw ExecError("no command given", 127);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  // The child reports an exec failure by writing errno into a close-on-exec pipe; a successful exec
  // closes the pipe, so the parent reads nothing.
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  Fd read_end(fds[0]), write_end(fds[1]);
  // Stop signals stay blocked across fork, so that none runs jouleval's handler in the child before
  // it has its own dispositions; the parent gets any that arrived once it unblocks them.
  sigset_t block, saved_mask;
  sigemptyset(&block);
  for (int sig : kStopSignals) sigaddset(&block, sig);
  sigaddset(&block, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &block, &saved_mask);
  std::fflush(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    if (group_ == Group::kOwn) setpgid(0, 0);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) {
      struct sigaction current {};
      sigaction(sig, nullptr, &current);
      if ((current.sa_flags & SA_SIGINFO) || current.sa_handler != SIG_IGN) signal(sig, SIG_DFL);
    }
    pthread_sigmask(SIG_SETMASK, &saved_mask, nullptr);
    execvp(args[0], args.data());
    const int e = errno;
    ssize_t ignored = write(write_end.get(), &e, sizeof e);
    (void)ignored;
    _exit(127);
  }
  const int fork_errno = errno;
  if (pid_ > 0 && group_ == Group::kOwn) setpgid(pid_, pid_);  // the group exists before any kill
  pthread_sigmask(SIG_SETMASK, &saved_mask, nullptr);
  if (pid_ < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(fork_errno)));
  write_end.reset();
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(read_end.get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    const int code = (child_errno == ENOENT || child_errno == ENOTDIR) ? 127 : 126;
    throw ExecError(fmt::format("cannot run '{}': {}", argv[0], std::strerror(child_errno)), code);
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill(group_ == Group::kOwn ? -pid_ : pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

int ChildProcess::finish(int status, const ::rusage& usage) {
  pid_ = -1;
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  usage_ = ResourceUsage{seconds(usage.ru_utime), seconds(usage.ru_stime), usage.ru_maxrss};
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

int ChildProcess::wait() {
  if (pid_ <= 0) throw std::runtime_error("ChildProcess::wait: no child");
  int status = 0;
  struct rusage usage {};
  pid_t r;
  do {
    r = wait4(pid_, &status, 0, &usage);
  } while (r < 0 && errno == EINTR);
  if (r < 0) throw std::runtime_error(fmt::format("wait4: {}", std::strerror(errno)));
  return finish(status, usage);
}

void ChildProcess::forward_pending(bool terminal_signals_too) {
  const pid_t target = group_ == Group::kOwn ? -pid_ : pid_;
  for (int sig : kStopSignals) {
    const int by_process = g_from_process[static_cast<size_t>(sig)].exchange(0);
    const int by_terminal = g_from_terminal[static_cast<size_t>(sig)].exchange(0);
    if (by_process > 0 || (terminal_signals_too && by_terminal > 0)) kill(target, sig);
  }
}

int ChildProcess::wait(StopSignals& /*signals*/) {
  if (pid_ <= 0) throw std::runtime_error("ChildProcess::wait: no child");
  // A child in jouleval's process group got the terminal's signals from the terminal itself.
  const bool terminal_signals_too = group_ == Group::kOwn;
  while (true) {
    forward_pending(terminal_signals_too);
    int status = 0;
    struct rusage usage {};
    const pid_t r = wait4(pid_, &status, WNOHANG, &usage);
    if (r == pid_) return finish(status, usage);
    if (r < 0 && errno != EINTR) throw std::runtime_error(fmt::format("wait4: {}", std::strerror(errno)));
    // Sleep until a signal arrives (SIGCHLD included); the handler writes to the wake pipe, so one
    // arriving after the checks above still ends the poll at once.
    pollfd p{g_wake_read.load(), POLLIN, 0};
    poll(&p, 1, 1000);
    char buf[64];
    while (read(p.fd, buf, sizeof buf) > 0) {
    }
  }
}

}  // namespace jouleval::energy
