// A client of an OpenAI-compatible completions API (llama-server, vLLM, ...): the server's identity
// and capabilities, probed up front, and one POST of /v1/completions (or, for generation with the
// chat API, /v1/chat/completions) with its response checked.
// docs/endpoint.md describes what is sent, what is required of a response and the exit codes.
//
// Every request carries `Authorization: Bearer $JOULEVAL_API_KEY` when that variable is set.
//
// Thread safety: probe_server, probe_loglikelihood and probe_streaming are not; completions(),
// stream_completions(), generation() and stream_generation() may be called from several threads at once (each call uses
// its own connection).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace jouleval::endpoint {

struct EndpointOptions {
  std::string url;                       // http://host:port (a trailing /v1 or / is ignored)
  std::string served_model;              // the "model" of every request
  int concurrency = 8;                   // requests in flight at once, 1..kMaxConcurrency
  double request_timeout_seconds = 600;  // per request (connect, send, each read), > 0
  // The API of generation requests (docs/endpoint.md "Chat completions"): kCompletionsApi (raw
  // prompts to /v1/completions) or kChatApi (one user turn to /v1/chat/completions, the server's
  // chat template). Loglikelihood requests always use /v1/completions.
  std::string api = "completions";
};

inline constexpr const char* kCompletionsApi = "completions";
inline constexpr const char* kChatApi = "chat";

inline constexpr int kMaxConcurrency = 1024;
// The highest Poisson arrival rate (requests per second) of --arrival-rate (docs/endpoint.md "Load
// levels").
inline constexpr double kMaxArrivalRate = 10000;

// What the server says about itself.
struct ServerInfo {
  std::string host;           // host:port of the URL
  std::string kind;           // "llama.cpp", "vLLM", ... or "openai-compatible" when it cannot be told
  std::string owned_by;       // owned_by of the served model in /v1/models ("" when absent)
  std::string server_header;  // the HTTP `Server` header ("" when absent)
};

// How loglikelihood requests are scored, found by probe_loglikelihood.
struct LoglikelihoodSupport {
  bool supported = false;
  int max_tokens = 0;   // 0, or 1 when the server refuses 0 (the generated token is then ignored)
  std::string why_not;  // when !supported: what the probe got
};

// Whether generation requests are streamed (docs/endpoint.md "Latency under load"), found by
// probe_streaming.
struct StreamingSupport {
  bool supported = false;
  std::string why_not;  // when !supported: what the probe got
};

// One line of a streamed response body (server-sent events), with the time it arrived.
struct StreamLine {
  double seconds = 0;    // since the request was sent
  std::string text;      // without the line end
  bool complete = true;  // false for a last line the stream ended inside (truncated)
};

// A streamed response: its lines in order and when the body ended.
struct StreamedResponse {
  std::vector<StreamLine> lines;
  double end_seconds = 0;  // since the request was sent
};

class Client {
 public:
  // Throws util::Error (kUsage) for a URL that is not http(s)://host[:port][/v1], an empty model name,
  // an api other than kCompletionsApi and kChatApi, or options out of range.
  explicit Client(EndpointOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const EndpointOptions& options() const { return options_; }
  // "http://host:port" without a trailing slash.
  const std::string& base_url() const { return base_; }
  // "host:port" of the URL (the port filled in: 80 for http, 443 for https).
  const std::string& host() const { return host_; }
  // Whether generation requests go to the chat API (options().api is kChatApi).
  bool chat() const { return options_.api == kChatApi; }
  // The path of generation requests: "/v1/chat/completions" with the chat API, else "/v1/completions".
  const char* generation_path() const { return chat() ? "/v1/chat/completions" : "/v1/completions"; }
  // The body of one greedy generation request (its "model" is set when sent): `prompt`, or with the
  // chat API `messages` of one user turn whose content is `prompt`; `max_tokens`, "temperature": 0
  // and `stop` when not empty.
  nlohmann::json generation_body(const std::string& prompt, int max_tokens, const std::vector<std::string>& stop) const;

  // GET /v1/models. Throws util::Error: kUnavailable when the server cannot be reached, answers
  // with an HTTP error or does not serve options().served_model (naming the models it serves);
  // kBadInput when the answer is not the JSON of a model list.
  ServerInfo probe_server();

  // One scoring request with echo (docs/endpoint.md "Loglikelihood"): supported when the response
  // carries the prompt's token logprobs. Throws util::Error (kUnavailable) only when the server
  // cannot be reached.
  LoglikelihoodSupport probe_loglikelihood();

  // POST /v1/completions with `body` (its "model" is set here). `what` names the request in
  // messages ("request 12 of gsm8k"). Returns the parsed JSON object. Throws util::Error:
  // kUnavailable for a connection failure, a timeout or an HTTP error status (with a body excerpt);
  // kBadInput for a body that is not a JSON object or carries an "error" member. Every message
  // names the endpoint and `what`.
  nlohmann::json completions(nlohmann::json body, const std::string& what) const;

  // POST /v1/completions with `body` and "stream": true, "stream_options": {"include_usage": true}
  // (its "model" is set here); the body is read as it arrives and split into lines, each stamped
  // with its arrival time. Throws util::Error (kUnavailable) as completions() for a connection
  // failure, a timeout or an HTTP error status. The lines are checked by read_stream (response.h).
  StreamedResponse stream_completions(nlohmann::json body, const std::string& what) const;

  // As completions() and stream_completions(), to generation_path() (the chat API's path with it).
  nlohmann::json generation(nlohmann::json body, const std::string& what) const;
  StreamedResponse stream_generation(nlohmann::json body, const std::string& what) const;

  // One streamed generation request of one token (to generation_path()): supported when the answer is a well-formed
  // event stream that ends with data: [DONE] and carries `usage`. Throws util::Error (kUnavailable) only when the
  // server cannot be reached.
  StreamingSupport probe_streaming();

 private:
  nlohmann::json post(const char* path, nlohmann::json body, const std::string& what) const;
  StreamedResponse stream(const char* path, nlohmann::json body, const std::string& what) const;

  EndpointOptions options_;
  std::string base_;
  std::string host_;
};

}  // namespace jouleval::endpoint
