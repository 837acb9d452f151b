// Crash safety of a real sweep: a `jouleval sweep` process is killed with SIGKILL several times at
// different points, then started again until it finishes. Nothing finished may be lost, nothing may
// be written twice, and every cell ends with exactly the configured repetitions.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "engine/synth.h"
#include "store/statement.h"
#include "store/store.h"

extern char** environ;

namespace jouleval::sweep {
namespace {

namespace fs = std::filesystem;

// Starts `jouleval sweep --config CONFIG EXTRA...`; stdout goes to `out` (/dev/null when empty),
// stderr to `err` (the test's own when empty).
pid_t spawn_sweep_to(const fs::path& config, const std::vector<std::string>& extra, const fs::path& out,
                     const fs::path& err) {
  const std::string exe = std::string(JOULEVAL_BINARY_DIR) + "/bin/jouleval";
  std::vector<std::string> args = {exe, "sweep", "--config", config.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string out_path = out.empty() ? "/dev/null" : out.string();
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!err.empty())
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0) << "cannot start " << exe;
  return pid;
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

pid_t spawn_sweep(const fs::path& config, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"--quiet"};
  args.insert(args.end(), extra.begin(), extra.end());
  return spawn_sweep_to(config, args, {}, {});
}

int64_t count_rows(const fs::path& db, const char* table) {
  if (!fs::exists(db)) return 0;
  try {
    store::Database d(db, store::OpenMode::kExisting);
    store::Statement st(d, std::string("SELECT COUNT(*) FROM ") + table);
    return st.step() ? st.column_int64(0) : 0;
  } catch (const std::exception&) {
    return 0;  // schema not written yet
  }
}

// A fresh folder with the tiny synthetic model and a CPU sweep config over `tasks` (a TOML list) on
// the built-in samples, writing results.db there. Returns the folder.
fs::path tiny_sweep(const std::string& tag, const std::string& tasks, int repetitions,
                    const std::string& precisions = "[\"fp16\"]", const std::string& extra = "") {
  const fs::path dir = fs::temp_directory_path() / ("jouleval-" + tag + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  ::setenv("JOULEVAL_SHARE_DIR", JOULEVAL_SHARE_DIR_FOR_TESTS, 1);
  engine::SynthOptions so;
  so.preset = "tiny";
  so.output = dir / "tiny.gguf";
  so.threads = 2;
  engine::synthesize(so);
  std::ofstream(dir / "sweep.toml") << "[sweep]\n"
                                       "database = \"results.db\"\n"
                                       "samples = true\n"
                                       "models = [\"tiny.gguf\"]\n"
                                       "precisions = "
                                    << precisions
                                    << "\n"
                                       "placements = [\"cpu\"]\n"
                                       "tasks = "
                                    << tasks << "\nrepetitions = " << repetitions
                                    << "\n"
                                       "idle_seconds = 0\n"
                                       "warmup_requests = 0\n"
                                       "threads = 2\n"
                                       "context_size = 2048\n"
                                    << extra;
  return dir;
}

TEST(KillResume, SigkilledSweepResumesWithoutLossOrDuplicates) {
  const fs::path dir =
      tiny_sweep("kill", "[\"mmlu\", \"arc_challenge\", \"hellaswag\", \"truthfulqa_mc1\", \"truthfulqa_mc2\"]", 3);
  const fs::path db = dir / "results.db";
  const fs::path config = dir / "sweep.toml";

  // Kill after the first repetition lands, then a bit further along, then at an arbitrary moment.
  std::map<int64_t, std::string> seen;  // repetition id -> started_at, must survive every kill
  for (int64_t target : {1, 4, 8}) {
    pid_t pid = spawn_sweep(config);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (count_rows(db, "repetitions") < target && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) FAIL() << "sweep exited before it was killed";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));

    store::StoreOptions ro;
    ro.create = false;
    store::Store s(db, ro);
    for (const auto& cell : s.cells()) {
      for (const auto& rep : cell.repetitions) {
        auto it = seen.find(rep.id);
        if (it != seen.end()) {
          EXPECT_EQ(it->second, rep.started_at) << "repetition " << rep.id << " changed";
        }
        seen[rep.id] = rep.started_at;
        EXPECT_FALSE(rep.meters.empty()) << "repetition without its meters";
      }
    }
  }
  ASSERT_GE(seen.size(), 8u);

  pid_t pid = spawn_sweep(config);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);

  store::StoreOptions ro;
  ro.create = false;
  store::Store s(db, ro);
  const auto cells = s.cells();
  ASSERT_EQ(cells.size(), 5u);
  for (const auto& cell : cells) {
    EXPECT_EQ(cell.status, results::CellStatus::kDone) << cell.key.task;
    ASSERT_EQ(cell.repetitions.size(), 3u) << cell.key.task;
    for (int i = 0; i < 3; ++i) EXPECT_EQ(cell.repetitions[i].index, i);
    EXPECT_FALSE(cell.metrics.empty());
  }
  for (const auto& [id, started] : seen) {
    bool found = false;
    for (const auto& cell : cells) {
      for (const auto& rep : cell.repetitions) found = found || (rep.id == id && rep.started_at == started);
    }
    EXPECT_TRUE(found) << "repetition " << id << " stored before a kill was lost";
  }
  EXPECT_EQ(count_rows(db, "repetitions"), 15);
  EXPECT_EQ(count_rows(db, "machines"), 1);
  fs::remove_all(dir);
}

