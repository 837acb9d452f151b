// Generation through the chat API (docs/endpoint.md "Chat completions") against the fake server
// (fake_server.h): what is sent to /v1/chat/completions, whole and streamed answers read from
// `message.content` and `delta.content`, the streaming probe, each malformed class as a util::Error
// of the documented kind with nothing returned, and loglikelihood refused.
#include <gtest/gtest.h>

#include <string>

#include "endpoint/client.h"
#include "endpoint/evaluator.h"
#include "fake_server.h"
#include "util/error.h"

namespace jouleval::endpoint {
namespace {

using nlohmann::json;
using testing::chat_chunk;
using testing::chat_completion;
using testing::chunk;
using testing::FakeReply;
using testing::FakeServer;
using testing::usage_and_done;

template <typename F>
util::Error error_of(F f) {
  try {
    f();
  } catch (const util::Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return util::Error("none");
}

EndpointOptions chat_options(const FakeServer& server, const std::string& api = kChatApi) {
  EndpointOptions o{server.url(), "fake-model", 2, 10};
  o.api = api;
  return o;
}

std::string what(const util::Error& e) { return e.what(); }

TEST(Chat, RefusesAnUnknownApi) {
  EndpointOptions o{"http://h:1", "m", 1, 1};
  o.api = "responses";
  const util::Error e = error_of([&] { Client c(o); });
  EXPECT_EQ(e.kind(), util::ErrorKind::kUsage);
  EXPECT_NE(what(e).find("--endpoint-api 'responses': use completions or chat"), std::string::npos) << e.what();
}

TEST(Chat, SendsOneUserTurnAndReadsTheMessageContent) {
  json seen;
  FakeServer server([&](const json& r) {
    seen = r;
    return FakeReply{200, chat_completion(" 6 * 7 = 42.\n\nQuestion: next", 11, 9)};
  });
  Client client(chat_options(server));
  EndpointEvaluator evaluator(client, {});
  const auto out = evaluator.generate({{"Question: 6 * 7?\nAnswer:", {"\n\nQuestion:"}, 16}}, {});
  EXPECT_EQ(server.last_path(), "/v1/chat/completions");
  EXPECT_EQ(seen.at("model"), "fake-model");
  EXPECT_EQ(seen.at("messages"), json::parse(R"([{"role": "user", "content": "Question: 6 * 7?\nAnswer:"}])"));
  EXPECT_FALSE(seen.contains("prompt"));
  EXPECT_EQ(seen.at("max_tokens"), 16);
  EXPECT_EQ(seen.at("temperature"), 0);
  EXPECT_EQ(seen.at("stop"), json::parse(R"(["\n\nQuestion:"])"));
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].text, " 6 * 7 = 42.");  // cut before the stop string
  EXPECT_EQ(out[0].n_prompt_tokens, 11);
  EXPECT_EQ(out[0].n_generated_tokens, 9);
  EXPECT_EQ(out[0].stop_reason, engine::StopReason::kStopString);
  EXPECT_EQ(evaluator.counters().tokens_generated, 9);
  const auto timings = evaluator.take_request_timings();
  ASSERT_EQ(timings.size(), 1U);
  EXPECT_FALSE(timings[0].streamed);
  EXPECT_EQ(timings[0].output_tokens, 9);
}

TEST(Chat, TheCompletionsApiStillSendsARawPrompt) {
  json seen;
  FakeServer server([&](const json& r) {
    seen = r;
    return FakeReply{200, testing::completion(" 42", 5, 2, "length")};
  });
  Client client(chat_options(server, kCompletionsApi));
  EndpointEvaluator evaluator(client, {});
  const auto out = evaluator.generate({{"Q:", {}, 2}}, {});
  EXPECT_EQ(server.last_path(), "/v1/completions");
  EXPECT_EQ(seen.at("prompt"), "Q:");
  EXPECT_FALSE(seen.contains("messages"));
  EXPECT_EQ(out.at(0).stop_reason, engine::StopReason::kMaxTokens);
}

// llama-server's and vLLM's chat stream: a role-only first chunk (content null), content deltas,
// an empty delta with finish_reason, then the usage chunk with no choices.
std::vector<std::pair<int, std::string>> chat_stream() {
  return {{0, chat_chunk({{"role", "assistant"}, {"content", nullptr}})},
          {120, chat_chunk({{"content", " The"}})},
          {100, chat_chunk({{"content", " answer is 42."}})},
          {0, chat_chunk(json::object(), "stop")},
          {50, usage_and_done(7, 4)}};
}

TEST(Chat, AStreamedAnswerIsTheDeltasJoinedAndTimedAsTheServerSleeps) {
  json seen;
  FakeServer server([&](const json& r) {
    seen = r;
    FakeReply reply;
    reply.stream = chat_stream();
    if (r.at("max_tokens") == 1) reply.stream.back().second = usage_and_done(5, 1);  // the probe
    return reply;
  });
  Client client(chat_options(server));
  EXPECT_TRUE(client.probe_streaming().supported);
  EXPECT_EQ(seen.at("messages").at(0).at("role"), "user");
  EndpointEvaluator evaluator(client, {});
  evaluator.set_streaming(true);
  const auto out = evaluator.generate({{"Q:", {}, 8}}, {});
  EXPECT_EQ(server.last_path(), "/v1/chat/completions");
  EXPECT_TRUE(seen.at("stream").get<bool>());
  EXPECT_TRUE(seen.at("stream_options").at("include_usage").get<bool>());
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].text, " The answer is 42.");
  EXPECT_EQ(out[0].n_prompt_tokens, 7);
  EXPECT_EQ(out[0].n_generated_tokens, 4);
  const auto timings = evaluator.take_request_timings();
  ASSERT_EQ(timings.size(), 1U);
  const RequestTiming& t = timings[0];
  EXPECT_TRUE(t.streamed);
  // The role-only chunk has no text: the first token is the first content, after 120 ms.
  EXPECT_GE(t.ttft, 0.120);
  EXPECT_LT(t.ttft, 0.120 + 0.080);
  ASSERT_EQ(t.itl.size(), 1U);
  EXPECT_GE(t.itl[0], 0.100 - 0.005);
  EXPECT_LT(t.itl[0], 0.100 + 0.080);
  EXPECT_GE(t.e2e, 0.270);
}

