#include "endpoint/response.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "util/error.h"

namespace jouleval::endpoint {
namespace {

using nlohmann::json;
using util::Error;
using util::ErrorKind;

[[noreturn]] void bad(const std::string& what, const std::string& message) {
  throw Error(fmt::format("{}: {}", what, message), ErrorKind::kBadInput);
}

const json& member(const json& object, const char* key, const std::string& where, const std::string& what) {
  if (!object.is_object()) bad(what, fmt::format("'{}' is not an object", where));
  auto it = object.find(key);
  if (it == object.end()) bad(what, fmt::format("the response has no '{}{}'", where.empty() ? "" : where + ".", key));
  return *it;
}

int64_t count(const json& usage, const char* key, const std::string& what) {
  const json& v = member(usage, key, "usage", what);
  if (!v.is_number_integer() || v.get<int64_t>() < 0)
    bad(what, fmt::format("'usage.{}' is {}, not a count", key, v.dump()));
  return v.get<int64_t>();
}

const json& only_choice(const json& response, const std::string& what) {
  const json& choices = member(response, "choices", "", what);
  if (!choices.is_array() || choices.size() != 1)
    bad(what, fmt::format("'choices' must be an array of one choice, got {}",
                          choices.is_array() ? fmt::format("{} choices", choices.size()) : choices.type_name()));
  if (!choices[0].is_object()) bad(what, "'choices[0]' is not an object");
  return choices[0];
}

}  // namespace

size_t code_points(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

Usage read_usage(const json& response, const std::string& what) {
  const json& usage = member(response, "usage", "", what);
  Usage u;
  u.prompt_tokens = count(usage, "prompt_tokens", what);
  u.completion_tokens = count(usage, "completion_tokens", what);
  if (usage.is_object() && usage.contains("total_tokens")) {
    const int64_t total = count(usage, "total_tokens", what);
    if (total != u.prompt_tokens + u.completion_tokens)
      bad(what, fmt::format("wrong token counts: usage.total_tokens {} is not prompt_tokens {} + completion_tokens {}",
                            total, u.prompt_tokens, u.completion_tokens));
  }
  return u;
}

engine::GenerationResult read_generation(const json& response, const std::vector<std::string>& stop, int max_tokens,
                                         const std::string& what) {
  const json& choice = only_choice(response, what);
  const json& text = member(choice, "text", "choices[0]", what);
  if (!text.is_string()) bad(what, fmt::format("'choices[0].text' is {}, not a string", text.type_name()));
  const Usage usage = read_usage(response, what);
  if (usage.completion_tokens > max_tokens)
    bad(what, fmt::format("wrong token counts: usage.completion_tokens {} is more than the {} asked for",
                          usage.completion_tokens, max_tokens));
  engine::GenerationResult r;
  r.text = text.get<std::string>();
  size_t cut = std::string::npos;
  for (const auto& s : stop)
    if (!s.empty()) cut = std::min(cut, r.text.find(s));
  if (cut != std::string::npos) r.text.resize(cut);
  auto reason = choice.find("finish_reason");
  const bool length = reason != choice.end() && reason->is_string() && reason->get<std::string>() == "length";
  r.stop_reason = length ? engine::StopReason::kMaxTokens : engine::StopReason::kStopString;
  r.n_prompt_tokens = static_cast<int32_t>(std::min<int64_t>(usage.prompt_tokens, std::numeric_limits<int32_t>::max()));
  r.n_generated_tokens = static_cast<int32_t>(usage.completion_tokens);
  return r;
}

engine::GenerationResult read_chat_generation(const json& response, const std::vector<std::string>& stop,
                                              int max_tokens, const std::string& what) {
  const json& choice = only_choice(response, what);
  const json& message = member(choice, "message", "choices[0]", what);
  if (!message.is_object()) bad(what, fmt::format("'choices[0].message' is {}, not an object", message.type_name()));
  const json& content = member(message, "content", "choices[0].message", what);
  if (!content.is_string())
    bad(what, fmt::format("'choices[0].message.content' is {}, not a string", content.type_name()));
  json whole = {{"choices", {{{"text", content}, {"finish_reason", choice.value("finish_reason", json())}}}}};
  if (response.contains("usage")) whole["usage"] = response["usage"];
  return read_generation(whole, stop, max_tokens, what);
}

engine::LoglikelihoodResult read_echo_scoring(const json& response, size_t prompt_chars, size_t context_chars,
                                              const std::string& what) {
  const json& choice = only_choice(response, what);
  const json& logprobs = member(choice, "logprobs", "choices[0]", what);
  if (!logprobs.is_object())
    bad(what, fmt::format("'choices[0].logprobs' is {}: the server returned no logprobs", logprobs.type_name()));
  const std::string where = "choices[0].logprobs";
  const json& tokens = member(logprobs, "tokens", where, what);
  const json& token_logprobs = member(logprobs, "token_logprobs", where, what);
  const json& offsets = member(logprobs, "text_offset", where, what);
  const json& top = member(logprobs, "top_logprobs", where, what);
  for (const auto& [name, array] : {std::pair<const char*, const json*>{"tokens", &tokens},
                                    {"token_logprobs", &token_logprobs},
                                    {"text_offset", &offsets},
                                    {"top_logprobs", &top}}) {
    if (!array->is_array()) bad(what, fmt::format("'{}.{}' is {}, not an array", where, name, array->type_name()));
    if (array->size() != tokens.size())
      bad(what, fmt::format("'{}.{}' has {} entries but 'tokens' has {}", where, name, array->size(), tokens.size()));
  }
  const Usage usage = read_usage(response, what);
  if (static_cast<int64_t>(tokens.size()) != usage.prompt_tokens + usage.completion_tokens)
    bad(what, fmt::format("wrong token counts: {} echoed tokens, but usage says {} prompt + {} completion tokens",
                          tokens.size(), usage.prompt_tokens, usage.completion_tokens));

  engine::LoglikelihoodResult r;
  int64_t previous_offset = -1;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const json& off = offsets[i];
    if (!off.is_number_integer() || off.get<int64_t>() < previous_offset)
      bad(what,
          fmt::format("'{}.text_offset[{}]' is {}, not an offset at or after the previous one", where, i, off.dump()));
    previous_offset = off.get<int64_t>();
    const auto offset = static_cast<size_t>(previous_offset);
    if (offset >= prompt_chars) break;  // a generated token (max_tokens 1)
    if (offset < context_chars) continue;
    const json& lp = token_logprobs[i];
    if (!lp.is_number())
      bad(what, fmt::format("'{}.token_logprobs[{}]' (a continuation token) is {}, not a number", where, i, lp.dump()));
    const double value = lp.get<double>();
    if (!(value <= 0.0))
      bad(what, fmt::format("'{}.token_logprobs[{}]' is {}, not a log-probability", where, i, value));
    r.logprob += value;
    ++r.n_tokens;
    const json& alternatives = top[i];
    if (!alternatives.is_object() || alternatives.empty())
      bad(what,
          fmt::format("'{}.top_logprobs[{}]' is {}, not an object of token logprobs", where, i, alternatives.dump()));
    double best = -std::numeric_limits<double>::infinity();
    for (const auto& [token, alt] : alternatives.items()) {
      if (!alt.is_number())
        bad(what, fmt::format("'{}.top_logprobs[{}]' holds {} for {}, not a number", where, i, alt.dump(), token));
      best = std::max(best, alt.get<double>());
    }
    if (r.n_tokens == 1) r.is_greedy = true;
    r.is_greedy = r.is_greedy && value >= best - 1e-6;
  }
  if (r.n_tokens == 0)
    bad(what, fmt::format("no echoed token starts at or after the context's end (character {}): the continuation "
                          "was not scored",
                          context_chars));
  return r;
}

StreamedGeneration read_stream(const StreamedResponse& response, const std::vector<std::string>& stop, int max_tokens,
                               const std::string& what, bool chat) {
  StreamedGeneration out;
  out.timing.streamed = true;
  std::string text;
  json finish_reason;  // null until a chunk gives one
  json usage;          // null until a chunk carries it
  bool done = false;
  bool any_text = false;
  double last_text = 0;
  if (std::none_of(response.lines.begin(), response.lines.end(),
                   [](const StreamLine& l) { return l.text.rfind("data:", 0) == 0; }))
    bad(what, fmt::format("the answer is not an event stream (no 'data:' line): '{}'",
                          response.lines.empty() ? "" : response.lines.front().text.substr(0, 80)));
  for (size_t n = 0; n < response.lines.size(); ++n) {
    const StreamLine& line = response.lines[n];
    const std::string where = fmt::format("stream line {}", n + 1);
    if (!line.complete)
      bad(what, fmt::format("the stream ended inside {} ('{}'): truncated", where, line.text.substr(0, 80)));
    if (line.text.rfind("data:", 0) != 0) continue;  // blank, comment, event:, id:
    std::string payload = line.text.substr(5);
    if (!payload.empty() && payload.front() == ' ') payload.erase(0, 1);
    if (done) bad(what, fmt::format("{} comes after data: [DONE]", where));
    if (payload == "[DONE]") {
      done = true;
      continue;
    }
    const json chunk = json::parse(payload, nullptr, false);
    if (chunk.is_discarded() || !chunk.is_object())
      bad(what, fmt::format("{} is not a JSON object: '{}'", where, payload.substr(0, 120)));
    if (chunk.contains("error"))
      bad(what,
          fmt::format("{}: the server sent an error in the stream: {}", where, chunk["error"].dump().substr(0, 200)));
    if (auto u = chunk.find("usage"); u != chunk.end() && !u->is_null()) usage = *u;
    const json& choices = member(chunk, "choices", "", fmt::format("{}: {}", what, where));
    if (!choices.is_array() || choices.size() > 1)
      bad(what, fmt::format("{}: 'choices' must be an array of at most one choice", where));
    if (choices.empty()) continue;  // the usage chunk
    const json& choice = choices[0];
    std::string piece;
    if (chat) {
      // OpenAI's chat chunks: the first may carry only the role (content null), the last only finish_reason.
      if (!choice.is_object() || !choice.contains("delta") || !choice["delta"].is_object())
        bad(what, fmt::format("{}: 'choices[0].delta' is not an object", where));
      const json& delta = choice["delta"];
      if (auto c = delta.find("content"); c != delta.end() && !c->is_null()) {
        if (!c->is_string())
          bad(what, fmt::format("{}: 'choices[0].delta.content' is {}, not a string", where, c->type_name()));
        piece = c->get<std::string>();
      }
    } else {
      if (!choice.is_object() || !choice.contains("text") || !choice["text"].is_string())
        bad(what, fmt::format("{}: 'choices[0].text' is not a string", where));
      piece = choice["text"].get<std::string>();
    }
    if (!piece.empty()) {
      if (!any_text)
        out.timing.ttft = line.seconds;
      else
        out.timing.itl.push_back(line.seconds - last_text);
      any_text = true;
      last_text = line.seconds;
      text += piece;
    }
    if (auto r = choice.find("finish_reason"); r != choice.end() && r->is_string()) finish_reason = *r;
  }
  if (!done) bad(what, "the stream has no 'data: [DONE]' (truncated?)");
  if (usage.is_null()) bad(what, "no chunk of the stream carries 'usage' (stream_options.include_usage)");
  json whole = {{"choices", {{{"text", text}, {"finish_reason", finish_reason}}}}, {"usage", usage}};
  out.result = read_generation(whole, stop, max_tokens, what);
  out.timing.e2e = response.end_seconds;
  if (!any_text) out.timing.ttft = response.end_seconds;  // no text at all: the first token is the end
  out.timing.output_tokens = out.result.n_generated_tokens;
  return out;
}

}  // namespace jouleval::endpoint
