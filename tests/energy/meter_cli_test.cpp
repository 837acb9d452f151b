// `jouleval meter` run as a user runs it (the real program, as a child process): stop signals
// forwarded to the measured command with the result still reported, the report on standard error
// (standard output is the command's), outputs checked before the command runs and never left
// truncated (a full disk simulated with RLIMIT_FSIZE), the idle baseline skipped without meters,
// external meters bounded, CPU time and peak memory, --csv, -I and --estimate. $JOULEVAL_TEST_BINARY runs these tests
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
#include <regex>
#include <sstream>
#include <thread>

#include "test_support.h"
#include "util/file_lock.h"

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
  std::string stderr_path;       // "" -> a pipe the test reads
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
      if (!l.stderr_path.empty()) {
        const int f = ::open(l.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(f, STDERR_FILENO);
      } else {
        ::dup2(err[1], STDERR_FILENO);
      }
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
    EXPECT_EQ(f.out, "") << "the JSON result goes to standard error";
    const auto j = nlohmann::json::parse(f.err);
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
  l.args = meter_args({"--idle", "0", "--json", "-o", "m.json", "--repeat", "3"}, {"./once.sh"});
  const Finished f = run_to_end(l);
  EXPECT_EQ(f.exit_code, 127) << f.err;
  EXPECT_TRUE(contains(f.err, "cannot run './once.sh'")) << f.err;
  const auto j = nlohmann::json::parse(read_text(d.path() / "m.json"));
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
  const auto j = nlohmann::json::parse(f.err);
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
  EXPECT_TRUE(contains(f.err, "jouleval meter: 'sleep 0.3' (exit 0)")) << f.err;
  EXPECT_TRUE(contains(f.err, "nvml:0")) << f.err;
  EXPECT_EQ(listing(d.path()), std::vector<std::string>{"nvml.txt"});
}

// Standard output is the command's alone, like perf stat and /usr/bin/time: the report (text or
// JSON) and jouleval's notes go to standard error.
TEST(energy_meter_cli, StandardOutputIsTheCommandsAlone) {
  TempDir d;
  for (const bool json : {false, true}) {
    SCOPED_TRACE(json);
    Launch l;
    l.cwd = d.path();
    l.args = meter_args(json ? std::vector<std::string>{"--json"} : std::vector<std::string>{}, {"echo", "hi"});
    const Finished f = run_to_end(l);
    EXPECT_EQ(f.exit_code, 0) << f.err;
    EXPECT_EQ(f.out, "hi\n");
    if (json) {
      EXPECT_EQ(nlohmann::json::parse(f.err)["command"], nlohmann::json({"echo", "hi"})) << f.err;
    } else {
      EXPECT_TRUE(contains(f.err, "jouleval meter: 'echo hi' (exit 0)")) << f.err;
    }
  }
}

TEST(energy_meter_cli, FullStandardOutputIsTheCommandsBusiness) {
  TempDir d;
  Launch l;
  l.cwd = d.path();
  l.stdout_path = "/dev/full";
  l.args = meter_args({"--idle", "0"}, {"true"});
  const Finished f = run_to_end(l);
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_TRUE(contains(f.err, "jouleval meter: 'true' (exit 0)")) << f.err;
}

TEST(energy_meter_cli, FullStandardErrorIsExit4) {
  TempDir d;
  Launch l;
  l.cwd = d.path();
  l.stderr_path = "/dev/full";
  l.args = meter_args({"--idle", "0"}, {"true"});
  const Finished f = run_to_end(l);
  EXPECT_EQ(f.exit_code, 4) << "the report was lost: the exit code says so";
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
  EXPECT_TRUE(contains(f.err, "idle baseline  skipped, no energy meter")) << f.err;
  EXPECT_FALSE(contains(f.err, "measuring idle power")) << f.err;

  l.args = meter_args({"--idle", "30", "--json"}, {"true"});
  const Finished g = run_to_end(l, 10);
  const auto j = nlohmann::json::parse(g.err);
  EXPECT_EQ(j["idle_skipped"], "no energy meter");
  EXPECT_TRUE(j["idle"].is_null());
}

