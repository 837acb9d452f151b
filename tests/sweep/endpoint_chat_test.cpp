// The sweep runner with an endpoint's chat API (docs/endpoint.md "Chat completions") against the
// fake server of tests/endpoint: the chat cell and its engine record, that it is another cell than
// the completions cell of the same server, that a malformed chat answer stores nothing but the
// failure, and that loglikelihood tasks are refused before anything is created.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>

#include "../endpoint/fake_server.h"
#include "endpoint_sweep_fixture.h"
#include "energy/monitor.h"
#include "store/store.h"
#include "sweep/runner.h"
#include "util/error.h"

namespace jouleval::sweep {
namespace {

namespace fs = std::filesystem;
using endpoint::testing::chat_completion;
using endpoint::testing::completion;
using endpoint::testing::FakeReply;
using endpoint::testing::FakeServer;
using nlohmann::json;

class EndpointChat : public endpoint_test::EndpointSweepTest {
 protected:
  // GSM8K samples through `server` with `api`, one repetition, no idle baseline or warm-up, no meters.
  SweepConfig config(const FakeServer& server, const std::string& api,
                     tasks::TaskId task = tasks::TaskId::kGsm8k) const {
    SweepConfig c = endpoint_config(server, task, 2, 3);
    c.endpoint->api = api;
    return c;
  }
};

// Answers chat requests (with `messages`) and completions requests (with `prompt`), whole only.
FakeReply either_api(const json& r, std::atomic<int>& chat, std::atomic<int>& completions) {
  if (r.value("stream", false)) return FakeReply{400, R"({"error": "no streaming"})"};
  if (r.contains("messages")) {
    ++chat;
    return FakeReply{200, chat_completion("The answer is 42.", 30, 6)};
  }
  ++completions;
  return FakeReply{200, completion(" The answer is 42.", 20, 6)};
}

TEST_F(EndpointChat, TheChatCellIsAnotherCellThanTheCompletionsCell) {
  std::atomic<int> chat{0}, completions{0};
  FakeServer server([&](const json& r) { return either_api(r, chat, completions); });
  EXPECT_EQ(run(config(server, "chat")).cells_done, 1);
  EXPECT_EQ(chat.load(), 3);
  EXPECT_EQ(completions.load(), 0);
  EXPECT_EQ(run(config(server, "completions")).cells_done, 1) << "not the chat cell resumed";
  EXPECT_EQ(completions.load(), 3);
  EXPECT_EQ(run(config(server, "chat")).cells_done, 0) << "the chat cell is done";
  EXPECT_EQ(chat.load(), 3);

  const auto cells = cells_of(dir_ / "results.db");
  ASSERT_EQ(cells.size(), 2U);
  const results::Cell& c = cells[0];
  const results::Cell& p = cells[1];
  EXPECT_EQ(c.key.engine.endpoint_api, "chat");
  EXPECT_EQ(p.key.engine.endpoint_api, "completions");
  results::CellKey same = p.key;
  same.engine.endpoint_api = "chat";
  EXPECT_EQ(c.key, same) << "only the API differs";
  const json used = json::parse(c.engine_used_json);
  EXPECT_EQ(used.at("api"), "/v1/chat/completions");
  EXPECT_EQ(used.at("chat_template"), "server's (one user turn per request)");
  const json raw = json::parse(p.engine_used_json);
  EXPECT_EQ(raw.at("api"), "/v1/completions");
  EXPECT_EQ(raw.at("chat_template"), "none (raw prompts)");
  ASSERT_EQ(c.repetitions.size(), 1U);
  EXPECT_EQ(c.repetitions[0].prompt_tokens, 3 * 30);  // the chat answers' usage
  EXPECT_EQ(p.repetitions[0].prompt_tokens, 3 * 20);
  EXPECT_EQ(c.items.size(), 3U);
}

TEST_F(EndpointChat, AMalformedChatAnswerStoresOnlyTheFailure) {
  FakeServer server([](const json& r) {
    if (r.value("stream", false)) return FakeReply{400, R"({"error": "no streaming"})"};
    return FakeReply{200, R"({"choices": [{"message": {"role": "assistant"}}], "usage": {"prompt_tokens": 1,
                              "completion_tokens": 1}})"};
  });
  try {
    run(config(server, "chat"));
    FAIL() << "expected an error";
  } catch (const util::Error& e) {
    EXPECT_EQ(e.kind(), util::ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find("no 'choices[0].message.content'"), std::string::npos) << e.what();
  }
  const auto cells = cells_of(dir_ / "results.db");
  ASSERT_EQ(cells.size(), 1U);
  EXPECT_EQ(cells[0].status, results::CellStatus::kFailed);
  EXPECT_TRUE(cells[0].repetitions.empty());
  EXPECT_TRUE(cells[0].items.empty());
}

TEST_F(EndpointChat, LoglikelihoodTasksAreRefusedBeforeAnythingIsCreated) {
  std::atomic<int> requests{0};
  FakeServer server([&](const json&) {
    ++requests;
    return FakeReply{500, "{}"};
  });
  SweepConfig c = config(server, "chat", tasks::TaskId::kHellaswag);
  c.tasks = {tasks::TaskId::kGsm8k, tasks::TaskId::kHellaswag};
  try {
    (void)prepare_sweep(c);
    FAIL() << "expected an error";
  } catch (const util::Error& e) {
    EXPECT_EQ(e.kind(), util::ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("loglikelihood tasks (hellaswag) cannot be scored through the chat API"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("no prompt logprobs"), std::string::npos) << e.what();
  }
  EXPECT_EQ(requests.load(), 0);
  EXPECT_FALSE(fs::exists(c.database));
}

}  // namespace
}  // namespace jouleval::sweep