// A sweep with a time budget far shorter than one repetition: each call measures exactly one
// repetition (a call always makes progress), exits with 5 while work remains, and the call that
// stores the last repetition exits with 0. The result equals an uninterrupted sweep's.
TEST(TimeBudget, EachCallStopsAfterOneRepetitionAndTheLastCallCompletes) {
  const fs::path dir = tiny_sweep("budget", "[\"arc_challenge\", \"hellaswag\"]", 2);
  const fs::path db = dir / "results.db";
  const fs::path config = dir / "sweep.toml";
  std::vector<int> codes;
  for (int call = 0; call < 6; ++call) {
    pid_t pid = spawn_sweep(config, {"--time-budget", "0.001"});
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    codes.push_back(WEXITSTATUS(status));
    EXPECT_EQ(count_rows(db, "repetitions"), call + 1);
    if (codes.back() != 5) break;
  }
  EXPECT_EQ(codes, (std::vector<int>{5, 5, 5, 0}));
  store::StoreOptions ro;
  ro.create = false;
  store::Store s(db, ro);
  const auto cells = s.cells();
  ASSERT_EQ(cells.size(), 2u);
  for (const auto& cell : cells) {
    EXPECT_EQ(cell.status, results::CellStatus::kDone) << cell.key.task;
    EXPECT_EQ(cell.repetitions.size(), 2u) << cell.key.task;
  }
  fs::remove_all(dir);
}

// Several sweeps of one config at once (e.g. started by hand on a shared machine): they share the
// work through claims. Every cell is measured by exactly one process, every repetition is stored
// once, and the on-the-fly quantization they all need is made once (no process fails on it).
void run_concurrent_sweeps(int processes) {
  const fs::path dir = tiny_sweep("concurrent" + std::to_string(processes), "[\"arc_challenge\", \"hellaswag\"]", 2,
                                  "[\"fp16\", \"int8\"]");
  const fs::path config = dir / "sweep.toml";
  std::vector<pid_t> pids;
  for (int p = 0; p < processes; ++p)
    pids.push_back(
        spawn_sweep_to(config, {"--json"}, dir / fmt::format("out{}.json", p), dir / fmt::format("err{}", p)));
  int measured = 0, already = 0;
  for (int p = 0; p < processes; ++p) {
    const int code = wait_exit_code(pids[p]);
    const std::string err = read_file(dir / fmt::format("err{}", p));
    ASSERT_EQ(code, 0) << "process " << p << ":\n" << err;
    const auto j = nlohmann::json::parse(read_file(dir / fmt::format("out{}.json", p)));
    EXPECT_EQ(j.at("cells_failed"), 0) << err;
    EXPECT_EQ(j.at("cells_skipped"), 0) << err;
    measured += j.at("cells_done").get<int>();
    already += j.at("cells_already_done").get<int>();
  }
  EXPECT_EQ(measured, 4) << "each of the 4 cells is measured by exactly one process";
  EXPECT_EQ(already, 4 * (processes - 1));
  store::Store s(dir / "results.db", {.create = false, .read_only = true});
  const auto cells = s.cells();
  ASSERT_EQ(cells.size(), 4u);
  for (const auto& cell : cells) {
    EXPECT_EQ(cell.status, results::CellStatus::kDone) << cell.key.task << " " << cell.key.precision;
    EXPECT_EQ(cell.repetitions.size(), 2u) << cell.key.task << " " << cell.key.precision;
  }
  EXPECT_EQ(count_rows(dir / "results.db", "repetitions"), 8);
  EXPECT_EQ(count_rows(dir / "results.db", "claims"), 0);
  fs::remove_all(dir);
}

TEST(Concurrency, TwoSweepsOfOneConfigMeasureEachCellOnce) { run_concurrent_sweeps(2); }
TEST(Concurrency, ThreeSweepsOfOneConfigMeasureEachCellOnce) { run_concurrent_sweeps(3); }

// The process measuring a cell is SIGKILLed while another process waits for that cell: the waiting
// one takes the cell over, measures only the missing repetitions, and nothing is lost or doubled.
TEST(Concurrency, AKilledOwnersCellIsTakenOverByTheProcessWaitingForIt) {
  const fs::path dir = tiny_sweep("takeover", "[\"hellaswag\"]", 6, "[\"fp16\"]", "cooldown_seconds = 0.4\n");
  const fs::path db = dir / "results.db";
  const fs::path config = dir / "sweep.toml";
  const pid_t owner = spawn_sweep_to(config, {"--quiet"}, {}, {});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (count_rows(db, "repetitions") < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_GE(count_rows(db, "repetitions"), 1);
  const pid_t waiter = spawn_sweep_to(config, {}, dir / "waiter.out", dir / "waiter.err");
  // The waiter waits for the machine's measurement lock (held by the owner while it measures), or for
  // the cell's claim.
  const auto waiting = [&] {
    const std::string err = read_file(dir / "waiter.err");
    return err.find("waiting for another jouleval process measuring on the host") != std::string::npos ||
           err.find("being measured by another process") != std::string::npos;
  };
  while (!waiting() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(waiting()) << read_file(dir / "waiter.err");
  const int64_t stored_before_kill = count_rows(db, "repetitions");
  ASSERT_LT(stored_before_kill, 6) << "the owner finished before it could be killed";
  ASSERT_EQ(::kill(owner, SIGKILL), 0);
  EXPECT_EQ(wait_exit_code(owner), 128 + SIGKILL);

  EXPECT_EQ(wait_exit_code(waiter), 0) << read_file(dir / "waiter.err");
  EXPECT_NE(read_file(dir / "waiter.err").find("taking over"), std::string::npos) << read_file(dir / "waiter.err");
  store::Store s(db, {.create = false, .read_only = true});
  const auto cells = s.cells();
  ASSERT_EQ(cells.size(), 1u);
  EXPECT_EQ(cells[0].status, results::CellStatus::kDone);
  ASSERT_EQ(cells[0].repetitions.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(cells[0].repetitions[i].index, i);
  EXPECT_EQ(count_rows(db, "repetitions"), 6);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace jouleval::sweep
