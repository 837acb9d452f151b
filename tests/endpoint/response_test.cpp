// Reading /v1/completions responses (endpoint/response.h): the sums of echoed logprobs against
// values computed by hand, and every malformed class refused with a message naming the field.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "endpoint/response.h"
#include "util/error.h"

namespace jouleval::endpoint {
namespace {

using nlohmann::json;

// "Q: sky? A: blue": context "Q: sky? A:" (10 characters), continuation " blue" as " bl" + "ue".
json echo_response() {
  return json::parse(R"({
    "choices": [{"text": "Q: sky? A: blue", "finish_reason": "length", "logprobs": {
      "tokens":         ["Q",  ":",   " sky", "?",   " A",   ":",    " bl",  "ue"],
      "text_offset":    [0,    1,     2,      6,     7,      9,      10,     13],
      "token_logprobs": [null, -1.5,  -2.0,   -0.5,  -0.25,  -0.125, -0.75,  -0.5],
      "top_logprobs":   [null, {":": -1.5}, {" sky": -2.0}, {"?": -0.5}, {" A": -0.25}, {":": -0.125},
                         {" bl": -0.75, " gr": -1.0}, {"ue": -0.5}]}}],
    "usage": {"prompt_tokens": 8, "completion_tokens": 0, "total_tokens": 8}})");
}

// The message of the util::Error `f` throws, and its kind checked to be kBadInput.
template <typename F>
std::string bad_input(F f) {
  try {
    f();
  } catch (const util::Error& e) {
    EXPECT_EQ(e.kind(), util::ErrorKind::kBadInput) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(EchoScoring, SumsTheLogprobsOfTheTokensAfterTheContext) {
  const auto r = read_echo_scoring(echo_response(), 15, 10, "req");
  EXPECT_DOUBLE_EQ(r.logprob, -1.25);  // -0.75 + -0.5
  EXPECT_EQ(r.n_tokens, 2);
  EXPECT_TRUE(r.is_greedy);
}

TEST(EchoScoring, IsNotGreedyWhenAnAlternativeIsLikelier) {
  json j = echo_response();
  j["choices"][0]["logprobs"]["top_logprobs"][6] = {{" bl", -0.75}, {" gr", -0.5}};
  EXPECT_FALSE(read_echo_scoring(j, 15, 10, "req").is_greedy);
}

TEST(EchoScoring, IgnoresTheTokenGeneratedWithMaxTokensOne) {
  json j = echo_response();
  auto& lp = j["choices"][0]["logprobs"];
  lp["tokens"].push_back("!");
  lp["text_offset"].push_back(15);
  lp["token_logprobs"].push_back(-3.0);
  lp["top_logprobs"].push_back({{"!", -3.0}});
  j["usage"] = {{"prompt_tokens", 8}, {"completion_tokens", 1}, {"total_tokens", 9}};
  const auto r = read_echo_scoring(j, 15, 10, "req");
  EXPECT_DOUBLE_EQ(r.logprob, -1.25);
  EXPECT_EQ(r.n_tokens, 2);
}

TEST(EchoScoring, CountsOffsetsInCodePoints) {
  // "é" is two bytes and one code point: the context "é:" has 2 characters.
  const json j = json::parse(R"({"choices": [{"text": "é: x", "logprobs": {
      "tokens": ["é", ":", " x"], "text_offset": [0, 1, 2], "token_logprobs": [null, -1.0, -0.375],
      "top_logprobs": [null, {":": -1.0}, {" x": -0.375}]}}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 0}})");
  EXPECT_EQ(code_points("é:"), 2U);
  const auto r = read_echo_scoring(j, code_points("é: x"), code_points("é:"), "req");
  EXPECT_DOUBLE_EQ(r.logprob, -0.375);
  EXPECT_EQ(r.n_tokens, 1);
}

