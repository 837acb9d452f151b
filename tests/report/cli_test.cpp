// The reading commands (report, export, recommend, merge) as a user runs them, on real databases:
// a study merged from two machines shows every cell apart; damaged databases, rejected options and
// a full disk give the documented exit codes without leaving files behind; text from a database is
// escaped on the terminal; merge says which copy of a duplicate cell it kept and why.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "merged_study.h"

namespace jouleval::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Output {
  int rc = -1;
  std::string out, err;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class ReportCli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "jouleval-report-cli-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  // JOULEVAL_REPORT_TEST_KEEP=1 keeps the test's directory (databases, report) for a look.
  void TearDown() override {
    if (const char* keep = std::getenv("JOULEVAL_REPORT_TEST_KEEP"); keep && std::string(keep) == "1") {
      std::printf("kept %s\n", dir_.c_str());
      return;
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path path(const std::string& name) const { return dir_ / name; }

  // Runs `jouleval ARGS` (a shell fragment; `prefix` runs before it in the same shell).
  Output jouleval(const std::string& args, const std::string& prefix = "") {
    const std::string exe = std::string(JOULEVAL_BINARY_DIR) + "/bin/jouleval";
    const std::string cmd = "cd " + quote(dir_.string()) + " && " + prefix + quote(exe) + " " + args + " >" +
                            quote(path(".out").string()) + " 2>" + quote(path(".err").string());
    const int status = std::system(("sh -c " + quote(cmd)).c_str());
    Output o;
    o.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    o.out = read_file(path(".out"));
    o.err = read_file(path(".err"));
    fs::remove(path(".out"));
    fs::remove(path(".err"));
    return o;
  }

  // The two machines' databases merged with `jouleval merge` into merged.db.
  fs::path merged_db() {
    const auto study = testing::merged_study();
    std::vector<results::Cell> a, b;
    for (const auto& c : study.cells) (c.machine_id == testing::kMachineA ? a : b).push_back(c);
    testing::write_database(path("a.db"), a, {study.machines[0]});
    testing::write_database(path("b.db"), b, {study.machines[1]});
    const Output o = jouleval("merge a.db b.db -o merged.db");
    EXPECT_EQ(o.rc, 0) << o.out << o.err;
    return path("merged.db");
  }

  // A database whose free-list page is damaged: every cell still reads, PRAGMA quick_check fails.
  fs::path damaged_db() {
    const fs::path db = merged_db();
    {
      store::Store s(db, {.create = false});
      for (int64_t id = 1; id <= 8; ++id) s.delete_cell(id);  // frees pages
      s.database().exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    unsigned char header[100];
    f.read(reinterpret_cast<char*>(header), sizeof header);
    const uint32_t page_size = header[16] << 8 | header[17];
    const uint32_t trunk = header[32] << 24 | header[33] << 16 | header[34] << 8 | header[35];
    EXPECT_GT(trunk, 0u) << "no free page to damage";
    // The trunk page claims far more leaf pages than fit in a page.
    f.seekp(static_cast<std::streamoff>(trunk - 1) * page_size + 4);
    const char count[4] = {'\x7f', '\x7f', '\x7f', '\x7f'};
    f.write(count, 4);
    return db;
  }

  fs::path dir_;
};

// The rows of the page's charts: per chart the keys that identify a bar or point.
std::map<std::string, std::vector<std::string>> chart_keys(const std::string& html) {
  const std::string open = R"(<script type="application/json" id="jouleval-specs">)";
  const auto start = html.find(open);
  EXPECT_NE(start, std::string::npos);
  if (start == std::string::npos) return {};
  const auto end = html.find("</script>", start);
  const json specs = json::parse(html.substr(start + open.size(), end - start - open.size()));
  const std::map<std::string, std::vector<std::string>> fields = {{"chart-eor-machine", {"x", "y", "facet"}},
                                                                  {"chart-eor-precision", {"x", "y"}},
                                                                  {"chart-pareto", {"task", "config"}},
                                                                  {"chart-complexity", {"config"}},
                                                                  {"chart-precision", {"label"}},
                                                                  {"chart-limits", {"label", "measure"}}};
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [id, keys] : fields) {
    for (const auto& v : specs.at(id)["data"]["values"]) {
      std::string k;
      for (const auto& f : keys) k += v.value(f, json()).dump() + "|";
      out[id].push_back(k);
    }
  }
  return out;
}

// Lines of `text` that mention the study's model (one per row of a table).
std::vector<std::string> model_rows(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find("qwen2.5-1.5b") != std::string::npos) out.push_back(line);
  return out;
}

TEST_F(ReportCli, MergedStudyShowsEveryCellApart) {
  const fs::path db = merged_db();
  const Output r = jouleval("report merged.db -o report.html");
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  const auto charts = chart_keys(read_file(path("report.html")));
  for (const auto& [id, keys] : charts) {
    std::map<std::string, int> seen;
    for (const auto& k : keys) ++seen[k];
    for (const auto& [k, n] : seen) EXPECT_EQ(n, 1) << id << ": " << n << " bars/points labelled " << k;
  }
  // Both machines have their own heatmap column.
  std::set<std::string> machines;
  for (const auto& k : charts.at("chart-eor-machine")) machines.insert(k.substr(0, k.find('|')));
  EXPECT_EQ(machines.size(), 2u);
  EXPECT_EQ(charts.at("chart-precision").size(), 12u);

  for (const char* format : {"latex", "markdown"}) {
    const Output e = jouleval(std::string("export merged.db --format ") + format);
    ASSERT_EQ(e.rc, 0) << e.err;
    // Told apart by the identity columns alone (the numbers of two cells may coincide).
    const auto rows = testing::identity_cells_of_rows(e.out);
    EXPECT_EQ(rows.size(), 19u) << e.out;
    EXPECT_EQ(std::set<std::string>(rows.begin(), rows.end()).size(), rows.size()) << format << ":\n" << e.out;
  }
}

TEST_F(ReportCli, DamagedDatabaseIsBadInputNamingTheFile) {
  damaged_db();
  for (const char* cmd : {"report merged.db -o r.html", "export merged.db", "recommend merged.db"}) {
    const Output o = jouleval(cmd);
    EXPECT_EQ(o.rc, 3) << cmd << "\n" << o.out << o.err;
    EXPECT_NE(o.err.find("merged.db"), std::string::npos) << cmd << ": " << o.err;
    EXPECT_NE(o.err.find("damaged"), std::string::npos) << cmd << ": " << o.err;
  }
  EXPECT_FALSE(fs::exists(path("r.html")));
}

TEST_F(ReportCli, OutputPathIsCheckedBeforeTheDatabaseIsRead) {
  // A missing directory is named even though the database does not exist either.
  for (const char* cmd : {"report none.db -o no-dir/r.html", "export none.db -o no-dir/x.csv"}) {
    const Output o = jouleval(cmd);
    EXPECT_EQ(o.rc, 3) << cmd << o.err;
    EXPECT_NE(o.err.find("no-dir"), std::string::npos) << cmd << ": " << o.err;
  }
  fs::create_directory(path("adir"));
  const Output o = jouleval("export none.db -o adir");
  EXPECT_EQ(o.rc, 2) << o.err;
  EXPECT_NE(o.err.find("adir"), std::string::npos) << o.err;
}

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

TEST_F(ReportCli, RejectedOptionCreatesNoFile) {
  merged_db();
  const std::vector<std::pair<std::string, int>> commands = {{"export merged.db --format xlsx -o x.out", 2},
                                                             {"export merged.db --columns model,bogus -o x.out", 2},
                                                             {"export merged.db --table bogus -o x.out", 2},
                                                             {"export merged.db --table precision --items -o x.out", 2},
                                                             {"recommend merged.db --objective speed", 2},
                                                             {"export merged.db --columns bogus", 2},
                                                             {"report none.db -o x.out", 3},
                                                             {"export none.db -o x.out", 3}};
  for (const auto& [cmd, rc] : commands) {
    const auto before = names_in(dir_);
    const Output o = jouleval(cmd);
    EXPECT_EQ(o.rc, rc) << cmd << o.err;
    // Not the output, nor a temporary, nor the database's journal files.
    EXPECT_EQ(names_in(dir_), before) << cmd;
  }
}

// Read-only opens: a database of an older schema version is read as it is, never upgraded in place.
TEST_F(ReportCli, ReadingCommandsLeaveTheDatabaseAsItWas) {
  merged_db();
  {
    store::Store s(path("merged.db"), {.create = false});
    s.database().exec("PRAGMA user_version = 2; UPDATE meta SET value = '2' WHERE key = 'schema_version'");
  }
  const std::string before = read_file(path("merged.db"));
  const Output e = jouleval("export merged.db -o x.csv");
  EXPECT_EQ(e.rc, 0) << e.err;
  const Output r = jouleval("report merged.db -o r.html");
  EXPECT_EQ(r.rc, 0) << r.err;
  jouleval("recommend merged.db");
  EXPECT_EQ(read_file(path("merged.db")) == before, true) << "the database was changed";
  // Nothing written to its journal either.
  std::error_code ec;
  EXPECT_EQ(fs::exists(path("merged.db-wal")) ? fs::file_size(path("merged.db-wal"), ec) : 0u, 0u);
}

TEST_F(ReportCli, FullDiskIsExitFourAndKeepsTheOldFile) {
  // Cells with their per-item records: an export of ~0.5 MB.
  auto cells = testing::machine_cells(testing::kMachineA, 1.0, 0.0);
  for (auto& c : cells)
    for (int i = 0; i < 100; ++i)
      c.items.push_back(
          {c.key.task + "/" + std::to_string(i), i % 2 == 0, R"({"prompt":")" + std::string(400, 'q') + "\"}"});
  testing::write_database(path("merged.db"), cells, {testing::twin_machine(testing::kMachineA)});
  std::ofstream(path("old.csv")) << "previous export\n";
  std::ofstream(path("old.html")) << "previous report\n";
  // A file size limit of 72 blocks of 512 bytes (SQLite needs 32 KiB of shared memory to read the
  // database): a longer write fails with EFBIG (the signal is ignored), as on a full disk.
  const std::string limit = "trap '' XFSZ; ulimit -f 72; ";
  const Output e = jouleval("export merged.db --items --format jsonl -o old.csv", limit);
  EXPECT_EQ(e.rc, 4) << e.out << e.err;
  EXPECT_NE(e.err.find("old.csv"), std::string::npos) << e.err;
  EXPECT_TRUE(read_file(path("old.csv")) == "previous export\n")
      << "old.csv was changed: " << read_file(path("old.csv")).size() << " bytes";
  const Output r = jouleval("report merged.db -o old.html", limit);
  EXPECT_EQ(r.rc, 4) << r.out << r.err;
  EXPECT_NE(r.err.find("old.html"), std::string::npos) << r.err;
  EXPECT_TRUE(read_file(path("old.html")) == "previous report\n") << "old.html was changed";
  // No temporary file is left beside them.
  for (const auto& name : names_in(dir_))
    EXPECT_TRUE(name.rfind("merged.db", 0) == 0 || name == "old.csv" || name == "old.html") << name;
  // A device is written, not replaced: /dev/full is a full disk.
  const Output full = jouleval("export merged.db -o /dev/full");
  EXPECT_EQ(full.rc, 4) << full.err;
  EXPECT_NE(full.err.find("/dev/full"), std::string::npos) << full.err;
  EXPECT_TRUE(fs::is_character_file("/dev/full"));
  // A symbolic link is followed: the file it names is replaced, the link stays.
  std::ofstream(path("target.md")) << "old\n";
  fs::create_symlink("target.md", path("link.md"));
  const Output linked = jouleval("export merged.db --format markdown -o link.md");
  EXPECT_EQ(linked.rc, 0) << linked.err;
  EXPECT_TRUE(fs::is_symlink(path("link.md")));
  EXPECT_NE(read_file(path("target.md")).find("| qwen2.5-1.5b-f32 |"), std::string::npos);
  fs::remove(path("link.md"));
  fs::remove(path("target.md"));
  // Replacing an existing file is what -o does when there is room.
  EXPECT_EQ(jouleval("export merged.db -o old.csv").rc, 0);
  EXPECT_NE(read_file(path("old.csv")).find("cell_id"), std::string::npos);
}

