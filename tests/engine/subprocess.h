// Running a program (the jouleval binary, or a shell around it) as a child process: a crash or an
// abort in the child is a test failure with its exit status, never a crash of the test binary.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace jouleval::engine::testing {

struct ProcessResult {
  int status = -1;  // waitpid status
  std::string err;  // what the child wrote to stderr (and stdout)

  bool exited() const { return WIFEXITED(status); }
  int exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
  bool signaled() const { return WIFSIGNALED(status); }
  // "exit 3" or "signal 6 (Aborted)", for failure messages.
  std::string describe() const {
    if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
      return "signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
    return "status " + std::to_string(status);
  }
};

inline std::string jouleval_binary() { return std::string(JOULEVAL_BINARY_DIR) + "/bin/jouleval"; }

// Runs `args` (args[0] is the program) with stdout and stderr into a file, and waits for it.
inline ProcessResult run_process(const std::vector<std::string>& args) {
  static int counter = 0;
  const std::filesystem::path log = std::filesystem::temp_directory_path() /
                                    ("jouleval-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  ProcessResult r;
  const int rc = posix_spawn(&pid, copy[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    r.err = "cannot start " + copy[0];
    return r;
  }
  while (::waitpid(pid, &r.status, 0) < 0 && errno == EINTR) {
  }
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  r.err = text.str();
  std::error_code ec;
  std::filesystem::remove(log, ec);
  return r;
}

// Runs jouleval with `args`.
inline ProcessResult run_jouleval(std::vector<std::string> args) {
  args.insert(args.begin(), jouleval_binary());
  return run_process(args);
}

// Runs jouleval with `args` under a file-size limit of `blocks` blocks (512 bytes with dash, 1 KiB
// with bash), SIGXFSZ ignored: writes beyond it fail (EFBIG) as they would on a full disk.
inline ProcessResult run_jouleval_with_file_limit(const std::vector<std::string>& args, int blocks) {
  std::string command = "trap '' XFSZ; ulimit -f " + std::to_string(blocks) + " && exec \"$0\" \"$@\"";
  std::vector<std::string> argv = {"/bin/sh", "-c", command, jouleval_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

// The bytes of `path` ("" when it cannot be read).
inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Names in `dir` that look like temporary output files ("*.partial").
inline std::vector<std::string> partial_files(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.find(".partial") != std::string::npos) out.push_back(name);
  }
  return out;
}

}  // namespace jouleval::engine::testing
