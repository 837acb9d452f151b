// CSV parsing, UTF-8 validation and HellaSwag preprocessing.
#include <gtest/gtest.h>

#include "tasks/csv_reader.h"
#include "tasks/hellaswag_text.h"
#include "tasks/utf8.h"
#include "test_util.h"

namespace jouleval::tasks {
namespace {
using testing::expect_bad_input;

TEST(tasks_Csv, QuotesDoubledQuotesAndEmbeddedNewlines) {
  auto recs = parse_csv("a,\"b,c\",\"say \"\"hi\"\"\"\n\"multi\nline\",x,\r\n\nlast,\"\",z", "t.csv");
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].line, 1);
  EXPECT_EQ(recs[0].fields, (std::vector<std::string>{"a", "b,c", "say \"hi\""}));
  EXPECT_EQ(recs[1].line, 2);
  EXPECT_EQ(recs[1].fields, (std::vector<std::string>{"multi\nline", "x", ""}));
  EXPECT_EQ(recs[2].line, 5);  // line 4 is empty and skipped
  EXPECT_EQ(recs[2].fields, (std::vector<std::string>{"last", "", "z"}));
}

TEST(tasks_Csv, CrlfRecordEndsAreRemovedButLoneCrIsKept) {
  auto recs = parse_csv("a,b\r\nc\rd,e\r\n", "t.csv");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].fields[1], "b");
  EXPECT_EQ(recs[1].fields[0], "c\rd");
  EXPECT_EQ(recs[1].fields[1], "e");
}

TEST(tasks_Csv, MalformedQuoting) {
  expect_bad_input([] { parse_csv("a,b\nc,\"open\nstill open", "x.csv"); },
                   {"x.csv:2", "column 2", "unterminated quoted field"});
  expect_bad_input([] { parse_csv("a,\"b\"c,d\n", "x.csv"); }, {"x.csv:1", "column 2", "after closing quote"});
  expect_bad_input([] { parse_csv("ok,ok\nab\"c,d\n", "x.csv"); }, {"x.csv:2", "column 1", "quote character"});
}

TEST(tasks_Utf8, ValidationAndLength) {
  EXPECT_EQ(utf8_error_offset("plain"), std::string_view::npos);
  EXPECT_EQ(utf8_error_offset("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), std::string_view::npos);
  EXPECT_EQ(utf8_error_offset("ab\xFF"), 2u);
  EXPECT_EQ(utf8_error_offset("a\xC3"), 1u);             // truncated
  EXPECT_EQ(utf8_error_offset("\xC0\xAF"), 0u);          // overlong
  EXPECT_EQ(utf8_error_offset("x\xED\xA0\x80"), 1u);     // surrogate
  EXPECT_EQ(utf8_error_offset("\xF4\x90\x80\x80"), 0u);  // > U+10FFFF
  EXPECT_EQ(utf8_length("caf\xC3\xA9"), 4u);
  EXPECT_EQ(utf8_length("\xE2\x82\xAC\xF0\x9F\x98\x80"), 2u);
}

TEST(tasks_HellaswagText, PreprocessLikeLmEval) {
  EXPECT_EQ(hellaswag_preprocess("  Roofing: [header] How to fix a roof [title] Get a ladder. [step] Climb up.  "),
            "Roofing: How to fix a roof. Get a ladder. Climb up.");
  // Tags are removed non-greedily, and not across a newline.
  EXPECT_EQ(hellaswag_preprocess("a [x] b [y] c"), "a b c");
  EXPECT_EQ(hellaswag_preprocess("a [x\n] b"), "a [x\n] b");
  // One pass of "  " -> " ": three spaces become two.
  EXPECT_EQ(hellaswag_preprocess("a   b"), "a  b");
  // Leading "[title]" leaves the space that followed it (lm-eval strips before removing tags).
  EXPECT_EQ(hellaswag_preprocess("[title] Rinse. [step] Dry."), " Rinse. Dry.");
}

TEST(tasks_HellaswagText, CapitalizeLikePython) {
  EXPECT_EQ(python_capitalize("tHE MAN"), "The man");
  EXPECT_EQ(python_capitalize(""), "");
  EXPECT_EQ(python_capitalize("1ST place"), "1st place");
}

}  // namespace
}  // namespace jouleval::tasks
