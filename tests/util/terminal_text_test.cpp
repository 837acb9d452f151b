#include "util/terminal_text.h"

#include <gtest/gtest.h>

namespace jouleval::util {
namespace {

TEST(TerminalText, ControlSequencesBecomeVisibleEscapes) {
  EXPECT_EQ(terminal_safe("model\x1b]0;pwned\x07name"), "model\\x1b]0;pwned\\x07name");
  EXPECT_EQ(terminal_safe("a\rb\x7f"), "a\\x0db\\x7f");
  EXPECT_EQ(terminal_safe("csi \xc2\x9b"
                          "2J"),
            "csi \\u009b2J");  // C1 CSI encoded in UTF-8
  EXPECT_EQ(terminal_safe("bad \xff\xfe"), "bad \\xff\\xfe");
}

TEST(TerminalText, OrdinaryTextIsUnchanged) {
  const std::string text = "Qwen2.5 · naïve — 数学\ttab\nnewline";
  EXPECT_EQ(terminal_safe(text), text);
}

}  // namespace
}  // namespace jouleval::util
