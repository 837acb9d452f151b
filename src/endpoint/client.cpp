#include "endpoint/client.h"

#include <fmt/format.h>
#include <httplib.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <regex>

#include "endpoint/response.h"
#include "util/error.h"

namespace jouleval::endpoint {
namespace {

using nlohmann::json;
using util::Error;
using util::ErrorKind;

// At most `n` characters of a response body, control characters shown as spaces.
std::string excerpt(const std::string& body, size_t n = 200) {
  std::string out = body.substr(0, n);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  if (body.size() > n) out += "...";
  return out;
}

struct Reply {
  int status = 0;
  std::string body;
  std::string server_header;
};

// One connection with the timeouts of `options`.
std::unique_ptr<httplib::Client> open_connection(const std::string& base, const EndpointOptions& options) {
  auto client = std::make_unique<httplib::Client>(base);
  const double t = options.request_timeout_seconds;
  const auto sec = static_cast<time_t>(std::floor(t));
  const auto usec = static_cast<time_t>((t - std::floor(t)) * 1e6);
  client->set_connection_timeout(sec, usec);
  client->set_read_timeout(sec, usec);
  client->set_write_timeout(sec, usec);
  client->set_keep_alive(false);
  // A server started with an API key (vLLM --api-key, llama-server --api-key): docs/endpoint.md.
  if (const char* key = std::getenv("JOULEVAL_API_KEY"); key != nullptr && *key != '\0')
    client->set_bearer_token_auth(key);
  return client;
}

// One request; throws kUnavailable when no HTTP answer came (connection refused, timeout, reset).
Reply send(const std::string& base, const EndpointOptions& options, const std::string& method, const std::string& path,
           const std::string& body, const std::string& what) {
  auto client = open_connection(base, options);
  httplib::Result res = method == "GET" ? client->Get(path) : client->Post(path, body, "application/json");
  if (!res) {
    const httplib::Error e = res.error();
    const bool timeout =
        e == httplib::Error::Read || e == httplib::Error::ConnectionTimeout || e == httplib::Error::Write;
    const std::string reason =
        e == httplib::Error::Connection ? "cannot connect (refused or unreachable)" : httplib::to_string(e) + " failed";
    throw Error(fmt::format("endpoint {}: {} {} ({}): {}{}", base, method, path, what, reason,
                            timeout ? fmt::format(" (no complete answer within --request-timeout {} s, or the "
                                                  "connection was closed)",
                                                  options.request_timeout_seconds)
                                    : ""),
                ErrorKind::kUnavailable);
  }
  return Reply{res->status, res->body, res->get_header_value("Server")};
}

json parse_object(const Reply& reply, const std::string& what) {
  json j = json::parse(reply.body, nullptr, false);
  if (j.is_discarded())
    throw Error(fmt::format("{}: the response is not valid JSON (truncated?): '{}'", what, excerpt(reply.body)),
                ErrorKind::kBadInput);
  if (!j.is_object())
    throw Error(fmt::format("{}: the response is {}, not a JSON object", what, j.type_name()), ErrorKind::kBadInput);
  if (j.contains("error"))
    throw Error(fmt::format("{}: the server answered with an error: {}", what, excerpt(j["error"].dump())),
                ErrorKind::kBadInput);
  return j;
}

}  // namespace

Client::Client(EndpointOptions options) : options_(std::move(options)) {
  static const std::regex kUrl(R"(^(https?)://([A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(:([0-9]{1,5}))?(/v1)?/?$)");
  std::smatch m;
  if (!std::regex_match(options_.url, m, kUrl))
    throw Error(fmt::format("--endpoint '{}': not an URL of the form http://HOST[:PORT] (an optional /v1 is ignored)",
                            options_.url),
                ErrorKind::kUsage);
  const std::string port = m[4].matched ? m[4].str() : (m[1] == "https" ? "443" : "80");
  if (std::stoi(port) < 1 || std::stoi(port) > 65535)
    throw Error(fmt::format("--endpoint '{}': port {} is not in 1..65535", options_.url, port), ErrorKind::kUsage);
  host_ = m[2].str() + ":" + port;
  base_ = m[1].str() + "://" + host_;
  if (options_.served_model.empty())
    throw Error("--served-model: give the name of the model the endpoint serves", ErrorKind::kUsage);
  if (options_.concurrency < 1 || options_.concurrency > kMaxConcurrency)
    throw Error(fmt::format("--concurrency {}: must be 1..{}", options_.concurrency, kMaxConcurrency),
                ErrorKind::kUsage);
  if (options_.api != kCompletionsApi && options_.api != kChatApi)
    throw Error(fmt::format("--endpoint-api '{}': use {} or {}", options_.api, kCompletionsApi, kChatApi),
                ErrorKind::kUsage);
  if (!(options_.request_timeout_seconds > 0 && options_.request_timeout_seconds <= 86400))
    throw Error(fmt::format("--request-timeout {}: must be more than 0 and at most 86400 seconds",
                            options_.request_timeout_seconds),
                ErrorKind::kUsage);
}

Client::~Client() = default;

ServerInfo Client::probe_server() {
  const std::string what = fmt::format("endpoint {}: GET /v1/models", base_);
  const Reply reply = send(base_, options_, "GET", "/v1/models", "", "the model list");
  if (reply.status < 200 || reply.status > 299)
    throw Error(fmt::format("{}: HTTP {}: '{}'", what, reply.status, excerpt(reply.body)), ErrorKind::kUnavailable);
  const json list = parse_object(reply, what);
  auto data = list.find("data");
  if (data == list.end() || !data->is_array())
    throw Error(fmt::format("{}: the response has no 'data' array of models", what), ErrorKind::kBadInput);
  ServerInfo info;
  info.host = host_;
  info.server_header = reply.server_header;
  std::string served;
  bool found = false;
  for (const auto& m : *data) {
    if (!m.is_object() || !m.contains("id") || !m["id"].is_string())
      throw Error(fmt::format("{}: a model of 'data' has no string 'id'", what), ErrorKind::kBadInput);
    const std::string id = m["id"].get<std::string>();
    served += (served.empty() ? "" : ", ") + id;
    if (id != options_.served_model) continue;
    found = true;
    if (m.contains("owned_by") && m["owned_by"].is_string()) info.owned_by = m["owned_by"].get<std::string>();
  }
  if (!found)
    throw Error(fmt::format("endpoint {} does not serve model '{}' (--served-model); it serves: {}", base_,
                            options_.served_model, served.empty() ? "no model" : served),
                ErrorKind::kUnavailable);
  auto has = [](const std::string& text, const char* word) {
    std::string lower = text;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower.find(word) != std::string::npos;
  };
  if (has(info.owned_by, "llamacpp") || has(info.server_header, "llama.cpp"))
    info.kind = "llama.cpp";
  else if (has(info.owned_by, "vllm") || has(info.server_header, "vllm"))
    info.kind = "vLLM";
  else
    info.kind = "openai-compatible";
  return info;
}

LoglikelihoodSupport Client::probe_loglikelihood() {
  const std::string context = "The capital of France is";
  const std::string prompt = context + " Paris";
  LoglikelihoodSupport support;
  std::string why;
  for (int max_tokens : {0, 1}) {
    const std::string what =
        fmt::format("endpoint {}: POST /v1/completions (loglikelihood probe, max_tokens {})", base_, max_tokens);
    json body = {{"model", options_.served_model},
                 {"prompt", prompt},
                 {"max_tokens", max_tokens},
                 {"echo", true},
                 {"logprobs", 1},
                 {"temperature", 0}};
    const Reply reply = send(base_, options_, "POST", "/v1/completions", body.dump(), "loglikelihood probe");
    try {
      if (reply.status < 200 || reply.status > 299)
        throw Error(fmt::format("HTTP {}: '{}'", reply.status, excerpt(reply.body)), ErrorKind::kUnavailable);
      read_echo_scoring(parse_object(reply, what), code_points(prompt), code_points(context), what);
      support.supported = true;
      support.max_tokens = max_tokens;
      return support;
    } catch (const Error& e) {
      why += fmt::format("{}max_tokens {}: {}", why.empty() ? "" : "; ", max_tokens, e.what());
    }
  }
  support.why_not = why;
  return support;
}

json Client::post(const char* path, json body, const std::string& what) const {
  body["model"] = options_.served_model;
  const std::string where = fmt::format("endpoint {}: POST {} ({})", base_, path, what);
  const Reply reply = send(base_, options_, "POST", path, body.dump(), what);
  if (reply.status < 200 || reply.status > 299)
    throw Error(fmt::format("{}: HTTP {}: '{}'", where, reply.status, excerpt(reply.body)), ErrorKind::kUnavailable);
  return parse_object(reply, where);
}

StreamedResponse Client::stream(const char* path, json body, const std::string& what) const {
  body["model"] = options_.served_model;
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  const std::string where = fmt::format("endpoint {}: POST {} ({}, streamed)", base_, path, what);
  auto connection = open_connection(base_, options_);
  StreamedResponse out;
  std::string raw;      // the whole body, for an HTTP error's excerpt
  std::string pending;  // the part of the last line received so far
  const auto start = std::chrono::steady_clock::now();
  auto since_start = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.body = body.dump();
  req.set_header("Content-Type", "application/json");
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    const double t = since_start();
    if (raw.size() < 4096) raw.append(data, std::min<size_t>(n, 4096 - raw.size()));
    pending.append(data, n);
    size_t begin = 0;
    for (size_t end; (end = pending.find('\n', begin)) != std::string::npos; begin = end + 1) {
      std::string line = pending.substr(begin, end - begin);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      out.lines.push_back({t, std::move(line), true});
    }
    pending.erase(0, begin);
    return true;
  };
  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  const bool answered = connection->send(req, res, error);
  out.end_seconds = since_start();
  if (!answered) {
    const std::string reason = error == httplib::Error::Connection ? "cannot connect (refused or unreachable)"
                                                                   : httplib::to_string(error) + " failed";
    throw Error(fmt::format("{}: {} (no complete answer within --request-timeout {} s, or the connection was closed)",
                            where, reason, options_.request_timeout_seconds),
                ErrorKind::kUnavailable);
  }
  if (res.status < 200 || res.status > 299)
    throw Error(fmt::format("{}: HTTP {}: '{}'", where, res.status, excerpt(raw)), ErrorKind::kUnavailable);
  if (!pending.empty()) out.lines.push_back({out.end_seconds, pending, false});
  return out;
}

