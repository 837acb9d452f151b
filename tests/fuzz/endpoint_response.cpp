// libFuzzer harness: what an OpenAI-compatible server answers, read by the endpoint backend
// (src/endpoint/response.h): a whole JSON answer as a completion, a chat completion, an echo scoring
// and its usage, and a server-sent-event stream (completions and chat). A server is untrusted input
// (docs/endpoint.md "What a response must hold"): every answer is either read or refused with
// util::Error(kBadInput) naming the request, never a crash, a hang or another exception.
//
// Input: the first byte chooses max_tokens (1..256) and the context's share of the prompt; the rest
// is the response body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "endpoint/response.h"
#include "fuzz_support.h"

using namespace jouleval;

namespace {

const std::string kWhat = "endpoint fuzz request";
const std::vector<std::string> kStop = {"Question:", "</s>", "\n\n"};

void check_generation(const engine::GenerationResult& r, int max_tokens) {
  if (r.n_generated_tokens < 0 || r.n_generated_tokens > max_tokens)
    fuzz::finding("generated tokens outside 0..max_tokens");
  for (const auto& s : kStop) {
    if (r.text.find(s) != std::string::npos) fuzz::finding("a stop string left in the text");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int max_tokens = 1 + data[0] % 256;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);

  // A whole answer.
  nlohmann::json response;
  bool parsed = true;
  try {
    response = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception&) {
    parsed = false;  // the client refuses an answer that is not JSON before these readers
  }
  if (parsed) {
    fuzz::expect_clean([&] { (void)endpoint::read_usage(response, kWhat); }, util::ErrorKind::kBadInput, kWhat);
    fuzz::expect_clean(
        [&] { check_generation(endpoint::read_generation(response, kStop, max_tokens, kWhat), max_tokens); },
        util::ErrorKind::kBadInput, kWhat);
    fuzz::expect_clean(
        [&] { check_generation(endpoint::read_chat_generation(response, kStop, max_tokens, kWhat), max_tokens); },
        util::ErrorKind::kBadInput, kWhat);
    const size_t prompt_chars = 1 + data[0] % 64;
    const size_t context_chars = prompt_chars * (data[0] >> 6) / 4;
    fuzz::expect_clean(
        [&] {
          const engine::LoglikelihoodResult r =
              endpoint::read_echo_scoring(response, prompt_chars, context_chars, kWhat);
          if (r.logprob > 0) fuzz::finding("a log-likelihood above 0");
        },
        util::ErrorKind::kBadInput, kWhat);
  }

  // The same bytes as a stream: one line per '\n', a last line without one is cut short.
  endpoint::StreamedResponse stream;
  size_t start = 0;
  double t = 0;
  while (start <= body.size()) {
    const size_t end = body.find('\n', start);
    t += 0.001;
    if (end == std::string::npos) {
      if (start < body.size()) stream.lines.push_back({t, body.substr(start), false});
      break;
    }
    stream.lines.push_back({t, body.substr(start, end - start), true});
    start = end + 1;
  }
  stream.end_seconds = t + 0.001;
  for (bool chat : {false, true}) {
    fuzz::expect_clean(
        [&] {
          const endpoint::StreamedGeneration g = endpoint::read_stream(stream, kStop, max_tokens, kWhat, chat);
          check_generation(g.result, max_tokens);
          if (g.timing.ttft < 0 || g.timing.e2e < g.timing.ttft) fuzz::finding("stream times out of order");
          for (double gap : g.timing.itl) {
            if (gap < 0) fuzz::finding("a negative inter-token gap");
          }
        },
        util::ErrorKind::kBadInput, kWhat);
  }
  return 0;
}