// The first step a README reader takes, on a machine without GPU or RAPL, with the default 5 s idle
// baseline: about 1 s, exit 0, each meter named unavailable with its reason.
TEST(energy_meter_cli, SleepOneWithoutMetersTakesOneSecondAndNamesTheMissingMeters) {
  TempDir d;
  Launch l;
  l.cwd = d.path();
  l.args = meter_args({}, {"sleep", "1"});
  const auto begin = std::chrono::steady_clock::now();
  const Finished f = run_to_end(l, 20);
  const double seconds = seconds_since(begin);
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_GE(seconds, 1.0);
  EXPECT_LT(seconds, 4.0) << "a sanity bound: the 5 s idle baseline must not run";
  EXPECT_EQ(f.out, "");
  EXPECT_TRUE(contains(f.err, "  nvml           unavailable: cannot load NVML library")) << f.err;
  EXPECT_TRUE(contains(f.err, "  rapl           unavailable: no RAPL domains under /nonexistent")) << f.err;
  EXPECT_TRUE(contains(f.err, "idle baseline  skipped, no energy meter")) << f.err;
}

TEST(energy_meter_cli, ExternalMeterThatHangsOrGoesBackwardsIsUnavailableWithTheReason) {
  TempDir d;
  Launch slow;
  slow.cwd = d.path();
  slow.args = meter_args({"--idle", "0", "--external-cmd", "sleep 30; echo 5", "--external-timeout", "0.5"}, {"true"});
  const Finished f = run_to_end(slow, 10);
  ASSERT_FALSE(f.timed_out);
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_TRUE(contains(f.err,
                       "external       unavailable: external meter command 'sleep 30; echo 5': did not "
                       "finish within 0.5 s"))
      << f.err;

  testing::write_file(d.path() / "counter", "100\n");
  Launch reset;
  reset.cwd = d.path();
  reset.args = meter_args({"--idle", "0", "--external-file", "counter"}, {"sh", "-c", "echo 50 > counter"});
  const Finished g = run_to_end(reset, 10);
  EXPECT_EQ(g.exit_code, 0) << g.err;
  EXPECT_TRUE(contains(g.err,
                       "external       unavailable: counter went backwards: 100.000 J at the window's start, "
                       "50.000 J at its end (reset?)"))
      << g.err;
  EXPECT_FALSE(contains(g.err, "-50")) << g.err;
}

// The lines of `text` that match `pattern` (ECMAScript).
std::vector<std::string> matching_lines(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern);
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (std::regex_search(line, re)) out.push_back(line);
  }
  return out;
}

// A command tree whose CPU time is in a child the shell waits for: perl (Essential on Debian) spins
// until it has used 0.3 s of user CPU time, however busy the host is.
const std::vector<std::string> kBurnCpu = {"sh", "-c",
                                           "perl -e 'while ((times)[0] < 0.3) { for (1..100000) {} }'; true"};

TEST(energy_meter_cli, CpuTimeAndPeakMemoryOfTheCommandTree) {
  TempDir d;
  Launch l;
  l.cwd = d.path();
  l.args = meter_args({"--idle", "0", "--json", "-o", "burn.json"}, kBurnCpu);
  Finished f = run_to_end(l);
  ASSERT_EQ(f.exit_code, 0) << f.err;
  auto j = nlohmann::json::parse(read_text(d.path() / "burn.json"));
  const auto& burn = j["repetitions"][0];
  EXPECT_GE(burn["user_seconds"].get<double>(), 0.2) << burn.dump();
  EXPECT_LE(burn["user_seconds"].get<double>() + burn["system_seconds"].get<double>(),
            burn["seconds"].get<double>() * 1.05)
      << "one thread cannot use more CPU than wall time";

  // 200 MB held by the shell itself (a command substitution): the largest single process.
  l.args = meter_args({"--idle", "0"}, {"sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo ${#x}"});
  f = run_to_end(l, 60);
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(f.out, "200000000\n");
  const auto rss = matching_lines(f.err, "^  peak RSS       [0-9]+ KiB");
  ASSERT_EQ(rss.size(), 1u) << f.err;
  EXPECT_GE(std::stol(rss[0].substr(17)), 150L * 1024) << rss[0];
  const auto user = matching_lines(f.err, "^  user           [0-9]+\\.[0-9]{3} s$");
  const auto sys = matching_lines(f.err, "^  sys            [0-9]+\\.[0-9]{3} s$");
  EXPECT_EQ(user.size(), 1u) << f.err;
  EXPECT_EQ(sys.size(), 1u) << f.err;
}

