// GSM8K strict-match / flexible-extract filters and exact_match normalisation on tricky outputs.
#include <gtest/gtest.h>

#include "tasks/gsm8k_answer.h"

namespace jouleval::tasks {
namespace {

TEST(tasks_Gsm8kExtract, StrictTakesTheFirstHashAnswer) {
  EXPECT_EQ(extract_strict("so 5 + 7 = 12\n#### 12"), "12");
  EXPECT_EQ(extract_strict("#### 1,234.\nmore\n#### 99"), "1,234.");
  EXPECT_EQ(extract_strict("#### -42"), "-42");
  EXPECT_EQ(extract_strict("##### 7"), "7");          // matches inside a longer run of '#'
  EXPECT_EQ(extract_strict("#### $5\n#### 6"), "6");  // '$' is not allowed after "#### "
  EXPECT_EQ(extract_strict("#### - 3"), std::nullopt);
  EXPECT_EQ(extract_strict("####12"), std::nullopt);  // needs the space
  EXPECT_EQ(extract_strict("The answer is 12."), std::nullopt);
}

TEST(tasks_Gsm8kExtract, FlexibleTakesTheLastNumberLikeMatch) {
  EXPECT_EQ(extract_flexible("He pays $1,200 in total, so the answer is $1,300."), "$1,300.");
  EXPECT_EQ(extract_flexible("It is 5 degrees, then -12"), "-12");
  EXPECT_EQ(extract_flexible("answer: 7"), "7");  // single digit: second alternative
  EXPECT_EQ(extract_flexible("x-5"), "-5");
  EXPECT_EQ(extract_flexible("costs $5"), "$5");
  EXPECT_EQ(extract_flexible("12 apples... wait"), "...");  // lm-eval's regex matches an ellipsis too
  EXPECT_EQ(extract_flexible("3.5 and 4"), "4");
  EXPECT_EQ(extract_flexible("no digits here"), std::nullopt);
  EXPECT_EQ(extract_flexible(""), std::nullopt);
  EXPECT_EQ(extract_flexible("-"), std::nullopt);
}

TEST(tasks_Gsm8kExtract, NormalisationLikeExactMatchRegexes) {
  EXPECT_EQ(normalize_answer("$1,300."), "1300");
  EXPECT_EQ(normalize_answer("Janet makes...\n#### 18"), "18");
  EXPECT_EQ(normalize_answer("a #### b #### 7"), "7");  // everything up to the last "#### "
  EXPECT_EQ(normalize_answer("-3"), "-3");
  EXPECT_EQ(normalize_answer("5.."), "5.");    // one trailing '.'
  EXPECT_EQ(normalize_answer("5.\n"), "5\n");  // '$' also matches before a final newline
  EXPECT_EQ(normalize_answer("[invalid]"), "[invalid]");
  EXPECT_EQ(normalize_answer("ABC"), "abc");
  EXPECT_EQ(normalize_answer("12.50"), "12.50");  // no numeric normalisation, as in lm-eval
}

}  // namespace
}  // namespace jouleval::tasks