TEST_F(ReportCli, TextFromTheDatabaseIsEscapedOnTheTerminal) {
  auto cells = testing::machine_cells(testing::kMachineA, 1.0, 0.0);
  for (auto& c : cells) c.key.model = "evil\x1b]0;pwned\x07\x1b[2J";
  auto machine = testing::twin_machine(testing::kMachineA);
  machine.hostname = "host\x1b[31m";
  testing::write_database(path("evil.db"), cells, {machine});
  testing::write_database(path("evil2.db"), {cells[0]}, {machine});
  auto raw = [](const std::string& s) {
    return s.find('\x1b') != std::string::npos || s.find('\x07') != std::string::npos;
  };
  for (const char* cmd :
       {"recommend evil.db", "export evil.db --format markdown", "export evil.db --format latex",
        "merge evil.db evil2.db -o all.db", "recommend evil.db --json", "export evil.db --format jsonl"}) {
    const Output o = jouleval(cmd);
    EXPECT_FALSE(raw(o.out)) << cmd << ":\n" << o.out;
    EXPECT_FALSE(raw(o.err)) << cmd << ":\n" << o.err;
    EXPECT_NE((o.out + o.err).find("evil\\"), std::string::npos) << cmd << ":\n" << o.out << o.err;
  }
  // CSV keeps the exact bytes (a machine-readable format).
  EXPECT_NE(jouleval("export evil.db --format csv").out.find("evil\x1b]0;pwned\x07"), std::string::npos);
}

