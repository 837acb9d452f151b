#include "energy/child_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace jouleval::energy {

namespace {

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  if (argv.empty()) throw ExecError("no command given", 127);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  // The child reports an exec failure by writing errno into a close-on-exec pipe; a successful exec
  // closes the pipe, so the parent reads nothing.
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  Fd read_end(fds[0]), write_end(fds[1]);
  std::fflush(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid_ == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    execvp(args[0], args.data());
    const int e = errno;
    ssize_t ignored = write(write_end.get(), &e, sizeof e);
    (void)ignored;
    _exit(127);
  }
  write_end.reset();
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(read_end.get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    const int code = (child_errno == ENOENT || child_errno == ENOTDIR) ? 127 : 126;
    throw ExecError(fmt::format("cannot run '{}': {}", argv[0], std::strerror(child_errno)), code);
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

int ChildProcess::wait() {
  if (pid_ <= 0) throw std::runtime_error("ChildProcess::wait: no child");
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0) throw std::runtime_error(fmt::format("waitpid: {}", std::strerror(errno)));
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

IgnoreInterrupts::IgnoreInterrupts() {
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGINT, &ign, &saved_int_);
  sigaction(SIGQUIT, &ign, &saved_quit_);
}

IgnoreInterrupts::~IgnoreInterrupts() {
  sigaction(SIGINT, &saved_int_, nullptr);
  sigaction(SIGQUIT, &saved_quit_, nullptr);
}

}  // namespace jouleval::energy
