// Streamed generation against the fake server (fake_server.h): time to first token, inter-token
// gaps and end-to-end latency checked against the delays the server sleeps, the text and token
// counts assembled from the chunks, streaming detection, and each malformed stream as a
// util::Error of the documented kind with nothing returned.
#include <gtest/gtest.h>

#include <string>

#include "endpoint/client.h"
#include "endpoint/evaluator.h"
#include "fake_server.h"
#include "util/error.h"

namespace jouleval::endpoint {
namespace {

using nlohmann::json;
using testing::chunk;
using testing::completion;
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

EndpointOptions options_for(const FakeServer& server, int concurrency = 2) {
  return EndpointOptions{server.url(), "fake-model", concurrency, 10};
}

TEST(Streaming, TimesTheFirstTokenTheGapsAndTheEndAsTheServerSleeps) {
  // 150 ms to the first text, a role-only chunk without text before it, then 100 ms and 200 ms
  // gaps (the second chunk carries two tokens), then 50 ms to the usage chunk.
  std::string last_stream;
  FakeServer server([&](const json& request) {
    last_stream = request.value("stream", false) ? "stream" : "whole";
    FakeReply r;
    r.stream = {{0, ": keep-alive\n\n"},      {30, chunk("")},
                {120, chunk(" The")},         {100, chunk(" answer is")},
                {200, chunk(" 42.", "stop")}, {50, usage_and_done(7, 4)}};
    return r;
  });
  Client client(options_for(server));
  EndpointEvaluator evaluator(client, {});
  evaluator.set_streaming(true);
  const auto out = evaluator.generate({{"Q:", {}, 8}}, {});
  EXPECT_EQ(last_stream, "stream");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].text, " The answer is 42.");
  EXPECT_EQ(out[0].n_prompt_tokens, 7);
  EXPECT_EQ(out[0].n_generated_tokens, 4);
  const auto timings = evaluator.take_request_timings();
  ASSERT_EQ(timings.size(), 1u);
  const RequestTiming& t = timings[0];
  EXPECT_TRUE(t.streamed);
  // Bounds: each sleep is a lower bound; scheduling and loopback add at most 80 ms each.
  EXPECT_GE(t.ttft, 0.150);
  EXPECT_LT(t.ttft, 0.150 + 0.080);
  ASSERT_EQ(t.itl.size(), 2u);
  EXPECT_GE(t.itl[0], 0.100 - 0.005);
  EXPECT_LT(t.itl[0], 0.100 + 0.080);
  EXPECT_GE(t.itl[1], 0.200 - 0.005);
  EXPECT_LT(t.itl[1], 0.200 + 0.080);
  EXPECT_GE(t.e2e, 0.500);
  EXPECT_LT(t.e2e, 0.500 + 0.150);
  EXPECT_EQ(t.output_tokens, 4);
  EXPECT_TRUE(evaluator.take_request_timings().empty());  // taken
}

TEST(Streaming, NotStreamedRequestsRecordOnlyTheirEndToEndLatency) {
  FakeServer server([](const json& request) {
    EXPECT_FALSE(request.contains("stream"));
    return FakeReply{200, completion(" 42", 5, 2)};
  });
  Client client(options_for(server));
  EndpointEvaluator evaluator(client, {});
  evaluator.generate({{"Q:", {}, 8}}, {});
  const auto timings = evaluator.take_request_timings();
  ASSERT_EQ(timings.size(), 1u);
  EXPECT_FALSE(timings[0].streamed);
  EXPECT_GT(timings[0].e2e, 0);
  EXPECT_EQ(timings[0].output_tokens, 2);
}

TEST(Streaming, TheProbeTellsAStreamingServerFromOneThatAnswersWhole) {
  FakeServer streams([](const json&) {
    FakeReply r;
    r.stream = {{0, chunk(" Paris", "length")}, {0, usage_and_done(5, 1)}};
    return r;
  });
  EXPECT_TRUE(Client(options_for(streams)).probe_streaming().supported);
  FakeServer whole([](const json&) { return FakeReply{200, completion(" Paris", 5, 1)}; });
  const StreamingSupport s = Client(options_for(whole)).probe_streaming();
  EXPECT_FALSE(s.supported);
  EXPECT_NE(s.why_not.find("not an event stream"), std::string::npos) << s.why_not;
  FakeServer refuses([](const json&) { return FakeReply{400, R"({"error":"stream not supported"})"}; });
  const StreamingSupport r = Client(options_for(refuses)).probe_streaming();
  EXPECT_FALSE(r.supported);
  EXPECT_NE(r.why_not.find("HTTP 400"), std::string::npos) << r.why_not;
  FakeServer no_usage([](const json&) {
    FakeReply r;
    r.stream = {{0, chunk(" Paris", "length")}, {0, "data: [DONE]\n\n"}};
    return r;
  });
  EXPECT_FALSE(Client(options_for(no_usage)).probe_streaming().supported);
}

