// Text from a database (model and machine names, fingerprints, reasons) never reaches a terminal
// raw: control characters are escaped in everything printed for people; machine-readable outputs
// keep the exact text but stay valid.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "report/export.h"
#include "report/html.h"
#include "report/recommend.h"
#include "report/summary.h"
#include "util/terminal_text.h"

namespace jouleval::report {
namespace {

// ESC ] 0 ; title BEL (sets the terminal title), CSI 2 J (clears the screen) in its one-byte C1 form
// (U+009B), a carriage return that overwrites the line, and DEL.
const std::string kEvil =
    "qwen\x1b]0;pwned\x07-\xc2\x9b"
    "2J\r-x\x7f";

bool has_raw_control(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return true;
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(s[i + 1]) <= 0x9f)
      return true;
  }
  return false;
}

std::vector<results::Cell> evil_cells() {
  auto fp16 = testing::cell(kEvil, "fp16", "mmlu", 0.6, 1.0);
  auto int8 = testing::cell(kEvil, "int8", "mmlu", 0.59, 0.75);
  fp16.id = 1;
  int8.id = 2;
  return {fp16, int8};
}

std::vector<results::Machine> evil_machines() {
  auto m = testing::h100_machine();
  m.hostname = "host\x1b[31mred";
  m.fingerprint_json = "{\"note\":\"\x1b[2J\"}";
  return {m};
}

TEST(report_terminal, EscapesControlCharactersVisibly) {
  EXPECT_EQ(util::terminal_safe("a\x1b[31mb"), "a\\x1b[31mb");
  EXPECT_EQ(util::terminal_safe("keep\nlines\tand tabs"), "keep\nlines\tand tabs");
  EXPECT_EQ(util::terminal_safe("del\x7f"), "del\\x7f");
  EXPECT_EQ(util::terminal_safe("c1 \xc2\x9b"), "c1 \\u009b");
  EXPECT_EQ(util::terminal_safe("stray \x9b byte"), "stray \\x9b byte");
  EXPECT_EQ(util::terminal_safe("r\rx"), "r\\x0dx");
  EXPECT_EQ(util::terminal_safe("caf\xc3\xa9 \xe2\x80\x94 ok"), "caf\xc3\xa9 \xe2\x80\x94 ok");  // UTF-8 kept
  EXPECT_EQ(util::terminal_safe("bad \xff\xfe"), "bad \\xff\\xfe");
  EXPECT_EQ(util::terminal_safe("cut \xe2\x80"), "cut \\xe2\\x80");
  EXPECT_FALSE(has_raw_control(util::terminal_safe(kEvil)));
}

TEST(report_terminal, RecommendationTextAndJsonAreSafe) {
  Constraints k;
  const auto rec = recommend(evil_cells(), evil_machines(), k);
  const std::string text = format_recommendation(rec);
  EXPECT_FALSE(has_raw_control(text)) << text;
  EXPECT_NE(text.find("qwen\\x1b]0;pwned\\x07"), std::string::npos) << text;
  const std::string json_text = recommendation_text_json(rec);
  EXPECT_FALSE(has_raw_control(json_text)) << json_text;
  // ... and still says exactly what the database holds.
  EXPECT_EQ(nlohmann::json::parse(json_text)["candidates"][0]["model"], kEvil);
}

TEST(report_terminal, PeopleFormatsEscapeMachineFormatsStayExact) {
  const Table t = summary_table(build_summary(evil_cells(), evil_machines()));
  const Table compact = select_columns(t, t.default_columns);
  EXPECT_FALSE(has_raw_control(export_markdown(compact))) << export_markdown(compact);
  EXPECT_FALSE(has_raw_control(export_latex(compact)));
  // CSV keeps the bytes exactly (quoted); JSONL escapes them and parses back to the same text.
  EXPECT_NE(export_csv(t).find(kEvil), std::string::npos);
  const std::string jsonl = export_jsonl(t);
  EXPECT_FALSE(has_raw_control(jsonl));
  EXPECT_EQ(nlohmann::json::parse(jsonl.substr(0, jsonl.find('\n')))["model"], kEvil);
}

TEST(report_terminal, HtmlEscapesMarkupAndControlCharacters) {
  ReportInput in;
  in.cells = evil_cells();
  in.machines = evil_machines();
  const std::string html = render_html(in, {});
  EXPECT_FALSE(has_raw_control(html));
  EXPECT_NE(html.find("host\\x1b[31mred"), std::string::npos);
}

TEST(report_terminal, InvalidUtf8DoesNotBreakTheOutputs) {
  auto cells = evil_cells();
  for (auto& c : cells) c.key.model = "bad\xff\xfe name";
  const Summary s = build_summary(cells, evil_machines());
  ReportInput in;
  in.cells = cells;
  in.machines = evil_machines();
  EXPECT_NO_THROW(render_html(in, {}));
  Constraints k;
  const std::string json_text = recommendation_text_json(recommend(cells, evil_machines(), k));
  EXPECT_FALSE(nlohmann::json::parse(json_text, nullptr, false).is_discarded()) << json_text;
  EXPECT_NE(export_markdown(summary_table(s)).find("bad\\xff\\xfe name"), std::string::npos);
}

}  // namespace
}  // namespace jouleval::report