const std::string kCsvHeader =
    "time_utc,host,command,repetition,exit_code,stopped_by,elapsed_s,user_s,sys_s,max_rss_kib,gpu_j,gpu_active_j,"
    "cpu_j,cpu_active_j,dram_j,dram_active_j,external_j,external_active_j,unavailable_meters,estimated_cpu_j,"
    "estimate_tdp_w,estimate_cores";

std::vector<std::string> csv_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.push_back("");
  return cells;
}

TEST(energy_meter_cli, CsvHeaderIsWrittenOnceOverAppends) {
  TempDir d;
  Launch l;
  l.cwd = d.path();
  l.args = meter_args({"--idle", "0", "--csv", "m.csv"}, {"true"});
  Finished f = run_to_end(l);
  ASSERT_EQ(f.exit_code, 0) << f.err;
  l.args = meter_args({"--idle", "0", "--csv", "m.csv", "--repeat", "2"}, {"echo", "a,b"});
  f = run_to_end(l);
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(f.out, "a,b\na,b\n");

  const auto lines = matching_lines(read_text(d.path() / "m.csv"), ".");
  ASSERT_EQ(lines.size(), 4u) << read_text(d.path() / "m.csv");
  EXPECT_EQ(lines[0], kCsvHeader);
  const std::vector<std::string> commands = {"true", "\"echo a,b\"", "\"echo a,b\""};
  const std::vector<std::string> repetitions = {"1", "1", "2"};
  for (size_t i = 1; i < 4; ++i) {
    SCOPED_TRACE(lines[i]);
    EXPECT_TRUE(std::regex_search(lines[i], std::regex("^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z,")));
    // The quoted command holds a comma: cut it out before splitting the rest.
    const size_t at = lines[i].find("," + commands[i - 1] + ",");
    ASSERT_NE(at, std::string::npos);
    const auto cells = csv_cells(lines[i].substr(at + commands[i - 1].size() + 2));
    ASSERT_EQ(cells.size(), 19u);
    EXPECT_EQ(cells[0], repetitions[i - 1]);
    EXPECT_EQ(cells[1], "0");  // exit code
    EXPECT_EQ(cells[2], "");   // stopped_by
    EXPECT_EQ(cells[7], "");   // gpu_j: no meter, never a zero
    EXPECT_EQ(cells[9], "");   // cpu_j
    EXPECT_EQ(cells[15], "nvml rapl");
    EXPECT_EQ(cells[16], "");  // no estimate asked for
  }
}

TEST(energy_meter_cli, CsvEnergyColumnsComeFromTheMeters) {
  TempDir d;
  // Counter readings: at start-up, at the window's start, at its end: 3 J.
  testing::write_file(d.path() / "nvml.txt", "energy_mj 0 1000 4000\npower_mw 100000\n");
  Launch l;
  l.cwd = d.path();
  l.env = {"JOULEVAL_FAKE_NVML_SCRIPT=" + (d.path() / "nvml.txt").string()};
  l.args = {"meter",
            "--idle",
            "0",
            "--nvml-library",
            JOULEVAL_FAKE_NVML_PATH,
            "--rapl-root",
            "/nonexistent",
            "--sample-interval-ms",
            "20",
            "--csv",
            "m.csv",
            "--",
            "true"};
  const Finished f = run_to_end(l);
  ASSERT_EQ(f.exit_code, 0) << f.err;
  const auto lines = matching_lines(read_text(d.path() / "m.csv"), ".");
  ASSERT_EQ(lines.size(), 2u);
  const auto cells = csv_cells(lines[1]);
  ASSERT_EQ(cells.size(), 22u) << lines[1];
  EXPECT_EQ(cells[2], "true");
  EXPECT_EQ(cells[10], "3.000000");  // gpu_j
  EXPECT_EQ(cells[11], "");          // gpu_active_j: no idle baseline
  EXPECT_EQ(cells[12], "");          // cpu_j: RAPL unavailable
  EXPECT_EQ(cells[18], "rapl");
}