// The error generate() throws when the server streams `pieces`.
util::Error stream_error(std::vector<std::pair<int, std::string>> pieces) {
  FakeServer server([pieces](const json&) {
    FakeReply r;
    r.stream = pieces;
    return r;
  });
  Client client(options_for(server));
  EndpointEvaluator evaluator(client, {});
  evaluator.set_streaming(true);
  util::Error e = error_of([&] { evaluator.generate({{"Q:", {}, 8}, {"R:", {}, 8}}, {}); });
  EXPECT_TRUE(evaluator.take_request_timings().empty());  // nothing of a failed batch
  EXPECT_NE(std::string(e.what()).find("generation request"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("streamed"), std::string::npos) << e.what();
  return e;
}

TEST(Streaming, MalformedStreamsAreBadInput) {
  struct Case {
    std::vector<std::pair<int, std::string>> pieces;
    const char* message;
  };
  const std::vector<Case> cases = {
      {{{0, chunk(" 4")}, {0, "data: {\"choices\": [{\"text\": \"2"}}, "stream line 3"},  // cut inside a line
      {{{0, chunk(" 4")}, {0, "data: {not json}\n\n"}, {0, usage_and_done(3, 2)}},
       "stream line 3 is not a JSON object"},
      {{{0, chunk(" 4")},
        {0, chunk("2", "stop")},
        {0,
         "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,"
         "\"completion_tokens\":2}}\n\n"}},
       "no 'data: [DONE]'"},
      {{{0, chunk(" 4")}, {0, "data: {\"error\": {\"message\": \"out of memory\"}}\n\n"}, {0, usage_and_done(3, 2)}},
       "error in the stream"},
      {{{0, chunk(" 4", "stop")}, {0, "data: [DONE]\n\n"}}, "carries 'usage'"},
      {{{0, chunk(" 4", "stop")}, {0, usage_and_done(3, 9)}}, "more than the 8 asked for"},
      {{{0, "data: {\"choices\": [{\"text\": 4}]}\n\n"}, {0, usage_and_done(3, 1)}},
       "'choices[0].text' is not a string"},
  };
  for (const Case& c : cases) {
    const util::Error e = stream_error(c.pieces);
    EXPECT_EQ(e.kind(), util::ErrorKind::kBadInput) << e.what();
    EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << "want '" << c.message << "' in " << e.what();
  }
}

TEST(Streaming, AConnectionDroppedMidStreamIsUnavailable) {
  FakeServer server([](const json&) {
    FakeReply r;
    r.stream = {{0, chunk(" 4")}, {10, chunk("2")}};
    r.drop_connection = true;
    return r;
  });
  Client client(options_for(server));
  EndpointEvaluator evaluator(client, {});
  evaluator.set_streaming(true);
  const util::Error e = error_of([&] { evaluator.generate({{"Q:", {}, 8}}, {}); });
  EXPECT_TRUE(evaluator.take_request_timings().empty());
  // The chunked body ends without its last chunk: a read failure, as a connection closed early.
  EXPECT_EQ(e.kind(), util::ErrorKind::kUnavailable) << e.what();
  EXPECT_NE(std::string(e.what()).find("Read failed"), std::string::npos) << e.what();
}

TEST(Streaming, AnHttpErrorOfAStreamIsUnavailable) {
  FakeServer server([](const json&) { return FakeReply{503, R"({"error":"overloaded"})"}; });
  Client client(options_for(server));
  EndpointEvaluator evaluator(client, {});
  evaluator.set_streaming(true);
  const util::Error e = error_of([&] { evaluator.generate({{"Q:", {}, 8}}, {}); });
  EXPECT_EQ(e.kind(), util::ErrorKind::kUnavailable);
  EXPECT_NE(std::string(e.what()).find("HTTP 503: '{\"error\":\"overloaded\"}'"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace jouleval::endpoint
