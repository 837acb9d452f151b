// Helpers shared by the tasks tests: fixture paths, expected bad-input errors, fake engine results.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/requests.h"
#include "tasks/utf8.h"
#include "util/error.h"

namespace jouleval::tasks::testing {

inline std::filesystem::path fixture_dir() { return std::filesystem::path(JOULEVAL_TEST_DATA) / "tasks"; }
inline std::filesystem::path layout_a() { return fixture_dir() / "layout_a"; }

// Runs fn, expects util::Error with kBadInput whose message contains every one of `parts` (and is
// valid UTF-8 of reasonable length).
template <typename Fn>
void expect_bad_input(Fn&& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "expected util::Error(kBadInput)";
  } catch (const util::Error& e) {
    EXPECT_EQ(e.code(), util::ErrorKind::kBadInput) << e.what();
    // Messages end up in JSON and the results store: never invalid UTF-8, never huge.
    EXPECT_EQ(utf8_error_offset(e.what()), std::string_view::npos) << e.what();
    EXPECT_LT(std::string_view(e.what()).size(), 1000u) << e.what();
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " ~ " << p;
  }
}

inline engine::LoglikelihoodResult ll(double logprob, int n_tokens = 1) {
  engine::LoglikelihoodResult r;
  r.logprob = logprob;
  r.n_tokens = n_tokens;
  return r;
}

inline engine::GenerationResult gen(std::string text, engine::StopReason reason = engine::StopReason::kStopString) {
  engine::GenerationResult r;
  r.text = std::move(text);
  r.stop_reason = reason;
  return r;
}

}  // namespace jouleval::tasks::testing