// The warning about another jouleval process measuring names what it shares with this measurement:
// a sweep on another GPU is none of its business. On a 4-GPU host, `meter` of a command on GPU 3 warned
// "another jouleval process is measuring on this machine" while sweeps ran on GPUs 0-2.
TEST(energy_meter_cli, WarnsOnlyAboutMeasurementsOnTheGpusItMeters) {
  TempDir d;
  testing::write_file(d.path() / "nvml.txt", "devices 2\nenergy_mj 0 1000 4000\npower_mw 100000\n");
  const fs::path lock = d.path() / "measure.lock";
  auto meter_warnings = [&] {
    Launch l;
    l.cwd = d.path();
    l.env = {"JOULEVAL_FAKE_NVML_SCRIPT=" + (d.path() / "nvml.txt").string(), "JOULEVAL_MEASURE_LOCK=" + lock.string(),
             "CUDA_VISIBLE_DEVICES=1"};
    l.args = {"meter",       "--json",       "-o", "m.json", "--idle", "0", "--nvml-library", JOULEVAL_FAKE_NVML_PATH,
              "--rapl-root", "/nonexistent", "--", "true"};
    const Finished f = run_to_end(l);
    EXPECT_EQ(f.exit_code, 0) << f.err;
    return nlohmann::json::parse(read_text(d.path() / "m.json")).at("warnings");
  };
  {
    // A sweep on GPU 0 (bus 0000:10:00.0): its GPU's lock and the host's, shared.
    util::FileLock host(lock, {}, util::LockMode::kShared);
    util::FileLock gpu0(lock.string() + ".gpu-0000:10:00.0", {});
    EXPECT_TRUE(meter_warnings().empty());
  }
  {
    // A sweep on GPU 1, the one CUDA_VISIBLE_DEVICES=1 gives this command.
    util::FileLock host(lock, {}, util::LockMode::kShared);
    util::FileLock gpu1(lock.string() + ".gpu-0000:11:00.0", {});
    const auto w = meter_warnings();
    ASSERT_EQ(w.size(), 1u) << w.dump();
    EXPECT_NE(w[0].get<std::string>().find("GPU 0000:11:00.0"), std::string::npos) << w.dump();
  }
}

TEST(energy_meter_cli, CsvWithAnotherHeaderIsRefusedBeforeTheCommandRuns) {
  TempDir d;
  testing::write_file(d.path() / "other.csv", "a,b\n1,2\n");
  Launch l;
  l.cwd = d.path();
  l.args = meter_args({"--idle", "0", "--csv", "other.csv"}, {"sh", "-c", "echo > ran"});
  Finished f = run_to_end(l);
  EXPECT_EQ(f.exit_code, 3) << f.err;
  EXPECT_TRUE(contains(f.err, "other.csv:1: not the header of jouleval meter's CSV")) << f.err;
  EXPECT_FALSE(fs::exists(d.path() / "ran"));
  EXPECT_EQ(read_text(d.path() / "other.csv"), "a,b\n1,2\n");

  // A cut-off last row is refused too; a directory is a usage error.
  testing::write_file(d.path() / "cut.csv", kCsvHeader + "\n2026-01-01T00:00:00Z,h,true,1");
  l.args = meter_args({"--idle", "0", "--csv", "cut.csv"}, {"true"});
  f = run_to_end(l);
  EXPECT_EQ(f.exit_code, 3) << f.err;
  EXPECT_TRUE(contains(f.err, "cut.csv: does not end with a newline")) << f.err;
  l.args = meter_args({"--idle", "0", "--csv", "."}, {"true"});
  f = run_to_end(l);
  EXPECT_EQ(f.exit_code, 2) << f.err;
  EXPECT_TRUE(contains(f.err, ".: is a directory (for --csv)")) << f.err;
}

