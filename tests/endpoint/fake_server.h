// A fake OpenAI-compatible server for the endpoint tests: cpp-httplib's server inside the test
// process on 127.0.0.1 at an ephemeral port, answering /v1/models with one model and
// /v1/completions and /v1/chat/completions with whatever the test's handler returns (last_path()
// tells which was asked).
#pragma once

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace jouleval::endpoint::testing {

struct FakeReply {
  FakeReply() = default;
  FakeReply(int status_code, std::string text) : status(status_code), body(std::move(text)) {}
  int status = 200;
  std::string body;
  // When not empty: the body is sent as an event stream instead, piece by piece, each after
  // sleeping its milliseconds (a server that streams its tokens).
  std::vector<std::pair<int, std::string>> stream;
  // With `stream`: the connection is dropped after the pieces instead of ending the body.
  bool drop_connection = false;
};

class FakeServer {
 public:
  using Handler = std::function<FakeReply(const nlohmann::json& request)>;

  explicit FakeServer(Handler completions, std::string model = "fake-model", std::string owned_by = "llamacpp")
      : completions_(std::move(completions)) {
    server_.Get("/v1/models", [model, owned_by](const httplib::Request&, httplib::Response& res) {
      const nlohmann::json list = {{"object", "list"},
                                   {"data", {{{"id", model}, {"object", "model"}, {"owned_by", owned_by}}}}};
      res.set_content(list.dump(), "application/json");
    });
    auto answer = [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        authorization_ = req.get_header_value("Authorization");
        last_path_ = req.path;
      }
      const FakeReply reply = completions_(nlohmann::json::parse(req.body));
      res.status = reply.status;
      if (reply.stream.empty()) {
        res.set_content(reply.body, "application/json");
        return;
      }
      auto pieces = std::make_shared<std::vector<std::pair<int, std::string>>>(reply.stream);
      const bool drop = reply.drop_connection;
      res.set_chunked_content_provider("text/event-stream", [pieces, drop](size_t, httplib::DataSink& sink) {
        for (const auto& [delay_ms, piece] : *pieces) {
          std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
          if (!sink.write(piece.data(), piece.size())) return false;
        }
        if (drop) return false;  // cpp-httplib closes the connection without the last chunk
        sink.done();
        return true;
      });
    };
    server_.Post("/v1/completions", answer);
    server_.Post("/v1/chat/completions", answer);
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("fake server: cannot bind 127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeServer() {
    server_.stop();
    thread_.join();
  }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  int port() const { return port_; }
  // The Authorization header of the last completions request ("" when none).
  std::string authorization() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return authorization_;
  }
  // The path of the last completions request ("/v1/completions" or "/v1/chat/completions").
  std::string last_path() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_path_;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  Handler completions_;
  mutable std::mutex mutex_;
  std::string authorization_;
  std::string last_path_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// Counts the requests in flight at once. A request calls arrive() when it starts and leave() when it
// ends; arrive() waits (at most 5 s) until `expected` requests have been in flight together, so
// that the count does not depend on how the threads happen to be scheduled.
class InFlight {
 public:
  explicit InFlight(int expected) : expected_(expected) {}
  void arrive() {
    std::unique_lock<std::mutex> lock(mutex_);
    most_ = std::max(most_, ++now_);
    changed_.notify_all();
    changed_.wait_for(lock, std::chrono::seconds(5), [&] { return most_ >= expected_; });
  }
  void leave() {
    std::lock_guard<std::mutex> lock(mutex_);
    --now_;
  }
  int most() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return most_;
  }

 private:
  const int expected_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int now_ = 0;
  int most_ = 0;
};

// A whole OpenAI completion response of one choice.
inline std::string completion(const std::string& text, int64_t prompt_tokens, int64_t completion_tokens,
                              const std::string& finish_reason = "stop") {
  return nlohmann::json{{"object", "text_completion"},
                        {"choices", {{{"index", 0}, {"text", text}, {"finish_reason", finish_reason}}}},
                        {"usage",
                         {{"prompt_tokens", prompt_tokens},
                          {"completion_tokens", completion_tokens},
                          {"total_tokens", prompt_tokens + completion_tokens}}}}
      .dump();
}

// One event-stream line carrying a completion chunk of `text` ("data: {...}\n\n").
inline std::string chunk(const std::string& text, const char* finish_reason = nullptr) {
  nlohmann::json c = {{"object", "text_completion"},
                      {"choices", {{{"index", 0}, {"text", text}, {"finish_reason", nullptr}}}}};
  if (finish_reason != nullptr) c["choices"][0]["finish_reason"] = finish_reason;
  return "data: " + c.dump() + "\n\n";
}
// The final usage chunk and the end of the stream.
inline std::string usage_and_done(int64_t prompt_tokens, int64_t completion_tokens) {
  const nlohmann::json c = {{"object", "text_completion"},
                            {"choices", nlohmann::json::array()},
                            {"usage",
                             {{"prompt_tokens", prompt_tokens},
                              {"completion_tokens", completion_tokens},
                              {"total_tokens", prompt_tokens + completion_tokens}}}};
  return "data: " + c.dump() + "\n\ndata: [DONE]\n\n";
}

// A whole OpenAI chat completion response of one choice whose message content is `content`.
inline std::string chat_completion(const nlohmann::json& content, int64_t prompt_tokens, int64_t completion_tokens,
                                   const std::string& finish_reason = "stop") {
  return nlohmann::json{
      {"object", "chat.completion"},
      {"choices",
       {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", finish_reason}}}},
      {"usage",
       {{"prompt_tokens", prompt_tokens},
        {"completion_tokens", completion_tokens},
        {"total_tokens", prompt_tokens + completion_tokens}}}}
      .dump();
}

// One event-stream line carrying a chat chunk whose delta is `delta` ("data: {...}\n\n").
inline std::string chat_chunk(const nlohmann::json& delta, const char* finish_reason = nullptr) {
  nlohmann::json c = {{"object", "chat.completion.chunk"},
                      {"choices", {{{"index", 0}, {"delta", delta}, {"finish_reason", nullptr}}}}};
  if (finish_reason != nullptr) c["choices"][0]["finish_reason"] = finish_reason;
  return "data: " + c.dump() + "\n\n";
}

}  // namespace jouleval::endpoint::testing
