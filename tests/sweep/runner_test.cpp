// The sweep runner in-process, on a tiny synthetic model on the CPU with the built-in samples and
// no meters: what a cell is (its whole identity), what is reused (finished cells, quantized files
// made from the same source) and what is not, and how failures are contained.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "energy/monitor.h"
#include "engine/gguf_edit.h"
#include "engine/synth.h"
#include "store/store.h"
#include "sweep/claims.h"
#include "sweep/dry_run.h"
#include "sweep/runner.h"
#include "util/build_info.h"
#include "util/error.h"
#include "util/file_hash.h"
#include "util/file_lock.h"

namespace jouleval::sweep {
namespace {

namespace fs = std::filesystem;

class Runner : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("JOULEVAL_SHARE_DIR", JOULEVAL_SHARE_DIR_FOR_TESTS, 1);
    std::string pattern = (fs::temp_directory_path() / "jouleval-runner-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    synth(dir_ / "tiny.gguf", 42);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  static void synth(const fs::path& out, uint64_t seed) {
    engine::SynthOptions so;
    so.preset = "tiny";
    so.output = out;
    so.seed = seed;
    so.threads = 2;
    so.overwrite = true;  // a test replaces the model at the same path
    engine::synthesize(so);
  }

  // One model on the CPU, MMLU samples, one repetition, no idle baseline or warm-up.
  SweepConfig config(const std::string& db = "results.db") const {
    SweepConfig c;
    c.database = dir_ / db;
    c.use_samples = true;
    ModelSpec spec;
    spec.path = dir_ / "tiny.gguf";
    spec.label = "tiny";
    c.models = {spec};
    c.precisions = {"fp16"};
    c.placements = {"cpu"};
    c.tasks = {tasks::TaskId::kMmlu};
    c.repetitions = 1;
    c.idle_seconds = 0;
    c.warmup_requests = 0;
    c.threads = 2;
    c.context_size = 2048;
    return c;
  }

  static energy::MonitorOptions no_meters() {
    energy::MonitorOptions mo;
    mo.use_nvml = false;
    mo.use_rapl = false;
    mo.sampler_thread = false;
    return mo;
  }

  SweepResult run(const SweepConfig& c, Observer& observer, const RunOptions& options = {}) {
    energy::Monitor monitor(no_meters());
    store::Store store(c.database);
    return run_sweep(prepare_sweep(c), monitor, store, observer, options);
  }
  SweepResult run(const SweepConfig& c, const RunOptions& options = {}) {
    Observer quiet;
    return run(c, quiet, options);
  }

  static std::vector<results::Cell> cells_of(const fs::path& db) {
    store::Store s(db, {.create = false, .read_only = true});
    return s.cells({.with_items = true});
  }