TEST(energy_meter_cli, CsvOnAFullDiskIsExit4AndLeavesNoPartialRow) {
  TempDir d;
  const std::string before = kCsvHeader + "\n";
  testing::write_file(d.path() / "m.csv", before);
  Launch l;
  l.cwd = d.path();
  l.file_size_limit = static_cast<long>(before.size()) + 20;  // a row is longer than 20 bytes
  l.args = meter_args({"--idle", "0", "--csv", "m.csv"}, {"true"});
  const Finished f = run_to_end(l);
  EXPECT_EQ(f.exit_code, 4) << f.err;
  EXPECT_TRUE(contains(f.err, "m.csv: cannot write: File too large (for --csv)")) << f.err;
  EXPECT_TRUE(contains(f.err, "the rows follow")) << f.err;
  EXPECT_EQ(read_text(d.path() / "m.csv"), before);
}

TEST(energy_meter_cli, IntervalLinesGiveEachMetersEnergyAndPower) {
  TempDir d;
  testing::write_file(d.path() / "nvml.txt", "energy_mj 0\npower_mw 100000\n");  // a steady 100 W
  Launch l;
  l.cwd = d.path();
  l.env = {"JOULEVAL_FAKE_NVML_SCRIPT=" + (d.path() / "nvml.txt").string()};
  l.args = {"meter",
            "--idle",
            "0",
            "--nvml-library",
            JOULEVAL_FAKE_NVML_PATH,
            "--no-rapl",
            "--sample-interval-ms",
            "500",
            "-I",
            "100",
            "--",
            "sleep",
            "0.55"};
  const Finished f = run_to_end(l);
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(f.out, "");
  // Lines at 0.1, 0.2, ... 0.5 s; on a busy host one may be lost to a late wake-up, or one more come
  // when starting `sleep` takes long.
  const auto lines = matching_lines(f.err, "^ +[0-9]+\\.[0-9]{3} s  nvml:0 [0-9.]+ J 100\\.0 W$");
  EXPECT_GE(lines.size(), 4u) << f.err;
  EXPECT_LE(lines.size(), 6u) << f.err;
  EXPECT_EQ(matching_lines(f.err, "^#      time  energy and average power").size(), 1u) << f.err;
  EXPECT_TRUE(lines.empty() || contains(lines[0], "     0.1")) << f.err;

  // Without meters the lines still come (0.1, 0.2, 0.3 s in each repetition), and say so.
  Launch none;
  none.cwd = d.path();
  none.args = meter_args({"--idle", "0", "-I", "100", "--repeat", "2"}, {"sleep", "0.35"});
  const Finished g = run_to_end(none);
  ASSERT_EQ(g.exit_code, 0) << g.err;
  const auto first = matching_lines(g.err, "^\\[1/2\\] +0\\.[0-9]{3} s  no energy meter$");
  const auto second = matching_lines(g.err, "^\\[2/2\\] +0\\.[0-9]{3} s  no energy meter$");
  EXPECT_GE(first.size(), 2u) << g.err;
  EXPECT_LE(first.size(), 4u) << g.err;
  EXPECT_GE(second.size(), 2u) << g.err;
  EXPECT_LE(second.size(), 4u) << g.err;
}