TEST(EchoScoring, RefusesEveryMalformedResponse) {
  auto with = [](const std::function<void(json&)>& edit) {
    json j = echo_response();
    edit(j);
    return bad_input([&] { read_echo_scoring(j, 15, 10, "endpoint E: request 3"); });
  };
  std::string m = with([](json& j) { j["choices"][0]["logprobs"] = nullptr; });
  EXPECT_NE(m.find("endpoint E: request 3: 'choices[0].logprobs' is null"), std::string::npos) << m;
  m = with([](json& j) { j["choices"][0]["logprobs"].erase("text_offset"); });
  EXPECT_NE(m.find("no 'choices[0].logprobs.text_offset'"), std::string::npos) << m;
  m = with([](json& j) { j["choices"][0]["logprobs"]["token_logprobs"].erase(7); });
  EXPECT_NE(m.find("'choices[0].logprobs.token_logprobs' has 7 entries but 'tokens' has 8"), std::string::npos) << m;
  m = with([](json& j) { j["choices"][0]["logprobs"]["token_logprobs"][7] = nullptr; });
  EXPECT_NE(m.find("token_logprobs[7]' (a continuation token) is null"), std::string::npos) << m;
  m = with([](json& j) { j["choices"][0]["logprobs"]["token_logprobs"][7] = 0.5; });
  EXPECT_NE(m.find("not a log-probability"), std::string::npos) << m;
  m = with([](json& j) { j["choices"][0]["logprobs"]["text_offset"][7] = 5; });
  EXPECT_NE(m.find("text_offset[7]' is 5"), std::string::npos) << m;
  m = with([](json& j) { j["usage"] = {{"prompt_tokens", 9}, {"completion_tokens", 0}}; });
  EXPECT_NE(m.find("wrong token counts: 8 echoed tokens, but usage says 9 prompt + 0 completion"), std::string::npos)
      << m;
  m = with([](json& j) { j.erase("usage"); });
  EXPECT_NE(m.find("the response has no 'usage'"), std::string::npos) << m;
  m = with([](json& j) { j["choices"] = json::array(); });
  EXPECT_NE(m.find("'choices' must be an array of one choice, got 0 choices"), std::string::npos) << m;
  m = with([](json& j) { j["choices"][0]["logprobs"]["top_logprobs"][7] = json::object(); });
  EXPECT_NE(m.find("top_logprobs[7]' is {}"), std::string::npos) << m;
  // The context covers every token: nothing was scored.
  m = bad_input([] { read_echo_scoring(echo_response(), 15, 15, "req"); });
  EXPECT_NE(m.find("no echoed token starts at or after the context's end (character 15)"), std::string::npos) << m;
}

TEST(Usage, TotalMustBePromptPlusCompletion) {
  const json j = {{"usage", {{"prompt_tokens", 5}, {"completion_tokens", 3}, {"total_tokens", 9}}}};
  const std::string m = bad_input([&] { read_usage(j, "req"); });
  EXPECT_NE(m.find("wrong token counts: usage.total_tokens 9 is not prompt_tokens 5 + completion_tokens 3"),
            std::string::npos)
      << m;
  const std::string negative = bad_input([] {
    read_usage(json{{"usage", {{"prompt_tokens", -1}, {"completion_tokens", 3}}}}, "req");
  });
  EXPECT_NE(negative.find("'usage.prompt_tokens' is -1, not a count"), std::string::npos) << negative;
}

TEST(Generation, CutsAtTheFirstStopStringAndReadsUsage) {
  const json j = json::parse(R"({"choices": [{"text": "42\n\nQuestion: next", "finish_reason": "stop"}],
                                 "usage": {"prompt_tokens": 30, "completion_tokens": 6}})");
  const auto r = read_generation(j, {"Question:", "\n\n"}, 32, "req");
  EXPECT_EQ(r.text, "42");
  EXPECT_EQ(r.stop_reason, engine::StopReason::kStopString);
  EXPECT_EQ(r.n_prompt_tokens, 30);
  EXPECT_EQ(r.n_generated_tokens, 6);
  const json length = json::parse(R"({"choices": [{"text": "abc", "finish_reason": "length"}],
                                      "usage": {"prompt_tokens": 3, "completion_tokens": 4}})");
  EXPECT_EQ(read_generation(length, {}, 4, "req").stop_reason, engine::StopReason::kMaxTokens);
}

TEST(Generation, RefusesEveryMalformedResponse) {
  auto message = [](const std::string& text, int max_tokens = 32) {
    return bad_input([&] { read_generation(json::parse(text), {}, max_tokens, "req"); });
  };
  std::string m = message(R"({"choices": [{"text": "a"}], "usage": {"prompt_tokens": 3, "completion_tokens": 40}})");
  EXPECT_NE(m.find("wrong token counts: usage.completion_tokens 40 is more than the 32 asked for"), std::string::npos)
      << m;
  m = message(R"({"choices": [{"text": 7}], "usage": {"prompt_tokens": 3, "completion_tokens": 1}})");
  EXPECT_NE(m.find("'choices[0].text' is number, not a string"), std::string::npos) << m;
  m = message(R"({"choices": [{"index": 0}], "usage": {"prompt_tokens": 3, "completion_tokens": 1}})");
  EXPECT_NE(m.find("no 'choices[0].text'"), std::string::npos) << m;
  m = message(R"({"choices": [{"text": "a"}]})");
  EXPECT_NE(m.find("no 'usage'"), std::string::npos) << m;
  m = message(R"({"choices": [{"text": "a"}], "usage": {"prompt_tokens": 3}})");
  EXPECT_NE(m.find("no 'usage.completion_tokens'"), std::string::npos) << m;
  m = message(R"({"choices": "a", "usage": {"prompt_tokens": 3, "completion_tokens": 1}})");
  EXPECT_NE(m.find("'choices' must be an array of one choice, got string"), std::string::npos) << m;
}

}  // namespace
}  // namespace jouleval::endpoint
