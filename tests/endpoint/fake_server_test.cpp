// The endpoint client and evaluator against a fake OpenAI-compatible server (fake_server.h) in the
// test process: server probing, loglikelihood capability detection, generation and echo scoring
// with known answers, bounded concurrency, and each failure class (unreachable, timeout, HTTP
// error, truncated JSON, wrong token counts) as a util::Error of the documented kind.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <sstream>
#include <thread>

#include "endpoint/client.h"
#include "endpoint/evaluator.h"
#include "fake_server.h"
#include "util/error.h"

namespace jouleval::endpoint {
namespace {

using nlohmann::json;
using testing::completion;
using testing::FakeReply;
using testing::FakeServer;

EndpointOptions options_for(const FakeServer& server, int concurrency = 4, double timeout = 10) {
  return EndpointOptions{server.url(), "fake-model", concurrency, timeout};
}

// The util::Error `f` throws (a failure when none).
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

// Echo scoring as a fake server would: one token per word (with its leading space), the logprob of
// a token -0.1 per character, greedy always; the first token has no logprob.
FakeReply echo(const json& request) {
  const std::string prompt = request.at("prompt").get<std::string>();
  json tokens = json::array(), offsets = json::array(), logprobs = json::array(), top = json::array();
  size_t start = 0;
  while (start < prompt.size()) {
    size_t end = prompt.find(' ', start + 1);
    if (end == std::string::npos) end = prompt.size();
    const std::string token = prompt.substr(start, end - start);
    const double lp = -0.1 * static_cast<double>(token.size());
    tokens.push_back(token);
    offsets.push_back(start);
    logprobs.push_back(start == 0 ? json(nullptr) : json(lp));
    top.push_back(start == 0 ? json(nullptr) : json{{token, lp}});
    start = end;
  }
  const int64_t n = static_cast<int64_t>(tokens.size());
  return {
      200,
      json{{"choices",
            {{{"text", prompt},
              {"logprobs",
               {{"tokens", tokens}, {"text_offset", offsets}, {"token_logprobs", logprobs}, {"top_logprobs", top}}}}}},
           {"usage", {{"prompt_tokens", n}, {"completion_tokens", 0}, {"total_tokens", n}}}}
          .dump()};
}

TEST(Client, RefusesBadUrlsAndRanges) {
  for (const char* url : {"ftp://h:1", "http://", "127.0.0.1:8080", "http://h:99999", "http://h:80/v2"}) {
    const util::Error e = error_of([&] { Client c(EndpointOptions{url, "m", 1, 1}); });
    EXPECT_EQ(e.kind(), util::ErrorKind::kUsage) << url;
    EXPECT_NE(std::string(e.what()).find("--endpoint"), std::string::npos) << e.what();
  }
  EXPECT_EQ(error_of([] { Client c(EndpointOptions{"http://h:1", "m", 0, 1}); }).kind(), util::ErrorKind::kUsage);
  EXPECT_EQ(error_of([] { Client c(EndpointOptions{"http://h:1", "m", 1, 0}); }).kind(), util::ErrorKind::kUsage);
  EXPECT_EQ(error_of([] { Client c(EndpointOptions{"http://h:1", "", 1, 1}); }).kind(), util::ErrorKind::kUsage);
  Client c(EndpointOptions{"http://localhost:8000/v1/", "m", 1, 1});
  EXPECT_EQ(c.base_url(), "http://localhost:8000");
  EXPECT_EQ(Client(EndpointOptions{"http://h", "m", 1, 1}).host(), "h:80");
}

TEST(Client, ProbeTellsTheServerKindAndRefusesAModelItDoesNotServe) {
  FakeServer server(echo, "fake-model", "vllm");
  Client client(options_for(server));
  const ServerInfo info = client.probe_server();
  EXPECT_EQ(info.kind, "vLLM");
  EXPECT_EQ(info.host, "127.0.0.1:" + std::to_string(server.port()));

  Client other(EndpointOptions{server.url(), "another", 1, 10});
  const util::Error e = error_of([&] { other.probe_server(); });
  EXPECT_EQ(e.kind(), util::ErrorKind::kUnavailable);
  EXPECT_NE(std::string(e.what()).find("does not serve model 'another' (--served-model); it serves: fake-model"),
            std::string::npos)
      << e.what();
}

TEST(Client, AnUnreachableServerIsUnavailable) {
  int port = 0;
  {
    FakeServer gone(echo);
    port = gone.port();
  }  // stopped: nothing listens on its port now
  Client client(EndpointOptions{"http://127.0.0.1:" + std::to_string(port), "fake-model", 1, 5});
  const util::Error e = error_of([&] { client.probe_server(); });
  EXPECT_EQ(e.kind(), util::ErrorKind::kUnavailable);
  EXPECT_NE(std::string(e.what()).find("endpoint http://127.0.0.1:" + std::to_string(port) + ": GET /v1/models"),
            std::string::npos)
      << e.what();
}

TEST(Client, DetectsEchoScoringWithMaxTokensZeroOrOne) {
  FakeServer zero(echo);
  const LoglikelihoodSupport z = Client(options_for(zero)).probe_loglikelihood();
  EXPECT_TRUE(z.supported);
  EXPECT_EQ(z.max_tokens, 0);

  // Refuses max_tokens 0, scores with 1 (adding the generated token).
  FakeServer one([](const json& r) {
    if (r.at("max_tokens") == 0) return FakeReply{400, R"({"error": {"message": "max_tokens must be at least 1"}})"};
    FakeReply reply = echo(r);
    json j = json::parse(reply.body);
    auto& lp = j["choices"][0]["logprobs"];
    const std::string prompt = r.at("prompt");
    lp["tokens"].push_back(" !");
    lp["text_offset"].push_back(prompt.size());
    lp["token_logprobs"].push_back(-2.0);
    lp["top_logprobs"].push_back({{" !", -2.0}});
    j["usage"]["completion_tokens"] = 1;
    j["usage"]["total_tokens"] = j["usage"]["prompt_tokens"].get<int>() + 1;
    return FakeReply{200, j.dump()};
  });
  const LoglikelihoodSupport o = Client(options_for(one)).probe_loglikelihood();
  EXPECT_TRUE(o.supported);
  EXPECT_EQ(o.max_tokens, 1);

  // Ignores echo: no logprobs of the prompt.
  FakeServer none([](const json&) { return FakeReply{200, completion("", 6, 0)}; });
  const LoglikelihoodSupport n = Client(options_for(none)).probe_loglikelihood();
  EXPECT_FALSE(n.supported);
  EXPECT_NE(n.why_not.find("no 'choices[0].logprobs'"), std::string::npos) << n.why_not;
}

TEST(Evaluator, ScoresLoglikelihoodRequestsFromTheEchoedLogprobs) {
  FakeServer server(echo);
  Client client(options_for(server));
  EndpointEvaluator evaluator(client, client.probe_loglikelihood());
  // "Paris is in France": continuation " France" (7 characters) = -0.7. "A b " + "cd": the context's
  // trailing space moves onto the continuation, " cd" = -0.3.
  const auto r = evaluator.loglikelihood({{"Paris is in", " France", ""}, {"A b ", "cd", ""}}, {});
  ASSERT_EQ(r.size(), 2U);
  EXPECT_NEAR(r[0].logprob, -0.7, 1e-12);
  EXPECT_EQ(r[0].n_tokens, 1);
  EXPECT_TRUE(r[0].is_greedy);
  EXPECT_NEAR(r[1].logprob, -0.3, 1e-12);
  const engine::WorkCounters work = evaluator.counters();
  EXPECT_EQ(work.prompt_tokens_evaluated, 4 + 3);  // usage.prompt_tokens of both
  EXPECT_EQ(work.decode_calls, 2);
}

TEST(Evaluator, RefusesLoglikelihoodWhenTheServerCannotScore) {
  FakeServer server(echo);
  Client client(options_for(server));
  EndpointEvaluator evaluator(client, LoglikelihoodSupport{false, 0, "no logprobs"});
  evaluator.set_task("hellaswag");
  const util::Error e = error_of([&] { evaluator.loglikelihood({{"a", " b", ""}}, {}); });
  EXPECT_EQ(e.kind(), util::ErrorKind::kUnavailable);
  EXPECT_NE(std::string(e.what()).find("cannot score loglikelihood tasks (hellaswag)"), std::string::npos) << e.what();
}

TEST(Evaluator, GeneratesInRequestOrderWithBoundedConcurrency) {
  testing::InFlight in_flight(3);
  FakeServer server([&](const json& r) {
    in_flight.arrive();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    in_flight.leave();
    EXPECT_EQ(r.at("temperature"), 0);
    EXPECT_EQ(r.at("model"), "fake-model");
    const std::string prompt = r.at("prompt");
    return FakeReply{200, completion("echo of " + prompt + " STOP more", static_cast<int64_t>(prompt.size()), 3)};
  });
  Client client(options_for(server, 3));
  EndpointEvaluator evaluator(client, {});
  std::vector<engine::GenerationRequest> requests;
  int64_t prompt_chars = 0;
  for (int i = 0; i < 12; ++i) {
    requests.push_back({fmt::format("p{}", i), {" STOP"}, 8});
    prompt_chars += static_cast<int64_t>(requests.back().prompt.size());
  }
  int64_t last_done = 0;
  const auto out = evaluator.generate(requests, [&](int64_t done, int64_t total) {
    EXPECT_EQ(total, 12);
    EXPECT_EQ(done, last_done + 1);
    last_done = done;
  });
  ASSERT_EQ(out.size(), 12U);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(out[static_cast<size_t>(i)].text, fmt::format("echo of p{}", i));
  EXPECT_EQ(last_done, 12);
  EXPECT_EQ(in_flight.most(), 3) << "requests in flight at once";
  EXPECT_EQ(evaluator.counters().prompt_tokens_evaluated, prompt_chars);
  EXPECT_EQ(evaluator.counters().tokens_generated, 12 * 3);
}

// Each failure class of a generation request, as the error the evaluator throws.
util::Error generation_error(const FakeServer::Handler& handler, double timeout = 10) {
  FakeServer server(handler);
  Client client(options_for(server, 2, timeout));
  EndpointEvaluator evaluator(client, {});
  evaluator.set_task("gsm8k");
  return error_of([&] { evaluator.generate({{"a", {}, 4}, {"b", {}, 4}, {"c", {}, 4}}, {}); });
}

TEST(Evaluator, AnHttpErrorNamesTheStatusTheBodyAndTheRequest) {
  const util::Error e = generation_error([](const json& r) {
    if (r.at("prompt") == "b") return FakeReply{503, "server overloaded, try later"};
    return FakeReply{200, completion("x", 1, 1)};
  });
  EXPECT_EQ(e.kind(), util::ErrorKind::kUnavailable);
  const std::string m = e.what();
  EXPECT_NE(m.find("POST /v1/completions (generation request 2 of 3 of gsm8k): HTTP 503: 'server overloaded, try "
                   "later'"),
            std::string::npos)
      << m;
}

TEST(Evaluator, ATimeoutIsUnavailable) {
  const auto start = std::chrono::steady_clock::now();
  const util::Error e = generation_error(
      [](const json&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        return FakeReply{200, completion("late", 1, 1)};
      },
      0.3);
  EXPECT_EQ(e.kind(), util::ErrorKind::kUnavailable);
  EXPECT_NE(std::string(e.what()).find("--request-timeout 0.3 s"), std::string::npos) << e.what();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 10.0);
}

TEST(Evaluator, TruncatedJsonIsBadInput) {
  const util::Error e = generation_error([](const json&) {
    const std::string whole = completion("x", 1, 1);
    return FakeReply{200, whole.substr(0, whole.size() / 2)};
  });
  EXPECT_EQ(e.kind(), util::ErrorKind::kBadInput);
  EXPECT_NE(std::string(e.what()).find("the response is not valid JSON (truncated?)"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("generation request"), std::string::npos) << e.what();
}

TEST(Evaluator, WrongTokenCountsAreBadInput) {
  const util::Error e = generation_error([](const json&) {
    json j = json::parse(completion("x", 5, 2));
    j["usage"]["total_tokens"] = 99;
    return FakeReply{200, j.dump()};
  });
  EXPECT_EQ(e.kind(), util::ErrorKind::kBadInput);
  EXPECT_NE(std::string(e.what()).find("wrong token counts"), std::string::npos) << e.what();
}

TEST(Client, SendsTheApiKeyOfTheEnvironment) {
  FakeServer server([](const json&) { return FakeReply{200, completion("x", 1, 1)}; });
  Client client(options_for(server));
  ::unsetenv("JOULEVAL_API_KEY");
  client.completions({{"prompt", "a"}, {"max_tokens", 1}}, "req");
  EXPECT_EQ(server.authorization(), "");
  ::setenv("JOULEVAL_API_KEY", "sk-test-123", 1);
  client.completions({{"prompt", "a"}, {"max_tokens", 1}}, "req");
  ::unsetenv("JOULEVAL_API_KEY");
  EXPECT_EQ(server.authorization(), "Bearer sk-test-123");
}

TEST(Evaluator, AnErrorObjectIsBadInput) {
  const util::Error e = generation_error([](const json&) { return FakeReply{200, R"({"error": "model crashed"})"}; });
  EXPECT_EQ(e.kind(), util::ErrorKind::kBadInput);
  EXPECT_NE(std::string(e.what()).find("the server answered with an error: \"model crashed\""), std::string::npos)
      << e.what();
}

}  // namespace
}  // namespace jouleval::endpoint