// `jouleval meter -I 20 -- CMD 2>&1 | head -1`: the reader of standard error goes away while the
// command runs. jouleval is not killed by SIGPIPE (which would leave the command unwaited): the
// command runs to its end, and the lost report is exit 1.
TEST(energy_meter_cli, ClosedStandardErrorDuringIntervalLinesDoesNotKillMeter) {
  TempDir d;
  Launch l;
  l.cwd = d.path();
  l.args = meter_args({"--idle", "0", "-I", "20"}, {"sh", "-c", "sleep 0.5; echo done > finished"});
  Running r = start(l);
  ::close(r.err);  // before anything is written
  r.err = -1;
  const Finished f = finish(r, 10);
  ASSERT_FALSE(f.timed_out);
  EXPECT_EQ(f.signal, 0) << "jouleval was killed by signal " << f.signal;
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_EQ(read_text(d.path() / "finished"), "done\n");
}

TEST(energy_meter_cli, EstimateIsLabelledAndKeptApartFromMeasuredEnergy) {
  TempDir d;
  Launch l;
  l.cwd = d.path();
  l.args = meter_args({"--idle", "0", "--estimate", "cpu-tdp=100,cores=2", "--json", "-o", "m.json", "--csv", "m.csv"},
                      kBurnCpu);
  Finished f = run_to_end(l);
  ASSERT_EQ(f.exit_code, 0) << f.err;
  const auto j = nlohmann::json::parse(read_text(d.path() / "m.json"));
  const auto& rep = j["repetitions"][0];
  ASSERT_EQ(rep["estimates"].size(), 1u) << rep.dump();
  const auto& e = rep["estimates"][0];
  EXPECT_EQ(e["estimated"], true);
  EXPECT_EQ(e["name"], "cpu-tdp");
  EXPECT_EQ(e["tdp_watts"], 100.0);
  EXPECT_EQ(e["cores"], 2);
  const double cpu = rep["user_seconds"].get<double>() + rep["system_seconds"].get<double>();
  EXPECT_NEAR(e["joules"].get<double>(), 100.0 * cpu / 2, 1e-9);  // TDP x (user + sys) / cores
  EXPECT_GE(e["joules"].get<double>(), 10.0);                     // >= 0.2 s of CPU
  for (const auto& m : rep["meters"]) EXPECT_EQ(m["estimated"], false) << "an estimate among the meters";
  EXPECT_EQ(j["stats"]["estimates"]["cpu-tdp"]["estimated"], true);

  const auto lines = matching_lines(read_text(d.path() / "m.csv"), ".");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(contains(lines[0], ",estimated_cpu_j,estimate_tdp_w,estimate_cores"));
  const auto cells = csv_cells(lines[1].substr(lines[1].find(",0,,")));  // after the quoted command
  EXPECT_EQ(cells[cells.size() - 2], "100");
  EXPECT_EQ(cells.back(), "2");

  l.args = meter_args({"--idle", "0", "--estimate", "cpu-tdp=65,cores=4"}, {"true"});
  f = run_to_end(l);
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_TRUE(contains(f.err, "  cpu-tdp        ")) << f.err;
  EXPECT_TRUE(contains(f.err, " J ESTIMATED, not measured: 65 W TDP x ")) << f.err;
  EXPECT_TRUE(contains(f.err, " s CPU time / 4 logical CPUs")) << f.err;
}

TEST(energy_meter_cli, BadEstimateIsAUsageErrorBeforeTheCommandRuns) {
  TempDir d;
  for (const std::string spec : {"cpu-tdp=0", "cpu-tdp=nan", "cpu-tdp=65,cores=0", "cpu-tdp=65,cores=1.5",
                                 "gpu-tdp=300", "cores=4", "cpu-tdp", "", "cpu-tdp=65,cpu-tdp=70"}) {
    SCOPED_TRACE(spec);
    Launch l;
    l.cwd = d.path();
    l.args = meter_args({"--idle", "0", "--estimate", spec}, {"sh", "-c", "echo > ran"});
    const Finished f = run_to_end(l);
    EXPECT_EQ(f.exit_code, 2) << f.err;
    EXPECT_TRUE(contains(f.err, "--estimate: '" + spec + "'")) << f.err;
    EXPECT_FALSE(fs::exists(d.path() / "ran"));
  }
}

}  // namespace
}  // namespace jouleval::energy