  fs::path dir_;
};

// A quantized file made from another source is not reused: replacing the model and asking for int8
// again evaluates the new model's weights, not the old file's.
TEST_F(Runner, AQuantizedFileMadeFromAnotherSourceIsMadeAgain) {
  SweepConfig first = config("a.db");
  first.precisions = {"int8"};
  ASSERT_EQ(run(first).cells_done, 1);
  const results::Cell a = cells_of(first.database).at(0);

  synth(dir_ / "tiny.gguf", 43);  // another model at the same path
  SweepConfig second = config("b.db");
  second.precisions = {"int8"};
  ASSERT_EQ(run(second).cells_done, 1);
  const results::Cell b = cells_of(second.database).at(0);

  EXPECT_NE(a.key.model_sha256, b.key.model_sha256);
  EXPECT_NE(a.key.file_sha256, b.key.file_sha256) << "the old quantized file was evaluated for the new model";
  EXPECT_EQ(b.key.file_sha256, util::sha256_file(dir_ / "tiny.Q8_0.gguf", false));
  std::ifstream record(dir_ / "tiny.Q8_0.gguf.source.json");
  const auto made = nlohmann::json::parse(record);
  EXPECT_EQ(made.at("source_sha256"), b.key.model_sha256);
  EXPECT_EQ(made.at("type"), "Q8_0");
  // Scored with the new weights: the per-item loglikelihoods differ.
  ASSERT_EQ(a.items.size(), b.items.size());
  EXPECT_NE(a.items.at(0).json, b.items.at(0).json);
}

// A sweep whose model is the int8 file another sweep made from tiny.gguf finds that sweep's cell done:
// the file keeps its source's name and hash (docs/sweep.md "Quantized files keep their source's
// identity"). A variant made from that file (int4) is the file's own model, not the source's.
TEST_F(Runner, ASweepOfAQuantizedFileFindsTheCellOfItsSource) {
  SweepConfig first = config();
  first.precisions = {"int8"};
  ASSERT_EQ(run(first).cells_done, 1);

  struct Recorder : Observer {
    std::vector<std::string> lines;
    void message(const std::string& line) override { lines.push_back(line); }
  } recorder;
  SweepConfig second = config();
  second.models.at(0).path = dir_ / "tiny.Q8_0.gguf";
  second.models.at(0).label = "tiny.Q8_0";
  second.precisions = {"int8", "int4"};
  const SweepResult r = run(second, recorder);
  EXPECT_EQ(r.cells_already_done, 1);
  EXPECT_EQ(r.cells_done, 1);

  const std::string tiny_sha = util::sha256_file(dir_ / "tiny.gguf", false);
  const std::string q8_sha = util::sha256_file(dir_ / "tiny.Q8_0.gguf", false);
  std::map<std::string, results::CellKey> by_precision;
  for (const auto& cell : cells_of(second.database)) by_precision[cell.key.precision] = cell.key;
  ASSERT_EQ(by_precision.size(), 2u);
  EXPECT_EQ(by_precision.at("int8").model, "tiny");
  EXPECT_EQ(by_precision.at("int8").model_sha256, tiny_sha);
  EXPECT_EQ(by_precision.at("int8").file_sha256, q8_sha);
  EXPECT_EQ(by_precision.at("int4").model, "tiny.Q8_0");
  EXPECT_EQ(by_precision.at("int4").model_sha256, q8_sha);
  const std::string said =
      "tiny.Q8_0.gguf: quantized from tiny.gguf (sha256 " + tiny_sha.substr(0, 12) + "): stored as model tiny at int8";
  EXPECT_EQ(std::count(recorder.lines.begin(), recorder.lines.end(), said), 1);
}

// `sweep --dry-run` reads each model file's header and made-from record: the cells of a quantized
// file evaluated as it is show its source's model, those it cannot be quantized to say they will be
// skipped, and an unreadable file says its cells will fail.
TEST_F(Runner, DryRunShowsTheModelACellIsStoredAsAndWhatWillBeSkipped) {
  SweepConfig first = config();
  first.precisions = {"int8"};
  ASSERT_EQ(run(first).cells_done, 1);  // makes tiny.Q8_0.gguf and its record
  SweepConfig c = config();
  c.models.at(0).path = dir_ / "tiny.Q8_0.gguf";
  c.models.at(0).label = "tiny.Q8_0";
  c.precisions = {"int8", "fp16"};
  const auto by_precision = [](const DryRun& plan) {
    std::map<std::string, DryRunCell> out;
    for (const auto& d : plan.cells) out[d.cell.precision] = d;
    return out;
  };
  auto cells = by_precision(dry_run(c));
  ASSERT_EQ(cells.size(), 2u);
  EXPECT_EQ(cells.at("int8").model, "tiny");
  EXPECT_EQ(cells.at("int8").note, "tiny.Q8_0.gguf: quantized from tiny.gguf: stored as model tiny");
  EXPECT_EQ(cells.at("fp16").model, "tiny.Q8_0");
  EXPECT_EQ(cells.at("fp16").note.rfind("will be skipped: ", 0), 0u) << cells.at("fp16").note;
  EXPECT_NE(cells.at("fp16").note.find("quantizing up cannot restore precision"), std::string::npos);
  const std::string text = dry_run_text(dry_run(c));
  EXPECT_NE(text.find(": will be skipped: "), std::string::npos) << text;
  EXPECT_NE(text.find(": tiny.Q8_0.gguf: quantized from tiny.gguf: stored as model tiny\n"), std::string::npos) << text;
  const nlohmann::json json = dry_run_json(dry_run(c));
  for (const auto& cell : json["cells"]) {
    EXPECT_EQ(cell["model"], cell["precision"] == "int8" ? "tiny" : "tiny.Q8_0") << cell.dump();
  }

  // A copy (another inode): the stamp no longer matches; the hash decides at run time.
  fs::copy_file(dir_ / "tiny.Q8_0.gguf", dir_ / "copy.Q8_0.gguf");
  fs::copy_file(dir_ / "tiny.Q8_0.gguf.source.json", dir_ / "copy.Q8_0.gguf.source.json");
  c.models.at(0).path = dir_ / "copy.Q8_0.gguf";
  c.models.at(0).label = "copy.Q8_0";
  cells = by_precision(dry_run(c));
  EXPECT_EQ(cells.at("int8").model, "copy.Q8_0");
  EXPECT_NE(cells.at("int8").note.find("hashed at run time"), std::string::npos) << cells.at("int8").note;

  // Not a GGUF file: every cell of it will fail, and the dry run says so instead of throwing.
  std::ofstream(dir_ / "broken.gguf") << "not a model";
  c.models.at(0).path = dir_ / "broken.gguf";
  c.models.at(0).label = "broken";
  cells = by_precision(dry_run(c));
  EXPECT_EQ(cells.at("int8").note.rfind("will fail: ", 0), 0u) << cells.at("int8").note;
  EXPECT_NE(cells.at("int8").note.find("broken.gguf"), std::string::npos);
}

// Each repetition records the process's peak resident memory over its window (Linux VmHWM, reset
// when the window opens): at least the model file's weights, which the engine maps and reads.
TEST_F(Runner, RepetitionsRecordTheHostPeakMemory) {
  if (!fs::exists("/proc/self/clear_refs")) GTEST_SKIP() << "no /proc/self/clear_refs";
  SweepConfig c = config();
  c.repetitions = 2;
  ASSERT_EQ(run(c).cells_done, 1);
  const results::Cell cell = cells_of(c.database).at(0);
  ASSERT_EQ(cell.repetitions.size(), 2u);
  for (const auto& rep : cell.repetitions) {
    ASSERT_TRUE(rep.peak_rss_bytes.has_value()) << rep.index;
    EXPECT_GE(*rep.peak_rss_bytes, fs::file_size(dir_ / "tiny.gguf")) << rep.index;
    EXPECT_LT(*rep.peak_rss_bytes, 64ull << 30) << rep.index;
  }
}

// A changed setting is another cell: it is measured, not answered with the old cell's results.
TEST_F(Runner, EverySettingThatCanChangeTheResultIsPartOfTheCell) {
  SweepConfig c = config();
  ASSERT_EQ(run(c).cells_done, 1);
  for (auto change : std::vector<std::function<void(SweepConfig&)>>{
           [](SweepConfig& s) { s.seed = 2; },
           [](SweepConfig& s) { s.batch_size = 128; },
           [](SweepConfig& s) { s.flash_attention = "off"; },
           [](SweepConfig& s) { s.scoring_lanes = 1; },
       }) {
    SweepConfig other = config();
    change(other);
    const SweepResult r = run(other);
    EXPECT_EQ(r.cells_done, 1);
    EXPECT_EQ(r.cells_already_done, 0);
  }
  EXPECT_EQ(cells_of(c.database).size(), 5u);
  const SweepResult again = run(c);
  EXPECT_EQ(again.cells_done, 0);
  EXPECT_EQ(again.cells_already_done, 1);
}

// The cell records where generation took its argmax and which scheduling ran: on a GPU they change
// the generated tokens (docs/engine.md "Reproducibility on a GPU").
TEST_F(Runner, ACellRecordsTheGenerationSettingsItRanWith) {
  SweepConfig c = config("default.db");
  c.tasks = {tasks::TaskId::kGsm8k};
  c.limit = 2;
  c.task_settings[tasks::TaskId::kGsm8k].shots = 0;
  ASSERT_EQ(run(c).cells_done, 1);
  nlohmann::json used = nlohmann::json::parse(cells_of(c.database).at(0).engine_used_json);
  EXPECT_EQ(used.at("generation_argmax"), "host");  // the CPU's default
  EXPECT_EQ(used.at("prefill_blocks"), true);
  EXPECT_EQ(used.at("move_sequences"), true);

  ::setenv("JOULEVAL_DEVICE_ARGMAX", "on", 1);
  ::setenv("JOULEVAL_PREFILL_BLOCKS", "off", 1);
  c.database = dir_ / "switched.db";
  const SweepResult switched = run(c);
  ::unsetenv("JOULEVAL_DEVICE_ARGMAX");
  ::unsetenv("JOULEVAL_PREFILL_BLOCKS");
  ASSERT_EQ(switched.cells_done, 1);
  used = nlohmann::json::parse(cells_of(c.database).at(0).engine_used_json);
  EXPECT_EQ(used.at("generation_argmax"), "device");
  EXPECT_EQ(used.at("prefill_blocks"), false);
  EXPECT_EQ(used.at("move_sequences"), true);
}

// A generation cell stored with other generation settings is neither answered as done nor added to:
// a usage error names the variables, and the stored cell stays as it was. A scoring cell does not
// depend on them.
TEST_F(Runner, AGenerationCellStoredWithOtherSettingsIsRefusedNotReused) {
  SweepConfig c = config();
  c.tasks = {tasks::TaskId::kGsm8k};
  c.limit = 2;
  c.task_settings[tasks::TaskId::kGsm8k].shots = 0;
  ASSERT_EQ(run(c).cells_done, 1);
  const results::Cell before = cells_of(c.database).at(0);

  for (const auto& [name, value] : std::vector<std::pair<const char*, const char*>>{
           {"JOULEVAL_DEVICE_ARGMAX", "on"}, {"JOULEVAL_PREFILL_BLOCKS", "off"}, {"JOULEVAL_MOVE_SEQUENCES", "off"}}) {
    ::setenv(name, value, 1);
    for (int repetitions : {1, 2}) {  // done as asked, and with a repetition to add
      SweepConfig again = c;
      again.repetitions = repetitions;
      try {
        (void)run(again);
        ADD_FAILURE() << name << ": the stored cell was reused";
      } catch (const util::Error& e) {
        EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
        EXPECT_NE(std::string(e.what()).find("JOULEVAL_DEVICE_ARGMAX"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("gsm8k"), std::string::npos) << e.what();
      }
    }
    ::unsetenv(name);
  }
  const results::Cell after = cells_of(c.database).at(0);
  EXPECT_EQ(after.status, results::CellStatus::kDone);
  EXPECT_EQ(after.repetitions.size(), 1u);
  EXPECT_EQ(after.engine_used_json, before.engine_used_json);
  EXPECT_EQ(run(c).cells_already_done, 1);  // the same settings again: done

  SweepConfig mmlu = config();
  ASSERT_EQ(run(mmlu).cells_done, 1);
  ::setenv("JOULEVAL_DEVICE_ARGMAX", "on", 1);
  const SweepResult scoring = run(mmlu);
  ::unsetenv("JOULEVAL_DEVICE_ARGMAX");
  EXPECT_EQ(scoring.cells_already_done, 1);
}

// Asking for more repetitions of a finished cell measures the missing ones and keeps the others.
TEST_F(Runner, MoreRepetitionsOfAFinishedCellAddTheMissingOnes) {
  SweepConfig c = config();
  ASSERT_EQ(run(c).cells_done, 1);
  const results::Repetition first = cells_of(c.database).at(0).repetitions.at(0);
  c.repetitions = 3;
  const SweepResult r = run(c);
  EXPECT_EQ(r.cells_done, 1);
  const results::Cell cell = cells_of(c.database).at(0);
  EXPECT_EQ(cell.status, results::CellStatus::kDone);
  ASSERT_EQ(cell.repetitions.size(), 3u);
  EXPECT_EQ(cell.repetitions[0].id, first.id);
  EXPECT_EQ(cell.repetitions[0].started_at, first.started_at);
  EXPECT_EQ(cell.repetitions[2].index, 2);
  c.repetitions = 2;  // fewer than stored: already done
  EXPECT_EQ(run(c).cells_already_done, 1);
}

// --log-items holds the items of every cell of the run, finished now or before, in one schema.
TEST_F(Runner, AFinishedCellStillWritesItsStoredItemsToTheLog) {
  SweepConfig c = config();
  RunOptions first;
  first.log_items = dir_ / "first.jsonl";
  ASSERT_EQ(run(c, first).cells_done, 1);
  RunOptions second;
  second.log_items = dir_ / "second.jsonl";
  ASSERT_EQ(run(c, second).cells_already_done, 1);

  const results::Cell cell = cells_of(c.database).at(0);
  for (const fs::path& log : {first.log_items, second.log_items}) {
    std::ifstream in(log);
    std::vector<nlohmann::json> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    ASSERT_EQ(lines.size(), cell.items.size()) << log;
    EXPECT_EQ(lines[0].at("cell").at("task"), "mmlu");
    EXPECT_EQ(lines[0].at("cell").at("seed"), 1234);
    EXPECT_EQ(lines[0].at("cell").at("file_sha256"), cell.key.file_sha256);
    EXPECT_EQ(lines[0].at("item_id"), cell.items[0].item_id);
    EXPECT_TRUE(lines[0].at("record").is_object());
  }
}

TEST_F(Runner, EachRepetitionRecordsTheVersionsThatMeasuredIt) {
  SweepConfig c = config();
  ASSERT_EQ(run(c).cells_done, 1);
  const results::Repetition rep = cells_of(c.database).at(0).repetitions.at(0);
  EXPECT_EQ(rep.jouleval_version, util::build::kVersion);
  EXPECT_EQ(rep.llama_revision, util::build::kLlamaRevision);
}

// A generation cell records its phases from the steps of its window only (the warm-up's are
// discarded): prefill holds exactly the window's prompt tokens, the phases' times add up to the
// window, and without an energy meter every phase says so and has no energy (never a made-up one).
// A loglikelihood cell records none.
TEST_F(Runner, AGenerationCellRecordsItsPhasesWithoutAMeter) {
  SweepConfig c = config();
  c.tasks = {tasks::TaskId::kGsm8k, tasks::TaskId::kMmlu};
  c.limit = 3;
  c.task_settings[tasks::TaskId::kGsm8k].shots = 0;  // short prompts: a quick test
  c.max_sequences = 2;
  c.warmup_requests = 2;  // its generation steps come before the window
  ASSERT_EQ(run(c).cells_done, 2);
  for (const results::Cell& cell : cells_of(c.database)) {
    const results::Repetition& rep = cell.repetitions.at(0);
    if (cell.key.task != "gsm8k") {
      EXPECT_TRUE(rep.phases.empty()) << cell.key.task;
      continue;
    }
    ASSERT_EQ(rep.phases.size(), 4u);
    std::map<std::string, results::PhaseEnergy> by;
    for (const auto& p : rep.phases) {
      EXPECT_EQ(p.meter, "");
      EXPECT_EQ(p.method, "unavailable") << p.phase;
      EXPECT_FALSE(p.joules) << p.phase;
      EXPECT_FALSE(p.joules_idle_subtracted) << p.phase;
      by[p.phase] = p;
    }
    EXPECT_EQ(by.at("prefill").note, "no energy meter");
    EXPECT_EQ(by.at("prefill").tokens, rep.prompt_tokens);
    EXPECT_GT(by.at("decode").tokens, 0);
    EXPECT_LE(by.at("decode").tokens, rep.generated_tokens);
    EXPECT_NEAR(by.at("prefill").seconds + by.at("decode").seconds + by.at("other").seconds, rep.seconds,
                1e-6 * rep.seconds);
    EXPECT_GT(by.at("decode").seconds, 0);
    EXPECT_LE(by.at("steady").seconds, rep.seconds);
  }
}

// An observer that throws from inside the measured work of the first cell it sees.
class ThrowingObserver : public Observer {
 public:
  explicit ThrowingObserver(std::function<void()> thrower) : thrower_(std::move(thrower)) {}
  void repetition_started(const results::CellKey& key, int, int, int64_t) override { task_ = key.task; }
  void progress(int64_t, int64_t, std::optional<double>) override {
    if (first_task_.empty()) first_task_ = task_;
    if (task_ == first_task_) thrower_();
  }
  std::string first_task_;

 private:
  std::function<void()> thrower_;
  std::string task_;
};

// Whatever fails inside one cell (any exception, in the middle of its measurement window) fails that
// cell only: the next cells open their windows and finish.
TEST_F(Runner, AFailingCellFailsAloneAndTheSweepGoesOn) {
  SweepConfig c = config();
  c.tasks = {tasks::TaskId::kMmlu, tasks::TaskId::kArcChallenge, tasks::TaskId::kHellaswag};
  ThrowingObserver observer([] { throw std::runtime_error("simulated engine failure"); });
  const SweepResult r = run(c, observer);
  EXPECT_EQ(r.cells_failed, 1);
  EXPECT_EQ(r.cells_done, 2);
  for (const auto& cell : cells_of(c.database)) {
    if (cell.key.task == observer.first_task_) {
      EXPECT_EQ(cell.status, results::CellStatus::kFailed);
      EXPECT_NE(cell.skip_reason.find("simulated engine failure"), std::string::npos) << cell.skip_reason;
    } else {
      EXPECT_EQ(cell.status, results::CellStatus::kDone) << cell.key.task;
    }
  }
}

// A full disk stops the sweep at once: no later cell is loaded or measured.
TEST_F(Runner, AFullDiskStopsTheSweepAtOnce) {
  SweepConfig c = config();
  c.tasks = {tasks::TaskId::kMmlu, tasks::TaskId::kArcChallenge, tasks::TaskId::kHellaswag};
  ThrowingObserver observer([] { throw util::Error("results.db: disk full", util::ErrorKind::kNoSpace); });
  try {
    run(c, observer);
    FAIL() << "the sweep went on after a full disk";
  } catch (const util::Error& e) {
    EXPECT_EQ(e.kind(), util::ErrorKind::kNoSpace);
  }
  for (const auto& cell : cells_of(c.database)) {
    EXPECT_NE(cell.status, results::CellStatus::kDone) << cell.key.task << " was measured after the disk filled";
  }
}

// A cell claimed by another live process is not measured here: the sweep waits, and takes the other
// process's result when it finishes.
TEST_F(Runner, ACellClaimedByALiveProcessIsWaitedForNotMeasured) {
  SweepConfig c = config();
  const SweepConfig probe_config = config("probe.db");
  ASSERT_EQ(run(probe_config).cells_done, 1);  // learn the cell's key (hashes) from a run elsewhere
  const results::Cell probe = cells_of(probe_config.database).at(0);

  store::ClaimOwner other{"other-owner", "another-host/boot/ns", 12345};
  int64_t id = 0;
  std::string machine;
  {
    energy::Monitor monitor(no_meters());
    machine = monitor.fingerprint().machine_id;
    store::Store s(c.database);
    s.upsert_machine(monitor.fingerprint().machine());
    id = s.ensure_cell(machine, probe.key);
    ASSERT_EQ(s.claim_cell(id, other, [](const auto&) { return true; }).outcome, store::ClaimOutcome::kClaimed);
  }
  // The other process keeps beating, then finishes the cell with a result of its own.
  std::atomic<bool> finished{false};
  std::thread other_process([&] {
    store::Store s(c.database, {.create = false});
    for (int i = 0; i < 20; ++i) {
      s.heartbeat(other.owner);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    results::Repetition rep = probe.repetitions.at(0);
    s.add_repetition(id, rep);
    s.finish_cell(id, probe.metrics, probe.items, {});
    s.release_claim(id, other.owner);
    finished = true;
  });
  RunOptions options;
  options.wait_poll_seconds = 0.1;
  const SweepResult r = run(c, options);
  other_process.join();
  EXPECT_TRUE(finished);
  EXPECT_EQ(r.cells_done, 0) << "the claimed cell was measured twice";
  EXPECT_EQ(r.cells_already_done, 1);
  EXPECT_EQ(cells_of(c.database).at(0).repetitions.size(), 1u);
}

// A claim whose process is gone (on this host) is taken over at once.
TEST_F(Runner, AClaimOfADeadProcessIsTakenOver) {
  SweepConfig c = config();
  const SweepConfig probe_config = config("probe.db");
  ASSERT_EQ(run(probe_config).cells_done, 1);
  const results::Cell probe = cells_of(probe_config.database).at(0);
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);  // reaped: its pid names no process now
  store::ClaimOwner owner = this_process();
  owner.owner = "dead-owner";
  owner.pid = dead;
  {
    energy::Monitor monitor(no_meters());
    store::Store s(c.database);
    s.upsert_machine(monitor.fingerprint().machine());
    const int64_t id = s.ensure_cell(monitor.fingerprint().machine_id, probe.key);
    ASSERT_EQ(s.claim_cell(id, owner, [](const auto&) { return true; }).outcome, store::ClaimOutcome::kClaimed);
  }
  const SweepResult r = run(c);
  EXPECT_EQ(r.cells_done, 1);
  store::Store s(c.database, {.create = false, .read_only = true});
  EXPECT_FALSE(s.claim_holder(s.cells().at(0).id)) << "claims are released when the sweep ends";
}

// One process measures on a machine at a time: while another holds the machine's measurement lock, a
// sweep loads and measures nothing, and says it is waiting; it goes on when the lock is released.
TEST_F(Runner, ASweepWaitsWhileAnotherProcessMeasuresOnTheMachine) {
  struct Recorder : Observer {
    std::atomic<bool> waiting{false};
    std::atomic<int> repetitions{0};
    void message(const std::string& line) override {
      if (line.find("waiting for another jouleval process measuring on the host") != std::string::npos) waiting = true;
    }
    void repetition_started(const results::CellKey&, int, int, int64_t) override { ++repetitions; }
  } recorder;
  const fs::path lock = dir_ / "measure.lock";
  ::setenv("JOULEVAL_MEASURE_LOCK", lock.c_str(), 1);
  SweepConfig c = config();
  std::optional<util::FileLock> other(std::in_place, lock);  // another process measuring
  std::thread sweep([&] { run(c, recorder); });
  for (int i = 0; i < 600 && !recorder.waiting; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(recorder.waiting) << "the sweep did not wait for the host's measurement lock";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(recorder.repetitions, 0) << "the sweep measured while the lock was held";
  other.reset();
  sweep.join();
  ::unsetenv("JOULEVAL_MEASURE_LOCK");
  EXPECT_EQ(recorder.repetitions, 1);
  EXPECT_EQ(cells_of(c.database).at(0).status, results::CellStatus::kDone);
}

// Without an energy meter an idle baseline measures nothing: the sweep says it skips it and does not
// wait (`jouleval demo` on a machine without meters used to spend 2 s per model doing nothing).
TEST_F(Runner, NoIdleBaselineIsWaitedForWithoutAnEnergyMeter) {
  struct Recorder : Observer {
    std::vector<std::string> lines;
    void message(const std::string& line) override { lines.push_back(line); }
  } recorder;
  SweepConfig c = config();
  c.idle_seconds = 20;  // waited for in vain without the fix
  ASSERT_EQ(run(c, recorder).cells_done, 1);
  bool skipped = false;
  for (const std::string& line : recorder.lines) {
    EXPECT_EQ(line.find("measuring idle baseline"), std::string::npos) << line;
    if (line == "idle baseline: skipped, no energy meter available") skipped = true;
  }
  EXPECT_TRUE(skipped);
}

// A GGUF file whose metadata llama.cpp would abort on is bad input naming the key, found before any
// database is opened or anything measured (it used to fail the cell after loading: exit 1).
TEST_F(Runner, AModelWithBrokenMetadataIsBadInputBeforeAnythingIsMeasured) {
  engine::GgufRewrite rewrite;
  rewrite.keys.push_back({"qwen2.block_count", uint32_t{0}});
  engine::rewrite_gguf(dir_ / "tiny.gguf", dir_ / "broken.gguf", rewrite);
  SweepConfig c = config();
  c.models[0].path = dir_ / "broken.gguf";
  try {
    prepare_sweep(c);
    FAIL() << "accepted a model with block_count = 0";
  } catch (const util::Error& e) {
    EXPECT_EQ(e.kind(), util::ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find("block_count"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(c.database));
}

// Bad input is found before anything is created: a model file that is not GGUF.
TEST_F(Runner, AModelThatIsNotGgufIsBadInputBeforeAnythingIsMeasured) {
  std::ofstream(dir_ / "not-a-model.gguf") << "hello";
  SweepConfig c = config();
  c.models[0].path = dir_ / "not-a-model.gguf";
  try {
    prepare_sweep(c);
    FAIL() << "accepted a file that is not a GGUF model";
  } catch (const util::Error& e) {
    EXPECT_EQ(e.kind(), util::ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find("not-a-model.gguf"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace jouleval::sweep
