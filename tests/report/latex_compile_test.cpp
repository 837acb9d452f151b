// The LaTeX exports compiled with a real pdflatex (Debian's texlive-latex-base and
// texlive-latex-recommended for booktabs) inside a minimal document, and read back with pdftotext
// (poppler-utils): the document compiles with LaTeX specials in model names and the caption, and the
// PDF holds every row with its numbers. Without pdflatex or pdftotext the test is skipped, unless
// CI=true, where it fails.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "fixtures.h"
#include "report/export.h"
#include "report/precision.h"
#include "report/summary.h"

namespace jouleval::report {
namespace {

namespace fs = std::filesystem;

std::optional<fs::path> find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  const std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const fs::path candidate = fs::path(dirs.substr(start, end - start)) / name;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "jouleval-latex-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

#define REQUIRE_PROGRAM(name, package)                                                                 \
  if (!find_program(name)) {                                                                           \
    const char* ci = std::getenv("CI");                                                                \
    if (ci && std::string(ci) == "true") FAIL() << name " not found (apt-get install -y " package ")"; \
    GTEST_SKIP() << name " not found; install it with apt-get install -y " package;                    \
  }

// The lines of pdftotext's text, read back as typed: with LaTeX's default font encoding (OT1) an
// escaped "\_" is drawn as a rule, which pdftotext does not read as a character (underscores are
// compared as spaces), and "\textasciitilde{}" / "\textasciicircum{}" are accents (U+02DC, U+02C6).
std::vector<std::string> pdf_lines(std::string text) {
  for (const auto& [accent, ascii] : {std::pair<std::string, std::string>{"\u02dc", "~"}, {"\u02c6", "^"}})
    for (size_t at = 0; (at = text.find(accent, at)) != std::string::npos;) text.replace(at, accent.size(), ascii);
  for (char& c : text)
    if (c == '_') c = ' ';
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Whether one line holds every piece, in order (a table row: model, precision, task, numbers).
bool has_row(const std::vector<std::string>& lines, std::vector<std::string> pieces) {
  for (auto& p : pieces)
    for (char& c : p)
      if (c == '_') c = ' ';
  for (const auto& line : lines) {
    size_t at = 0;
    bool all = true;
    for (const auto& p : pieces) {
      at = line.find(p, at);
      if (at == std::string::npos) {
        all = false;
        break;
      }
      at += p.size();
    }
    if (all) return true;
  }
  return false;
}

std::string all_text(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Text without white space and hyphens, for captions (LaTeX breaks and hyphenates their lines).
std::string squeezed(const std::string& text) {
  std::string out;
  for (char c : text)
    if (c != ' ' && c != '\n' && c != '-' && c != '_') out += c;
  return out;
}

// Numbers worked out by hand (tests/report/fixtures.h; see export_test.cpp hand_cells): fp16 and
// int8 of a model named with LaTeX specials, a random-weight model scoring 0, and a cell on a
// machine whose meters were unavailable.
Summary compile_summary() {
  auto fp16 = testing::cell("R&D_100% #1", "fp16", "mmlu", 0.62, 1.0);
  fp16.id = 1;
  auto int8 = testing::cell("R&D_100% #1", "int8", "mmlu", 0.615, 0.75);
  int8.id = 2;
  for (auto& rep : int8.repetitions) rep.meters[1].estimated = true;
  auto synth = testing::cell("synth_7b", "int4", "gsm8k", 0.0, 0.5);
  synth.id = 3;
  synth.random_weights = true;
  synth.metrics[0].stderr_ = 0.0;
  synth.repetitions.resize(1);
  auto none = testing::cell("tiny{x}^2~", "int4", "gsm8k", 0.31, 0.5, "m-cpu");
  none.id = 4;
  none.key.placement = "cpu";
  for (auto& rep : none.repetitions)
    for (auto& m : rep.meters) {
      m.available = false;
      m.total_joules.reset();
    }
  return build_summary({fp16, int8, synth, none}, {testing::h100_machine(), testing::cpu_machine()});
}

TEST(report_latex, CompilesWithPdflatexAndHoldsEveryRow) {
  REQUIRE_PROGRAM("pdflatex", "texlive-latex-base texlive-latex-recommended");
  REQUIRE_PROGRAM("pdftotext", "poppler-utils");
  const Summary s = compile_summary();
  const Table summary = summary_table(s);
  const Table precision = precision_table(s);
  const Table small = select_columns(summary, {"model", "precision", "task", "score", "score_ci_low", "score_ci_high"});
  std::string doc = "\\documentclass{article}\n\\usepackage{booktabs}\n\\usepackage{graphicx}\n\\begin{document}\n";
  doc += export_latex(select_columns(summary, latex_default_columns(s)),
                      {"Results of {run} #1 at ~50% & more_", "tab:summary", caption_notes(s)});
  doc += export_latex(select_columns(precision, precision_export_columns(precision)),
                      {"Precisions", "tab:precision", caption_notes(s, {1, 2})});
  doc += export_latex(small, {"Scores only", "tab:small", {}});
  doc += "\\end{document}\n";

  TempDir dir;
  std::ofstream(dir.path / "doc.tex", std::ios::binary) << doc;
  const std::string cd = "cd " + quote(dir.path.string()) + " && ";
  const int status = std::system(
      (cd + "timeout 120 pdflatex -interaction=nonstopmode -halt-on-error -no-shell-escape doc.tex >latex.out 2>&1")
          .c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_file(dir.path / "latex.out") << "\n" << doc;
  const int text_status = std::system((cd + "timeout 60 pdftotext -layout doc.pdf doc.txt").c_str());
  ASSERT_TRUE(WIFEXITED(text_status) && WEXITSTATUS(text_status) == 0);
  const auto lines = pdf_lines(read_file(dir.path / "doc.txt"));
  const std::string text = all_text(lines);

  // The summary: machine, model, precision, task, shots, items, metric, score ± and energy ±.
  EXPECT_TRUE(has_row(lines, {"gpu-box / NVIDIA H100 80GB HBM3", "R&D_100% #1", "fp16", "mmlu", "0", "100", "acc",
                              "0.620 \u00b1 0.039", "0.350 \u00b1 0.212", "12.6 \u00b1 7.6", "178 \u00b1 107"}))
      << text;
  EXPECT_TRUE(has_row(lines, {"R&D_100% #1", "int8", "mmlu", "0.615 \u00b1 0.039", "9.45 \u00b1 5.72*"})) << text;
  EXPECT_TRUE(
      has_row(lines, {"synth_7b", "int4", "gsm8k", "exact_match,strict-match", "0.000 \u00b1 0.000", "0.167", "6.00"}))
      << text;
  // pdflatex draws "--" as an en dash.
  EXPECT_TRUE(has_row(
      lines, {"laptop / Intel Core i7-1185G7", "tiny{x}^2~", "int4", "cpu", "gsm8k", "0.310 \u00b1 0.039", "\u2013"}))
      << text;
  // The precision comparison: 25% less energy, -0.5 points (export_test.cpp works them out).
  EXPECT_TRUE(has_row(lines, {"R&D_100% #1", "mmlu", "int8", "fp16", "acc", "25.0 \u00b1 64.2", "-0.5 \u00b1 5.5"}))
      << text;
  EXPECT_TRUE(has_row(lines, {"R&D_100% #1", "fp16", "mmlu", "0.620 \u00b1 0.039"})) << text;
  // The captions, from the first sentence (the user's) on.
  for (const char* piece :
       {"Results of {run} #1 at ~50% & more", "idle draw included (not idle-subtracted)", "Random-weight model (synth",
        "chance level", "half-width of the 95% confidence interval", "Precisions.", "Scores only."})
    EXPECT_NE(squeezed(text).find(squeezed(piece)), std::string::npos) << piece << "\n" << text;
}

}  // namespace
}  // namespace jouleval::report