TEST(Chat, TheProbeRefusesAStreamOfCompletionChunks) {
  // A server answering the chat path with /v1/completions chunks ("text", no "delta").
  FakeServer server([](const json&) {
    FakeReply r;
    r.stream = {{0, chunk(" Paris", "length")}, {0, usage_and_done(5, 1)}};
    return r;
  });
  const StreamingSupport s = Client(chat_options(server)).probe_streaming();
  EXPECT_FALSE(s.supported);
  EXPECT_NE(s.why_not.find("'choices[0].delta' is not an object"), std::string::npos) << s.why_not;
  EXPECT_NE(s.why_not.find("POST /v1/chat/completions"), std::string::npos) << s.why_not;
}

TEST(Chat, MalformedWholeAnswersAreBadInputAndReturnNothing) {
  const json usage = {{"prompt_tokens", 3}, {"completion_tokens", 2}, {"total_tokens", 5}};
  struct Case {
    std::string body;
    const char* message;
  };
  const std::vector<Case> cases = {
      {json{{"usage", usage}}.dump(), "the response has no 'choices'"},
      {json{{"choices", json::array()}, {"usage", usage}}.dump(), "'choices' must be an array of one choice"},
      {json{{"choices", {{{"finish_reason", "stop"}}}}, {"usage", usage}}.dump(),
       "the response has no 'choices[0].message'"},
      {json{{"choices", {{{"message", "42"}}}}, {"usage", usage}}.dump(), "'choices[0].message' is string"},
      {json{{"choices", {{{"message", {{"role", "assistant"}}}}}}, {"usage", usage}}.dump(),
       "the response has no 'choices[0].message.content'"},
      {chat_completion(nullptr, 3, 2), "'choices[0].message.content' is null, not a string"},
      {chat_completion(42, 3, 2), "'choices[0].message.content' is number, not a string"},
      {json{{"choices", {{{"message", {{"content", "42"}}}}}}}.dump(), "the response has no 'usage'"},
      {json{{"choices", {{{"message", {{"content", "42"}}}}}},
            {"usage", {{"prompt_tokens", 3}, {"completion_tokens", 2}, {"total_tokens", 6}}}}
           .dump(),
       "wrong token counts: usage.total_tokens 6"},
      {chat_completion("42", 3, 9), "usage.completion_tokens 9 is more than the 8 asked for"},
      {R"({"error": {"message": "no chat template"}})", "the server answered with an error"},
      {R"({"choices": [{"message": {"content": "4)", "not valid JSON (truncated?)"},
  };
  for (const Case& c : cases) {
    FakeServer server([&](const json&) { return FakeReply{200, c.body}; });
    Client client(chat_options(server));
    EndpointEvaluator evaluator(client, {});
    std::vector<engine::GenerationResult> out;
    const util::Error e = error_of([&] { out = evaluator.generate({{"Q:", {}, 8}}, {}); });
    EXPECT_TRUE(out.empty());
    EXPECT_TRUE(evaluator.take_request_timings().empty());
    EXPECT_EQ(e.kind(), util::ErrorKind::kBadInput) << e.what();
    EXPECT_NE(what(e).find(c.message), std::string::npos) << "want '" << c.message << "' in " << e.what();
    EXPECT_NE(what(e).find("POST /v1/chat/completions (generation request 1 of 1)"), std::string::npos) << e.what();
  }
}