TEST_F(ReportCli, MergeSaysWhichCopyItKeptAndWhy) {
  auto cells = testing::machine_cells(testing::kMachineA, 1.0, 0.0);
  const auto machine = testing::twin_machine(testing::kMachineA);
  // first.db: the fp32 MMLU cell finished with 2 repetitions; second.db: the same cell unfinished
  // with 3, and the fp16 one finished with 3 (more repetitions than first.db's 2).
  results::Cell unfinished = cells[0];
  unfinished.status = results::CellStatus::kPending;
  unfinished.repetitions.push_back(unfinished.repetitions.back());
  unfinished.repetitions.back().index = 2;
  results::Cell more = cells[3];
  more.repetitions.push_back(more.repetitions.back());
  more.repetitions.back().index = 2;
  testing::write_database(path("first.db"), {cells[0], cells[3], cells[1]}, {machine});
  testing::write_database(path("second.db"), {unfinished, more, cells[1]}, {machine});
  const Output o = jouleval("merge first.db second.db -o all.db");
  ASSERT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("kept first.db (done, 2 rep.): a finished copy beats an unfinished one; left out second.db "
                       "(pending, 3 rep.)"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("kept second.db (done, 3 rep.): more repetitions; left out first.db (done, 2 rep.)"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("kept first.db (done, 2 rep.): equal, the first copy stays; left out second.db (done, 2 rep.)"),
            std::string::npos)
      << o.out;
  const Output j = jouleval("merge first.db second.db -o all2.db --json");
  ASSERT_EQ(j.rc, 0) << j.err;
  const json report = json::parse(j.out);
  std::set<std::string> reasons;
  for (const auto& s : report["skipped"]) reasons.insert(s["reason"].get<std::string>());
  EXPECT_EQ(reasons, (std::set<std::string>{"a finished copy beats an unfinished one", "more repetitions",
                                            "equal, the first copy stays"}));
}

// `export` for people as a user runs it: the --caption text first, then the meters, the idle
// handling and the random-weight note; a default caption per table; the items table still exports.
TEST_F(ReportCli, ExportCaptionStartsWithTheUsersText) {
  auto fp16 = testing::cell("synth-q7b", "fp16", "mmlu", 0.25, 1.0);
  fp16.random_weights = true;
  auto int8 = testing::cell("synth-q7b", "int8", "mmlu", 0.24, 0.75);
  int8.random_weights = true;
  fp16.items = int8.items = {{"mmlu/0", true, "{}"}};
  testing::write_database(path("synth.db"), {fp16, int8}, {testing::h100_machine()});

  const Output tex = jouleval("export synth.db --format latex --caption 'Our 7B study'");
  ASSERT_EQ(tex.rc, 0) << tex.err;
  EXPECT_NE(tex.out.find("\\caption{Our 7B study. Energy: each meter's total over the run, idle draw included (not "
                         "idle-subtracted); meters: nvml:0 (gpu: nvml:0 device), rapl (cpu: rapl device). "
                         "Random-weight model (synth-q7b): accuracy is chance level. $\\pm$: half-width"),
            std::string::npos)
      << tex.out;
  EXPECT_NE(tex.out.find("synth-q7b & fp16 & mmlu & 0 & 100 & acc & 0.250 $\\pm$ 0.039 &"), std::string::npos)
      << tex.out;

  const Output md = jouleval("export synth.db --format markdown");
  ASSERT_EQ(md.rc, 0) << md.err;
  EXPECT_EQ(md.out.rfind("| Machine | Model | Precision | Task | Shots | Items | Metric | Score | Energy (Wh) |", 0),
            0u)
      << md.out;
  EXPECT_NE(md.out.find("\n\nEnergy and accuracy per configuration. Energy: each meter's total"), std::string::npos)
      << md.out;
  EXPECT_NE(md.out.find("Random-weight model (synth-q7b): accuracy is chance level."), std::string::npos) << md.out;

  const Output precision = jouleval("export synth.db --format markdown --table precision");
  ASSERT_EQ(precision.rc, 0) << precision.err;
  EXPECT_NE(precision.out.find("| int8 | fp16 | 0 | 100 | acc | 25.0 ± 64.2 | -1.0 ± 5.5 | yes |"), std::string::npos)
      << precision.out;
  EXPECT_NE(precision.out.find("\n\nEnergy and accuracy of each precision against its reference precision."),
            std::string::npos)
      << precision.out;

  for (const char* format : {"markdown", "latex"}) {
    const Output items = jouleval(std::string("export synth.db --table items --format ") + format);
    ASSERT_EQ(items.rc, 0) << items.err;
    EXPECT_NE(items.out.find("mmlu/0"), std::string::npos) << items.out;
    EXPECT_NE(items.out.find("Scored items per configuration."), std::string::npos) << items.out;
    EXPECT_EQ(items.out.find("Energy:"), std::string::npos) << items.out;
  }
}

TEST_F(ReportCli, StudyTablesTakeTheReferenceFromJouleval) {
  // A 1.5B study with fp32, fp16 and int8: jouleval's reference is fp16; the study's table script once
  // compared with fp32 (its own rule for the 1.5B sweep). bench/tables.py takes `export --table precision`.
  fs::create_directory(path("study"));
  auto cells = testing::machine_cells(testing::kMachineA, 1.0, 0.0);
  testing::write_database(path("study/study.db"), cells, {testing::twin_machine(testing::kMachineA)});
  const fs::path script = fs::path(JOULEVAL_TEST_DATA).parent_path().parent_path() / "bench" / "tables.py";
  const std::string exe = std::string(JOULEVAL_BINARY_DIR) + "/bin/jouleval";
  const std::string cmd = "python3 " + quote(script.string()) + " " + quote(path("study").string()) + " --jouleval " +
                          quote(exe) + " >" + quote(path("tables.md").string()) + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(path("tables.md"));
  const std::string md = read_file(path("tables.md"));
  const auto start = md.find("### Precisions: energy per question against the reference precision");
  ASSERT_NE(start, std::string::npos) << md;
  const std::string section = md.substr(start, md.find("###", start + 3) - start);
  // fp32 and int8 against fp16, at both limits and on GSM8K; never fp16 against fp32.
  const auto rows = model_rows(section);
  EXPECT_EQ(rows.size(), 6u) << section;
  for (const auto& row : rows) EXPECT_NE(row.find("| fp16 |"), std::string::npos) << row;
  EXPECT_EQ(section.find("| fp16 | fp32 |"), std::string::npos) << section;
}

// recommend on results without any energy reading (a machine without meters, as `jouleval demo` on a
// laptop): exit 0, saying plainly that no energy was measured, why, and what to run; a misspelt task
// is a usage error naming it and the known ones.
TEST_F(ReportCli, RecommendWithoutEnergyAndUnknownFilters) {
  std::vector<results::Cell> cells;
  for (const char* precision : {"fp32", "q8_0"}) {
    auto c = testing::cell("synth-tiny", precision, "mmlu", 0.25, 0.1, "m-cpu");
    c.key.placement = "cpu";
    c.random_weights = true;
    for (auto& rep : c.repetitions) {
      rep.meters = {testing::meter("rapl", "cpu", std::nullopt)};
      rep.peak_rss_bytes = std::string(precision) == "fp32" ? 400'000'000 : 300'000'000;
    }
    cells.push_back(c);
  }
  testing::write_database(path("demo.db"), cells, {testing::cpu_machine()});
  const Output o = jouleval("recommend demo.db --scenario datacenter");
  EXPECT_EQ(o.rc, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("No energy was measured in these results (rapl (cpu): permission denied)"), std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("Chosen: synth-tiny"), std::string::npos) << o.out;
  const Output j = jouleval("recommend demo.db --json");
  EXPECT_EQ(j.rc, 0) << j.err;
  const json rec = json::parse(j.out);
  EXPECT_EQ(rec["energy_measured"], false);
  EXPECT_EQ(rec["objective"], "tokens/s");
  for (const auto& c : rec["candidates"]) {
    EXPECT_EQ(c["memory_basis"], "host peak RSS");
    EXPECT_NEAR(c["memory_gb"].get<double>(), c["precision"] == "fp32" ? 0.4 : 0.3, 1e-12);
  }

  const Output typo = jouleval("recommend demo.db --task hellaswg");
  EXPECT_EQ(typo.rc, 2);
  EXPECT_NE(typo.err.find("--task 'hellaswg': no task of that name in the results (known: mmlu)"), std::string::npos)
      << typo.err;
  const Output model = jouleval("recommend demo.db --model synth-tiny,nope");
  EXPECT_EQ(model.rc, 2);
  EXPECT_NE(model.err.find("--model 'nope'"), std::string::npos) << model.err;
  EXPECT_EQ(jouleval("recommend demo.db --machine laptop --machine m-cpu --task mmlu").rc, 0);

  // A database of schema version 3 did not record the host's peak memory: "not recorded".
  {
    store::Store s(path("demo.db"), {.create = false});
    s.database().exec(
        "ALTER TABLE repetitions DROP COLUMN peak_rss_bytes; PRAGMA user_version = 3; "
        "UPDATE meta SET value = '3' WHERE key = 'schema_version'");
  }
  const Output old = jouleval("recommend demo.db --json");
  EXPECT_EQ(old.rc, 0) << old.err;
  const json old_json = json::parse(old.out);
  for (const auto& c : old_json["candidates"]) {
    EXPECT_TRUE(c["memory_gb"].is_null());
    EXPECT_EQ(c["memory_basis"], "host peak RSS not recorded");
  }
  EXPECT_NE(jouleval("recommend demo.db").out.find("n/r = not recorded"), std::string::npos);
}

// export --table models: one row per cell two models share.
TEST_F(ReportCli, ExportModelsTable) {
  std::vector<results::Cell> cells;
  for (const auto& [model, params, scale] :
       {std::tuple{"base-7b", 7'600'000'000ULL, 1.0}, std::tuple{"distill-1.5b", 1'500'000'000ULL, 0.8}}) {
    auto c = testing::cell(model, "fp16", "mmlu", 0.6, scale);
    c.key.model_sha256 = std::string("sha-") + model;
    c.model_params = params;
    cells.push_back(c);
  }
  testing::write_database(path("m.db"), cells, {testing::h100_machine()});
  const Output o = jouleval("export m.db --table models --format jsonl");
  EXPECT_EQ(o.rc, 0) << o.err;
  std::istringstream lines(o.out);
  std::string line;
  std::vector<json> rows;
  while (std::getline(lines, line)) rows.push_back(json::parse(line));
  ASSERT_EQ(rows.size(), 1u) << o.out;
  EXPECT_EQ(rows[0]["model"], "distill-1.5b");
  EXPECT_EQ(rows[0]["baseline_model"], "base-7b");
  EXPECT_NEAR(rows[0]["energy_ratio"].get<double>(), 0.8, 1e-12);
  EXPECT_EQ(jouleval("export m.db --table model").rc, 2);
}

}  // namespace
}  // namespace jouleval::report
