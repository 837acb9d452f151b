// Golden-file comparison for the report tests: JOULEVAL_UPDATE_GOLDEN=1 rewrites the file instead.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace jouleval::report::testing {

inline std::filesystem::path golden_path(const std::string& name) {
  return std::filesystem::path(JOULEVAL_TEST_DATA) / "report" / name;
}

inline void expect_golden(const std::string& name, const std::string& actual) {
  const auto path = golden_path(name);
  if (const char* u = std::getenv("JOULEVAL_UPDATE_GOLDEN"); u != nullptr && std::string(u) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path << " (JOULEVAL_UPDATE_GOLDEN=1 writes it)";
  std::ostringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(actual, ss.str()) << "differs from " << path;
}

}  // namespace jouleval::report::testing
