// Model output that is not valid UTF-8 must not make a per-item record unserialisable.
#include <gtest/gtest.h>

#include "util/json_text.h"

namespace jouleval::util {
namespace {

TEST(JsonText, InvalidUtf8IsReplacedNotThrown) {
  nlohmann::json rec = {{"generated", std::string("42 \xE2\x82") + "o"}};  // truncated 3-byte sequence
  EXPECT_THROW(rec.dump(), nlohmann::json::type_error);
  const std::string text = json_text(rec);
  EXPECT_EQ(nlohmann::json::parse(text)["generated"], "42 \xEF\xBF\xBDo");  // U+FFFD then 'o'
}

}  // namespace
}  // namespace jouleval::util