json Client::completions(json body, const std::string& what) const {
  return post("/v1/completions", std::move(body), what);
}

StreamedResponse Client::stream_completions(json body, const std::string& what) const {
  return stream("/v1/completions", std::move(body), what);
}

json Client::generation(json body, const std::string& what) const {
  return post(generation_path(), std::move(body), what);
}

StreamedResponse Client::stream_generation(json body, const std::string& what) const {
  return stream(generation_path(), std::move(body), what);
}

json Client::generation_body(const std::string& prompt, int max_tokens, const std::vector<std::string>& stop) const {
  json body = {{"max_tokens", max_tokens}, {"temperature", 0}};
  if (chat())
    body["messages"] = json::array({{{"role", "user"}, {"content", prompt}}});
  else
    body["prompt"] = prompt;
  if (!stop.empty()) body["stop"] = stop;
  return body;
}

StreamingSupport Client::probe_streaming() {
  StreamingSupport support;
  const std::string what = "streaming probe";
  try {
    const StreamedResponse r = stream_generation(generation_body("The capital of France is", 1, {}), what);
    (void)read_stream(r, {}, 1, fmt::format("endpoint {}: POST {} ({})", base_, generation_path(), what), chat());
    support.supported = true;
  } catch (const Error& e) {
    if (std::string(e.what()).find("cannot connect") != std::string::npos) throw;
    support.why_not = e.what();
  }
  return support;
}

}  // namespace jouleval::endpoint
