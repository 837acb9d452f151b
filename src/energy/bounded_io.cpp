#include "energy/bounded_io.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "util/unique_fd.h"

namespace jouleval::energy {

namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

using Fd = util::UniqueFd;

SteadyTime deadline_after(double seconds) {
  const double s = std::isfinite(seconds) ? std::clamp(seconds, 0.0, 1e6) : 0.0;
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

// Milliseconds left until `deadline` (0 when past), at most `cap_ms`.
int ms_left(SteadyTime deadline, int cap_ms) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return 0;
  return static_cast<int>(std::min<long long>(left.count(), cap_ms));
}

bool past(SteadyTime deadline) { return std::chrono::steady_clock::now() >= deadline; }

BoundedRead failure(std::string why, int error_number = 0) {
  BoundedRead r;
  r.error = std::move(why);
  r.error_number = error_number;
  return r;
}

enum class Drain { kMore, kEnd, kTooLong, kError };

// Reads what `fd` (non-blocking) has now into `text`: kEnd at end of file, kTooLong past
// `max_bytes`, kMore when nothing more is available yet.
Drain drain(int fd, std::string& text, size_t max_bytes, int& error_number) {
  std::array<char, 4096> buf;
  while (true) {
    const size_t want = std::min(buf.size(), max_bytes + 1 - text.size());
    const ssize_t n = ::read(fd, buf.data(), want);
    if (n > 0) {
      text.append(buf.data(), static_cast<size_t>(n));
      if (text.size() > max_bytes) return Drain::kTooLong;
      continue;
    }
    if (n == 0) return Drain::kEnd;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Drain::kMore;
    error_number = errno;
    return Drain::kError;
  }
}

// Kills the whole process group led by `pid` (not reaped yet, so the group id is still its own),
// then reaps `pid`.
void kill_group_and_reap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

std::string printable_excerpt(std::string_view text, size_t max_chars) {
  std::string out;
  for (char c : text.substr(0, max_chars)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  if (text.size() > max_chars) out += "...";
  return out;
}

std::string seconds_text(double seconds) { return fmt::format("{:g} s", seconds); }

BoundedRead read_file_bounded(const std::filesystem::path& path, const ReadLimits& limits) {
  const SteadyTime deadline = deadline_after(limits.timeout_seconds);
  Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    const int e = errno;
    return failure(std::strerror(e), e);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return failure(std::strerror(errno), errno);
  if (S_ISDIR(st.st_mode)) return failure("is a directory", EISDIR);
  if (limits.regular_file_only && !S_ISREG(st.st_mode)) return failure("not a regular file");

  // A FIFO reads as ended while no writer has it open: until data arrives, that is a wait for the
  // writer, not the end.
  const bool fifo = S_ISFIFO(st.st_mode);
  BoundedRead r;
  while (true) {
    int error_number = 0;
    switch (drain(fd.get(), r.text, limits.max_bytes, error_number)) {
      case Drain::kEnd:
        if (fifo && r.text.empty()) {
          if (past(deadline)) return failure(fmt::format("no writer within {}", seconds_text(limits.timeout_seconds)));
          pollfd p{fd.get(), POLLIN, 0};
          ::poll(&p, 1, ms_left(deadline, 1000));
          if (p.revents & POLLHUP) std::this_thread::sleep_for(std::chrono::milliseconds(10));  // a writer left
          continue;
        }
        r.ok = true;
        return r;
      case Drain::kTooLong:
        return failure(fmt::format("holds more than {} bytes (not a counter value)", limits.max_bytes));
      case Drain::kError:
        return failure(std::strerror(error_number), error_number);
      case Drain::kMore:
        break;
    }
    // Nothing to read yet (a FIFO or a device): wait for data or the end, up to the deadline.
    pollfd p{fd.get(), POLLIN, 0};
    const int n = ::poll(&p, 1, ms_left(deadline, 1000));
    if (n < 0 && errno != EINTR) return failure(std::strerror(errno), errno);
    if (n == 0 && past(deadline)) {
      return failure(
          fmt::format("no complete reading within {} (a FIFO without a writer, or a device that does "
                      "not end?)",
                      seconds_text(limits.timeout_seconds)));
    }
  }
}

BoundedRead run_command_bounded(const std::string& command, const ReadLimits& limits) {
  const SteadyTime deadline = deadline_after(limits.timeout_seconds);
  // Everything the child needs is prepared before fork: it only makes async-signal-safe calls.
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
  std::vector<char*> argv = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return failure(fmt::format("pipe: {}", std::strerror(errno)), errno);
  Fd read_end(fds[0]), write_end(fds[1]);
  const pid_t pid = ::fork();
  if (pid < 0) return failure(fmt::format("fork: {}", std::strerror(errno)), errno);
  if (pid == 0) {
    ::setpgid(0, 0);
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || ::dup2(null, STDIN_FILENO) < 0 || ::dup2(write_end.get(), STDOUT_FILENO) < 0) _exit(126);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::setpgid(pid, pid);  // also in the parent, so that the group exists before any kill below
  write_end.reset();
  ::fcntl(read_end.get(), F_SETFL, ::fcntl(read_end.get(), F_GETFL) | O_NONBLOCK);

  std::string out;
  bool at_end = false;
  int status = 0;
  while (true) {
    if (!at_end) {
      int error_number = 0;
      const Drain d = drain(read_end.get(), out, limits.max_bytes, error_number);
      if (d == Drain::kTooLong) {
        kill_group_and_reap(pid);
        return failure(fmt::format("printed more than {} bytes (not a counter value); stopped it", limits.max_bytes));
      }
      if (d == Drain::kError) {
        kill_group_and_reap(pid);
        return failure(fmt::format("reading its output: {}", std::strerror(error_number)), error_number);
      }
      at_end = d == Drain::kEnd;
    }
    // Whether the shell has exited, leaving it unreaped (WNOWAIT): while it is a zombie its process
    // group's id cannot be reused, so killing the group below cannot hit another process.
    siginfo_t info{};
    const int w = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
    if (w == 0 && info.si_pid == pid) {
      // What it printed is in the pipe. A background process of its group may still hold the pipe
      // open; the reading is complete without it, and it is killed.
      if (!at_end) {
        int error_number = 0;
        drain(read_end.get(), out, limits.max_bytes, error_number);
      }
      ::kill(-pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    if (w < 0 && errno != EINTR) {
      const int e = errno;
      kill_group_and_reap(pid);
      return failure(fmt::format("waitid: {}", std::strerror(e)), e);
    }
    if (past(deadline)) {
      kill_group_and_reap(pid);
      return failure(fmt::format("did not finish within {}; stopped it (its whole process group)",
                                 seconds_text(limits.timeout_seconds)));
    }
    if (at_end) {
      // Output closed, the shell not yet reaped: it is exiting.
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    } else {
      pollfd p{read_end.get(), POLLIN, 0};
      ::poll(&p, 1, ms_left(deadline, 10));  // woken by output or its end; 10 ms to notice an exit
    }
  }
  if (out.size() > limits.max_bytes) {
    return failure(fmt::format("printed more than {} bytes (not a counter value)", limits.max_bytes));
  }
  if (WIFSIGNALED(status)) return failure(fmt::format("ended by signal {}", WTERMSIG(status)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return failure(fmt::format("exited with status {}", WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  }
  BoundedRead r;
  r.ok = true;
  r.text = std::move(out);
  return r;
}

}  // namespace jouleval::energy
