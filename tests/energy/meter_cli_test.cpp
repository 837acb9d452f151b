// `jouleval meter` run as a user runs it (the real program, as a child process): stop signals
// forwarded to the measured command with the result still reported, outputs checked before the
// command runs and never left truncated (a full disk simulated with RLIMIT_FSIZE), the idle
// baseline skipped without meters, external meters bounded. $JOULEVAL_TEST_BINARY runs these tests
// against another build of jouleval (to see them fail without a fix).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "test_support.h"

extern char** environ;

namespace jouleval::energy {
namespace {

namespace fs = std::filesystem;
using testing::process_gone;
using testing::read_text;
using testing::seconds_since;
using testing::TempDir;
using testing::wait_for_line;

std::string jouleval_binary() {
  if (const char* b = std::getenv("JOULEVAL_TEST_BINARY"); b != nullptr && *b != '\0') return b;
  return std::string(JOULEVAL_BINARY_DIR) + "/bin/jouleval";
}

// Options that make the host's meters irrelevant (no NVML, no RAPL), so tests mean the same anywhere.
const std::vector<std::string> kNoMeters = {"--nvml-library", "/nonexistent/libnvidia-ml.so.1", "--rapl-root",
                                            "/nonexistent"};

struct Launch {
  std::vector<std::string> args;  // after the program name
  fs::path cwd;
  long file_size_limit = -1;     // RLIMIT_FSIZE in bytes, with SIGXFSZ ignored: writes past it fail (EFBIG)
  std::string stdout_path;       // "" -> a pipe the test reads
  bool terminal = false;         // run as the foreground job of a new pseudo-terminal
  std::vector<std::string> env;  // extra NAME=VALUE
};

struct Running {
  pid_t pid = -1;
  int out = -1;  // stdout pipe, or the terminal's master side
  int err = -1;  // stderr pipe (none on a terminal)
};

struct Finished {
  bool timed_out = false;
  int exit_code = -1;  // -1 when ended by a signal
  int signal = 0;
  std::string out, err;
};

Running start(const Launch& l) {
  const std::string exe = jouleval_binary();
  std::vector<std::string> args = {exe};
  args.insert(args.end(), l.args.begin(), l.args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = l.env;
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string cwd = l.cwd.string();

  // Everything the child does after fork is prepared here (async-signal-safe calls only there).
  auto child_setup = [&](bool with_pipes, int out[2], int err[2]) {
    if (::chdir(cwd.c_str()) != 0) _exit(120);
    if (with_pipes) {
      const int null = ::open("/dev/null", O_RDONLY);
      ::dup2(null, STDIN_FILENO);
      if (!l.stdout_path.empty()) {
        const int f = ::open(l.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(f, STDOUT_FILENO);
      } else {
        ::dup2(out[1], STDOUT_FILENO);
      }
      ::dup2(err[1], STDERR_FILENO);
    }
    if (l.file_size_limit >= 0) {
      ::signal(SIGXFSZ, SIG_IGN);
      const rlimit r{static_cast<rlim_t>(l.file_size_limit), static_cast<rlim_t>(l.file_size_limit)};
      ::setrlimit(RLIMIT_FSIZE, &r);
    }
    ::execve(exe.c_str(), argv.data(), envp.data());
    _exit(121);
  };

  Running r;
  if (l.terminal) {
    int master = -1;
    r.pid = ::forkpty(&master, nullptr, nullptr, nullptr);
    if (r.pid == 0) child_setup(false, nullptr, nullptr);
    r.out = master;
    return r;
  }
  int out[2], err[2];
  EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
  EXPECT_EQ(::pipe2(err, O_CLOEXEC), 0);
  r.pid = ::fork();
  if (r.pid == 0) child_setup(true, out, err);
  ::close(out[1]);
  ::close(err[1]);
  r.out = out[0];
  r.err = err[0];
  return r;
}

// Collects the output and the exit status, waiting at most `seconds` (then kills it: a hang).
Finished finish(Running& r, double seconds = 20) {
  Finished f;
  const auto begin = std::chrono::steady_clock::now();
  int status = 0;
  bool reaped = false;
  while (!reaped) {
    std::vector<pollfd> fds;
    if (r.out >= 0) fds.push_back({r.out, POLLIN, 0});
    if (r.err >= 0) fds.push_back({r.err, POLLIN, 0});
    if (!fds.empty()) ::poll(fds.data(), fds.size(), 20);
    for (auto& p : fds) {
      if (p.revents == 0) continue;
      char buf[4096];
      const ssize_t n = ::read(p.fd, buf, sizeof buf);
      std::string& to = p.fd == r.out ? f.out : f.err;
      if (n > 0) {
        to.append(buf, static_cast<size_t>(n));
      } else {
        ::close(p.fd);  // end (a terminal's master reads EIO once the last slave is closed)
        (p.fd == r.out ? r.out : r.err) = -1;
      }
    }
    if (fds.empty()) usleep(10000);
    if (::waitpid(r.pid, &status, WNOHANG) == r.pid) reaped = true;
    if (!reaped && seconds_since(begin) > seconds) {
      f.timed_out = true;
      ::kill(r.pid, SIGKILL);
      ::waitpid(r.pid, &status, 0);
      reaped = true;
    }
  }
  // Whatever is still buffered in the pipes.
  for (int* fd : {&r.out, &r.err}) {
    if (*fd < 0) continue;
    ::fcntl(*fd, F_SETFL, O_NONBLOCK);
    char buf[4096];
    ssize_t n;
    while ((n = ::read(*fd, buf, sizeof buf)) > 0) (fd == &r.out ? f.out : f.err).append(buf, static_cast<size_t>(n));
    ::close(*fd);
    *fd = -1;
  }
  if (WIFEXITED(status)) f.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) f.signal = WTERMSIG(status);
  return f;
}

Finished run_to_end(const Launch& l, double seconds = 20) {
  Running r = start(l);
  return finish(r, seconds);
}

std::vector<std::string> meter_args(std::vector<std::string> options, const std::vector<std::string>& command) {
  std::vector<std::string> a = {"meter"};
  a.insert(a.end(), options.begin(), options.end());
  a.insert(a.end(), kNoMeters.begin(), kNoMeters.end());
  a.push_back("--");
  a.insert(a.end(), command.begin(), command.end());
  return a;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The files of a directory (to see that nothing, not even a temporary file, was left behind).
std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(energy_meter_cli, SigtermIsForwardedToTheCommandAndTheResultIsStillWritten) {
  TempDir d;
  Launch l;
  l.cwd = d.path();
  l.args =
      meter_args({"--idle", "0", "-o", "out.txt"}, {"sh", "-c", "sleep 30 & echo $! > bg.pid; echo $$ > sh.pid; wait"});
  Running r = start(l);
  const std::string sh = wait_for_line(d.path() / "sh.pid"), bg = wait_for_line(d.path() / "bg.pid");
  ASSERT_FALSE(sh.empty());
  ASSERT_FALSE(bg.empty());
  ::kill(r.pid, SIGTERM);
  const Finished f = finish(r, 10);
  ASSERT_FALSE(f.timed_out);
  EXPECT_EQ(f.signal, 0) << "jouleval itself was killed by the signal";
  EXPECT_EQ(f.exit_code, 128 + SIGTERM) << f.err;
  const std::string report = read_text(d.path() / "out.txt");
  EXPECT_TRUE(contains(report, "(exit 143)")) << report;
  EXPECT_TRUE(contains(report, "stopped        by SIGTERM")) << report;
  EXPECT_TRUE(contains(report, "elapsed")) << report;
  // The command and what it started in the background are gone, not orphaned.
  for (int i = 0; i < 200 && !(process_gone(std::stoi(sh)) && process_gone(std::stoi(bg))); ++i) usleep(10000);
  EXPECT_TRUE(process_gone(std::stoi(sh)));
  EXPECT_TRUE(process_gone(std::stoi(bg)));
}

TEST(energy_meter_cli, SigintAndSighupAreForwardedAndNoFurtherRepetitionStarts) {
  for (int sig : {SIGINT, SIGHUP}) {
    SCOPED_TRACE(sig);
    TempDir d;
    Launch l;
    l.cwd = d.path();
    l.args = meter_args({"--idle", "0", "--json", "--repeat", "5"}, {"sh", "-c", "echo $$ >> pids; exec sleep 30"});
    Running r = start(l);
    const std::string pid = wait_for_line(d.path() / "pids");
    ASSERT_FALSE(pid.empty());
    ::kill(r.pid, sig);
    const Finished f = finish(r, 10);
    ASSERT_FALSE(f.timed_out);
    EXPECT_EQ(f.exit_code, 128 + sig) << f.err;
    const auto j = nlohmann::json::parse(f.out);
    EXPECT_EQ(j["exit_code"], 128 + sig);
    EXPECT_EQ(j["stopped_by"], sig == SIGINT ? "SIGINT" : "SIGHUP");
    EXPECT_EQ(j["repetitions"].size(), 1u);
    EXPECT_EQ(read_text(d.path() / "pids"), pid);  // the command was not started again
    EXPECT_TRUE(process_gone(std::stoi(pid)));
  }
}

TEST(energy_meter_cli, StopSignalWhileAWindowOpensMeansTheCommandNeverStarts) {
  TempDir d;
  // The external meter's first reading (at start-up) is quick, the next one (the window's start
  // edge) takes 1 s: SIGTERM arrives meanwhile.
  testing::write_file(d.path() / "meter.sh",
                      "if [ -e probed ]; then echo edge > edge; sleep 1; else : > probed; fi; echo 1\n");
  Launch l;
  l.cwd = d.path();
  l.args = meter_args({"--idle", "0", "--external-cmd", "sh meter.sh"}, {"sh", "-c", "echo > ran"});
  Running r = start(l);
  ASSERT_FALSE(wait_for_line(d.path() / "edge").empty());
  ::kill(r.pid, SIGTERM);
  const Finished f = finish(r, 10);
  ASSERT_FALSE(f.timed_out);
  EXPECT_EQ(f.exit_code, 128 + SIGTERM) << f.err;
  EXPECT_TRUE(contains(f.err, "stopped by SIGTERM before the command started")) << f.err;
  EXPECT_FALSE(fs::exists(d.path() / "ran"));
}

// In a terminal the command shares jouleval's process group: Ctrl-C reaches it from the terminal
// (once: jouleval does not send it again), and jouleval still reports.
TEST(energy_meter_cli, CtrlCInATerminalReachesTheCommandOnce) {
  TempDir d;
  Launch l;
  l.cwd = d.path();
  l.terminal = true;
  l.args = meter_args({"--idle", "0", "-o", "out.txt"}, {"sh", "-c",
                                                         "trap 'echo int >> ints' INT; echo $$ > sh.pid; "
                                                         "while [ ! -e stop ]; do sleep 0.05; done; exit 7"});
  Running r = start(l);
  if (r.pid < 0) GTEST_SKIP() << "no pseudo-terminal on this host";
  ASSERT_FALSE(wait_for_line(d.path() / "sh.pid").empty());
  usleep(200000);  // the trap is set before the pid is written; let jouleval reach its wait
  ASSERT_EQ(::write(r.out, "\x03", 1), 1);
  ASSERT_FALSE(wait_for_line(d.path() / "ints").empty());
  usleep(300000);  // time for a second (forwarded) SIGINT to arrive, were one sent
  std::ofstream(d.path() / "stop") << "\n";
  const Finished f = finish(r, 10);
  ASSERT_FALSE(f.timed_out);
  EXPECT_EQ(f.exit_code, 7) << f.out;
  EXPECT_EQ(read_text(d.path() / "ints"), "int\n");
  const std::string report = read_text(d.path() / "out.txt");
  EXPECT_TRUE(contains(report, "(exit 7)")) << report;
  EXPECT_TRUE(contains(report, "stopped        by SIGINT")) << report;
}

TEST(energy_meter_cli, SigtermInATerminalIsForwardedToTheCommand) {
  TempDir d;
  Launch l;
  l.cwd = d.path();
  l.terminal = true;
  l.args = meter_args({"--idle", "0", "-o", "out.txt"}, {"sh", "-c", "echo $$ > sh.pid; exec sleep 30"});
  Running r = start(l);
  if (r.pid < 0) GTEST_SKIP() << "no pseudo-terminal on this host";
  const std::string pid = wait_for_line(d.path() / "sh.pid");
  ASSERT_FALSE(pid.empty());
  ::kill(r.pid, SIGTERM);
  const Finished f = finish(r, 10);
  ASSERT_FALSE(f.timed_out);
  EXPECT_EQ(f.exit_code, 128 + SIGTERM) << f.out;
  EXPECT_TRUE(contains(read_text(d.path() / "out.txt"), "(exit 143)"));
  EXPECT_TRUE(process_gone(std::stoi(pid)));
}

TEST(energy_meter_cli, RepetitionsMeasuredBeforeACommandCannotRunAnyMoreAreReported) {
  TempDir d;
  testing::write_file(d.path() / "once.sh", "#!/bin/sh\nrm -f \"$0\"\n");  // deletes itself
  fs::permissions(d.path() / "once.sh", fs::perms::owner_all);
  Launch l;
  l.cwd = d.path();
  l.args = meter_args({"--idle", "0", "--json", "--repeat", "3"}, {"./once.sh"});
  const Finished f = run_to_end(l);
  EXPECT_EQ(f.exit_code, 127) << f.err;
  EXPECT_TRUE(contains(f.err, "cannot run './once.sh'")) << f.err;
  const auto j = nlohmann::json::parse(f.out);
  EXPECT_EQ(j["exit_code"], 127);
  ASSERT_EQ(j["repetitions"].size(), 1u);
  EXPECT_EQ(j["repetitions"][0]["exit_code"], 0);
}

TEST(energy_meter_cli, JsonResultOfACommandLineThatIsNotUtf8IsStillWritten) {
  TempDir d;
  Launch l;
  l.cwd = d.path();
  l.args = meter_args({"--idle", "0", "--json"}, {"true", "caf\xe9"});
  const Finished f = run_to_end(l);
  EXPECT_EQ(f.exit_code, 0) << f.err;
  const auto j = nlohmann::json::parse(f.out);
  EXPECT_EQ(j["command"][1], "caf\xef\xbf\xbd");  // the Latin-1 byte became U+FFFD
}

TEST(energy_meter_cli, OutputPathsAreCheckedBeforeTheCommandRuns) {
  TempDir d;
  for (const std::string option : {"--timeline", "-o"}) {
    SCOPED_TRACE(option);
    Launch l;
    l.cwd = d.path();
    l.args = meter_args({"--idle", "0", option, "missing/dir/file"}, {"sh", "-c", "echo > ran"});
    const Finished f = run_to_end(l);
    EXPECT_EQ(f.exit_code, 3);
    EXPECT_TRUE(contains(f.err, "missing/dir: no such directory (for " + option + " missing/dir/file)")) << f.err;
    EXPECT_FALSE(fs::exists(d.path() / "ran")) << "the command ran before the output path was checked";
  }
}

TEST(energy_meter_cli, FullDiskIsExit4NamingTheFileAndLeavesNoTruncatedFile) {
  TempDir d;
  Launch l;
  l.cwd = d.path();
  l.file_size_limit = 200;  // the JSON result is a few KB
  l.args = meter_args({"--idle", "0", "--json", "-o", "m.json"}, {"true"});
  Finished f = run_to_end(l);
  EXPECT_EQ(f.exit_code, 4) << f.err;
  EXPECT_TRUE(contains(f.err, "m.json: cannot write: File too large")) << f.err;
  EXPECT_TRUE(contains(f.err, "\"exit_code\": 0")) << "the result is not lost: it follows on standard error";
  EXPECT_EQ(listing(d.path()), std::vector<std::string>{}) << "no empty, truncated or temporary file";

  // An existing result is kept as it was.
  std::ofstream(d.path() / "m.json") << "previous\n";
  f = run_to_end(l);
  EXPECT_EQ(f.exit_code, 4) << f.err;
  EXPECT_EQ(read_text(d.path() / "m.json"), "previous\n");
  EXPECT_EQ(listing(d.path()), std::vector<std::string>{"m.json"});
}

TEST(energy_meter_cli, FullDiskForTheTimelineKeepsTheReport) {
  TempDir d;
  testing::write_file(d.path() / "nvml.txt", "energy_mj 0 0 1000 2000\npower_mw 100000\n");
  Launch l;
  l.cwd = d.path();
  l.file_size_limit = 60;  // the timeline's header (34 bytes) and one sample (27) are already larger
  l.env = {"JOULEVAL_FAKE_NVML_SCRIPT=" + (d.path() / "nvml.txt").string()};
  l.args = {"meter",
            "--idle",
            "0",
            "--nvml-library",
            JOULEVAL_FAKE_NVML_PATH,
            "--no-rapl",
            "--sample-interval-ms",
            "10",
            "--timeline",
            "t.csv",
            "--",
            "sleep",
            "0.3"};
  const Finished f = run_to_end(l);
  EXPECT_EQ(f.exit_code, 4) << f.err;
  EXPECT_TRUE(contains(f.err, "t.csv: cannot write: File too large")) << f.err;
  EXPECT_TRUE(contains(f.out, "jouleval meter: 'sleep 0.3' (exit 0)")) << f.out;
  EXPECT_TRUE(contains(f.out, "nvml:0")) << f.out;
  EXPECT_EQ(listing(d.path()), std::vector<std::string>{"nvml.txt"});
}

TEST(energy_meter_cli, FullStandardOutputIsExit4AndTheResultGoesToStandardError) {
  TempDir d;
  Launch l;
  l.cwd = d.path();
  l.stdout_path = "/dev/full";
  l.args = meter_args({"--idle", "0"}, {"true"});
  const Finished f = run_to_end(l);
  EXPECT_EQ(f.exit_code, 4) << f.err;
  EXPECT_TRUE(contains(f.err, "standard output: cannot write: No space left on device")) << f.err;
  EXPECT_TRUE(contains(f.err, "jouleval meter: 'true' (exit 0)")) << f.err;
}

TEST(energy_meter_cli, OutputToAFifoIsWrittenInPlace) {
  TempDir d;
  const auto fifo = d.path() / "result.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string received;
  std::thread reader([&] { received = read_text(fifo); });
  Launch l;
  l.cwd = d.path();
  l.args = meter_args({"--idle", "0", "-o", fifo.string()}, {"true"});
  const Finished f = run_to_end(l);
  reader.join();
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_TRUE(contains(received, "jouleval meter: 'true' (exit 0)")) << received;
  struct stat st {};
  ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the FIFO was replaced by a file";
}

TEST(energy_meter_cli, IdleBaselineIsSkippedWhenNoMeterCanMeasureIt) {
  TempDir d;
  Launch l;
  l.cwd = d.path();
  l.args = meter_args({"--idle", "30"}, {"true"});
  const auto begin = std::chrono::steady_clock::now();
  const Finished f = run_to_end(l, 10);
  ASSERT_FALSE(f.timed_out) << "waited for an idle baseline no meter measures";
  EXPECT_LT(seconds_since(begin), 10);
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_TRUE(contains(f.err, "no meter available; idle baseline skipped")) << f.err;
  EXPECT_TRUE(contains(f.out, "idle baseline  skipped: no meter available")) << f.out;
}

TEST(energy_meter_cli, ExternalMeterThatHangsOrGoesBackwardsIsUnavailableWithTheReason) {
  TempDir d;
  Launch slow;
  slow.cwd = d.path();
  slow.args = meter_args({"--idle", "0", "--external-cmd", "sleep 30; echo 5", "--external-timeout", "0.5"}, {"true"});
  const Finished f = run_to_end(slow, 10);
  ASSERT_FALSE(f.timed_out);
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_TRUE(contains(f.out,
                       "external       unavailable: external meter command 'sleep 30; echo 5': did not "
                       "finish within 0.5 s"))
      << f.out;

  testing::write_file(d.path() / "counter", "100\n");
  Launch reset;
  reset.cwd = d.path();
  reset.args = meter_args({"--idle", "0", "--external-file", "counter"}, {"sh", "-c", "echo 50 > counter"});
  const Finished g = run_to_end(reset, 10);
  EXPECT_EQ(g.exit_code, 0) << g.err;
  EXPECT_TRUE(contains(g.out,
                       "external       unavailable: counter went backwards: 100.000 J at the window's start, "
                       "50.000 J at its end (reset?)"))
      << g.out;
  EXPECT_FALSE(contains(g.out, "-50")) << g.out;
}

}  // namespace
}  // namespace jouleval::energy
