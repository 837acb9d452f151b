// The checks and reading of /v1/completions and /v1/chat/completions responses (docs/endpoint.md
// "What a response must hold"): pure functions of the parsed JSON, so that every malformed class is tested without a
// server. Every error is util::Error(kBadInput) whose message starts with `what` (the endpoint and
// the request), names the field and says what was wrong.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "endpoint/client.h"
#include "engine/requests.h"

namespace jouleval::endpoint {

// The token counts of a response's `usage` (required, consistent: total = prompt + completion when
// total is given).
struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};
Usage read_usage(const nlohmann::json& response, const std::string& what);

// A generation response: one choice with its text; finish_reason "length" is kMaxTokens, anything
// else kStopString (a server does not tell a stop string from end of text). The text is cut before
// the first of `stop` (as the engine does). Errors also when completion_tokens exceeds `max_tokens`.
engine::GenerationResult read_generation(const nlohmann::json& response, const std::vector<std::string>& stop,
                                         int max_tokens, const std::string& what);

// A chat generation response (/v1/chat/completions): as read_generation, the text read from
// `choices[0].message.content` (a string; errors when the choice has no `message` object or the
// message no string `content`).
engine::GenerationResult read_chat_generation(const nlohmann::json& response, const std::vector<std::string>& stop,
                                              int max_tokens, const std::string& what);

// An echo scoring response for `prompt` = context + continuation, `context_chars` the context's
// length in Unicode code points (OpenAI's text_offset unit). The continuation's tokens are those
// whose text_offset is at or after the context's end; tokens after the prompt (the generated one
// when max_tokens was 1) are ignored. is_greedy: each continuation token's logprob is the highest of
// its top_logprobs. Errors on missing or mistyped logprobs fields, arrays of different lengths, a
// null logprob inside the continuation, no continuation token, or a token count that differs from
// usage (prompt + completion tokens).
engine::LoglikelihoodResult read_echo_scoring(const nlohmann::json& response, size_t prompt_chars, size_t context_chars,
                                              const std::string& what);

// The times of one generation request as the client saw them (docs/endpoint.md "Latency under
// load"), in seconds from sending the request.
struct RequestTiming {
  bool streamed = false;
  double ttft = 0;            // first chunk with non-empty text (streamed only)
  std::vector<double> itl;    // gaps between successive chunks with text (streamed only)
  double e2e = 0;             // until the whole answer was read
  int64_t output_tokens = 0;  // usage.completion_tokens
};

// A streamed generation response (Client::stream_completions) read as read_generation reads a
// whole one: the text of every chunk joined, finish_reason and `usage` from the chunks that carry
// them, the same checks. Also errors on an answer without any `data:` line (not streamed), (kBadInput, naming the line)
// on a data line that is not a JSON object, an "error" object in the stream, a chunk whose choices are not one choice
// with string text, a line the stream ended inside, no `data: [DONE]`, or no `usage` in any chunk. Lines other than
// `data:` (comments, event:, id:, blank) are ignored. With `chat` (a /v1/chat/completions stream)
// a chunk's text is `choices[0].delta.content` (absent or null: no text) and each choice must have a
// `delta` object whose `content`, when present, is a string or null.
struct StreamedGeneration {
  engine::GenerationResult result;
  RequestTiming timing;
};
StreamedGeneration read_stream(const StreamedResponse& response, const std::vector<std::string>& stop, int max_tokens,
                               const std::string& what, bool chat = false);

// Length of a UTF-8 text in Unicode code points (invalid bytes count one each).
size_t code_points(const std::string& text);

}  // namespace jouleval::endpoint
