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

TEST_F(ReportCli, StudyTablesTakeTheReferenceFromJouleval) {
  // A 1.5B study with fp32, fp16 and int8: jouleval's reference is fp16; bench/study_tables.py used
  // to compare with fp32 (its own rule for the 1.5B sweep).
  fs::create_directory(path("study"));
  auto cells = testing::machine_cells(testing::kMachineA, 1.0, 0.0);
  testing::write_database(path("study/study.db"), cells, {testing::twin_machine(testing::kMachineA)});
  const fs::path script = fs::path(JOULEVAL_TEST_DATA).parent_path().parent_path() / "bench" / "study_tables.py";
  const std::string exe = std::string(JOULEVAL_BINARY_DIR) + "/bin/jouleval";
  const std::string cmd = "python3 " + quote(script.string()) + " " + quote(path("study").string()) + " --jouleval " +
                          quote(exe) + " >" + quote(path("tables.md").string()) + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(path("tables.md"));
  const std::string md = read_file(path("tables.md"));
  const auto start = md.find("### Energy per question relative to the reference precision (1.5B, GPU)");
  ASSERT_NE(start, std::string::npos) << md;
  const std::string section = md.substr(start, md.find("###", start + 3) - start);
  // fp32 and int8 against fp16, at both limits and on GSM8K; never fp16 against fp32.
  const auto rows = model_rows(section);
  EXPECT_EQ(rows.size(), 6u) << section;
  for (const auto& row : rows) EXPECT_NE(row.find("| fp16 |"), std::string::npos) << row;
  EXPECT_EQ(section.find("| fp16 | fp32 |"), std::string::npos) << section;
}

}  // namespace
}  // namespace jouleval::report