TEST(Chat, MalformedStreamsAreBadInputAndReturnNothing) {
  struct Case {
    std::vector<std::pair<int, std::string>> pieces;
    const char* message;
  };
  const std::vector<Case> cases = {
      {{{0, chat_chunk({{"content", " 4"}})}, {0, "data: {\"choices\": [{\"delta\": {\"content\": \"2"}},
       "the stream ended inside stream line 3"},
      {{{0, chat_chunk({{"content", " 4"}})}, {0, chat_chunk(json::object(), "stop")}}, "no 'data: [DONE]'"},
      {{{0, "data: {\"choices\": [{\"text\": \"4\"}]}\n\n"}, {0, usage_and_done(3, 1)}},
       "stream line 1: 'choices[0].delta' is not an object"},
      {{{0, "data: {\"choices\": [{\"delta\": \"4\"}]}\n\n"}, {0, usage_and_done(3, 1)}},
       "stream line 1: 'choices[0].delta' is not an object"},
      {{{0, chat_chunk({{"content", 4}})}, {0, usage_and_done(3, 1)}},
       "stream line 1: 'choices[0].delta.content' is number, not a string"},
      {{{0, chat_chunk({{"content", " 4"}}, "stop")}, {0, "data: [DONE]\n\n"}}, "carries 'usage'"},
      {{{0, chat_chunk({{"content", " 4"}}, "stop")}, {0, usage_and_done(3, 9)}}, "more than the 8 asked for"},
      {{{0, chat_chunk({{"content", " 4"}})},
        {0,
         "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":4}}\n\n"
         "data: [DONE]\n\n"}},
       "wrong token counts: usage.total_tokens 4"},
      {{{0, chat_chunk({{"content", " 4"}})}, {0, "data: {\"error\": {\"message\": \"oom\"}}\n\n"}},
       "error in the stream"},
  };
  for (const Case& c : cases) {
    FakeServer server([&](const json&) {
      FakeReply r;
      r.stream = c.pieces;
      return r;
    });
    Client client(chat_options(server));
    EndpointEvaluator evaluator(client, {});
    evaluator.set_streaming(true);
    std::vector<engine::GenerationResult> out;
    const util::Error e = error_of([&] { out = evaluator.generate({{"Q:", {}, 8}}, {}); });
    EXPECT_TRUE(out.empty());
    EXPECT_TRUE(evaluator.take_request_timings().empty());
    EXPECT_EQ(e.kind(), util::ErrorKind::kBadInput) << e.what();
    EXPECT_NE(what(e).find(c.message), std::string::npos) << "want '" << c.message << "' in " << e.what();
    EXPECT_NE(what(e).find("POST /v1/chat/completions (generation request 1 of 1, streamed)"), std::string::npos)
        << e.what();
  }
}

TEST(Chat, LoglikelihoodIsRefusedAsAUsageError) {
  int requests = 0;
  FakeServer server([&](const json&) {
    ++requests;
    return FakeReply{500, "{}"};
  });
  Client client(chat_options(server));
  EndpointEvaluator evaluator(client, {.supported = true, .max_tokens = 0, .why_not = ""});
  evaluator.set_task("hellaswag");
  engine::LoglikelihoodRequest request;
  request.context = "The sky is";
  request.continuation = " blue";
  const util::Error e = error_of([&] { evaluator.loglikelihood({request}, {}); });
  EXPECT_EQ(e.kind(), util::ErrorKind::kUsage);
  EXPECT_NE(what(e).find("loglikelihood tasks (hellaswag) cannot be scored with --endpoint-api chat"),
            std::string::npos)
      << e.what();
  EXPECT_EQ(requests, 0);
}

}  // namespace
}  // namespace jouleval::endpoint
